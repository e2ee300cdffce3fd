"""Each limit: the bad input that trips it, the error naming it, and a server still serving.

The in-process tests pin each check down; the live tests send the same bombs
to a real ``showgraph serve`` over a socket and then ask a normal query with a
5-second client timeout, which it must answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from graphql import get_introspection_query, parse
from starlette.testclient import TestClient

import schema.build
from graph_data import ShowGraph
from schema import build_schema
from server.app import create_app
from server.cost import operation_cost
from server.graphiql import EXAMPLE_TABS, GraphiQLTab
from server.graphql_http import DEFAULT_QUERY
from server.limits import LimitExceededError, scan_document
from server.settings import Settings
from tests.server.conftest import LiveServer

README = Path(__file__).resolve().parents[2] / "README.md"
GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}
NORMAL = "{ actors { totalCount } }"

ALIASES_10K = "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }"
DEEP_200 = "{ " + "a { " * 199 + "b" + " }" * 199 + " }"
DIRECTIVE_BOMB = "{ __typename" + " @include(if: true)" * 1_000 + " }"
MILLION_NODES = (
    "{ shows(first: 100) { nodes { characters(first: 100) { nodes "
    "{ episodes { scenes { summary } } } } } } }"
)
GRAPHIQL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


def readme_queries() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def error_of(response: httpx.Response) -> dict[str, Any]:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error


@pytest.fixture(scope="module")
def roomy() -> Iterator[TestClient]:
    """An app whose token limit lets the other limits see the bombs."""
    with TestClient(create_app(Settings(max_tokens=200_000))) as test_client:
        yield test_client


# --- what passes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [*readme_queries(), DEFAULT_QUERY, GRAPHIQL_INTROSPECTION],
    ids=lambda query: query.strip().splitlines()[0][:40],
)
def test_readme_examples_graphiql_and_introspection_pass_the_defaults(
    client: TestClient, query: str
) -> None:
    headers = dict(GRAPHQL_RESPONSE)
    if query.lstrip().startswith("mutation"):  # writes need a token, and a graph of their own
        token = "readme-token-0123456789"
        client = TestClient(create_app(Settings(tokens=f"readme={token}")))
        headers["authorization"] = f"Bearer {token}"
    response = client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200
    assert "errors" not in response.json(), response.json()


@pytest.mark.parametrize("tab", EXAMPLE_TABS, ids=lambda tab: tab.query.split("{")[0][-40:])
def test_graphiql_example_tabs_pass_the_defaults(client: TestClient, tab: GraphiQLTab) -> None:
    response = client.post("/graphql", json={"query": tab.query})
    codes = {e.get("extensions", {}).get("code") for e in response.json().get("errors", [])}
    assert "LIMIT_EXCEEDED" not in codes, response.json()  # the write tab needs a token


def test_readme_has_examples() -> None:
    assert len(readme_queries()) >= 5


# --- tokens and depth, before parsing ---------------------------------------------------


def test_tokens_are_counted_before_parsing(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": ALIASES_10K}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == (
        "Token limit exceeded: the document has more than 2000 tokens; the limit is 2000."
    )
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": 2000,
        "setting": "SHOWGRAPH_MAX_TOKENS",
    }


def test_depth_200_is_refused_before_the_parser_recurses(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": DEEP_200}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Depth limit exceeded: the query nests fields 200 deep; the limit is 20."
    )


def test_scan_counts_selection_sets_not_arguments_or_inline_fragments() -> None:
    nested_input = '{ actors(where: {name: {eq: "x"}}) { nodes { name } } }'
    scan_document(nested_input, 100, 3)  # 3 levels; the input object's braces do not count
    inline = "{ node(id: 1) { ... on Actor { ... { name } } } }"
    scan_document(inline, 100, 2)
    with pytest.raises(LimitExceededError, match="nests fields 3 deep; the limit is 2"):
        scan_document("{ a { b { c } } }", 100, 2)
    with pytest.raises(LimitExceededError, match="more than 5 tokens"):
        scan_document("{ a { b { c } } }", 5, 20)


def test_depth_counts_through_fragments(client: TestClient) -> None:
    # Each definition is shallow; only following the spreads shows the depth.
    fragments = " ".join(
        f"fragment F{i} on Character {{ show {{ characters {{ nodes {{ ...F{i + 1} }} }} }} }}"
        for i in range(8)
    )
    query = (
        f"{{ characters {{ nodes {{ ...F0 }} }} }} {fragments} fragment F8 on Character {{ name }}"
    )
    response = client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Depth limit exceeded: the query nests fields 27 deep; the limit is 20."
    )


# --- aliases and directives, before the specification's rules ---------------------------


def test_ten_thousand_aliases(roomy: TestClient) -> None:
    response = roomy.post("/graphql", json={"query": ALIASES_10K}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == (
        "Alias limit exceeded: the document uses 10000 aliases; the limit is 30."
    )
    assert error["extensions"]["setting"] == "SHOWGRAPH_MAX_ALIASES"


def test_aliases_count_each_spread_of_a_fragment(client: TestClient) -> None:
    fragment = "fragment Names on Actor { " + " ".join(f"n{i}: name" for i in range(8)) + " }"
    three = "{ actors { nodes { ...Names ...Names ...Names } } } " + fragment
    assert "errors" not in client.post("/graphql", json={"query": three}).json()  # 24
    four = "{ actors { nodes { ...Names ...Names ...Names ...Names } } } " + fragment
    response = client.post("/graphql", json={"query": four})
    assert error_of(response)["message"] == (
        "Alias limit exceeded: the document uses 32 aliases; the limit is 30."
    )


def test_directive_bomb(roomy: TestClient) -> None:
    response = roomy.post("/graphql", json={"query": DIRECTIVE_BOMB}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    error = error_of(response)  # one error, not a hundred "used only once" ones
    assert error["message"] == (
        "Directive limit exceeded: field '__typename' has 1000 directives; the limit is 10."
    )
    assert error["locations"] == [{"line": 1, "column": 3}]


def test_directives_on_fragments_count_too(client: TestClient) -> None:
    query = "{ ... @skip(if: false)" + " @include(if: true)" * 10 + " { __typename } }"
    response = client.post("/graphql", json={"query": query})
    assert error_of(response)["message"] == (
        "Directive limit exceeded: an inline fragment has 11 directives; the limit is 10."
    )


# --- page size and cost, before execution ---------------------------------------------------


def test_a_query_costing_a_million_nodes(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": MILLION_NODES}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == (
        "Cost limit exceeded: the query would cost 1110202, counting each field once per item "
        "of the lists above it; the limit is 50000."
    )
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": 50_000,
        "setting": "SHOWGRAPH_MAX_COST",
        "cost": 1_110_202,
    }


def test_cost_uses_the_variables_the_query_runs_with(client: TestClient) -> None:
    query = (
        "query($n: Int) { shows(first: $n) { nodes "
        "{ characters(first: $n) { nodes { episodes { title } } } } } }"
    )
    small = client.post("/graphql", json={"query": query, "variables": {"n": 5}})
    assert "errors" not in small.json()
    big = client.post("/graphql", json={"query": query, "variables": {"n": 100}})
    assert error_of(big)["extensions"]["cost"] == 110_202


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ shows(first: 500) { totalCount } }", None),
        ("query($n: Int) { shows(first: $n) { totalCount } }", {"n": 500}),
        ("query($n: Int = 500) { shows(first: $n) { totalCount } }", None),
    ],
)
def test_page_size_is_refused_before_execution(
    client: TestClient, query: str, variables: dict[str, Any] | None
) -> None:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=GRAPHQL_RESPONSE
    )
    assert response.status_code == 400  # refused as a request: nothing ran
    error = error_of(response)
    assert error["message"] == (
        "`first` is limited to 100 items per page (got 500); page through with `after`"
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": 100}
    assert error["locations"] == [{"line": 1, "column": query.index("shows") + 1}]


def test_a_lower_page_size_limit(graph: ShowGraph) -> None:
    with TestClient(create_app(Settings(max_page_size=10), graph=graph)) as small:
        response = small.post("/graphql", json={"query": "{ actors(first: 11) { totalCount } }"})
    assert error_of(response)["extensions"] == {"code": "BAD_USER_INPUT", "limit": 10}


# --- caches -------------------------------------------------------------------------------


def test_validation_runs_once_per_document(
    graph: ShowGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_validate: Callable[..., Any] = graphql.validate

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(schema.build, "validate", counting_validate)
    query = "{ actors(first: 3) { nodes { name } } shows { totalCount } }"
    with TestClient(create_app(graph=graph)) as fresh:
        for _ in range(5):
            assert "errors" not in fresh.post("/graphql", json={"query": query}).json()
    # Two phases (limits, then the specification's rules), once: the rule
    # classes are built once, so the cache key is the same every time.
    assert len(calls) == 2


def test_parse_is_cached(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    query = "{ shows { totalCount } actors { totalCount } }"
    client.post("/graphql", json={"query": query})

    def no_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(graphql.language.parser.Parser, "parse_document", no_parse)
    assert "errors" not in client.post("/graphql", json={"query": query}).json()


# --- against a real server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def roomy_server() -> Iterator[LiveServer]:
    server = LiveServer("--max-tokens", "200000")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def still_serving(url: str) -> None:
    """The next normal query is answered, within a generous client timeout."""
    response = httpx.post(f"{url}/graphql", json={"query": NORMAL}, timeout=5)
    assert response.json() == {"data": {"actors": {"totalCount": 6}}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (ALIASES_10K, "Alias limit exceeded: the document uses 10000 aliases; the limit is 30."),
        (DEEP_200, "Depth limit exceeded: the query nests fields 200 deep; the limit is 20."),
        (
            DIRECTIVE_BOMB,
            "Directive limit exceeded: field '__typename' has 1000 directives; the limit is 10.",
        ),
        (MILLION_NODES, "Cost limit exceeded: the query would cost 1110202"),
        ("{ shows(first: 5000) { totalCount } }", "`first` is limited to 100 items per page"),
    ],
    ids=["aliases", "depth", "directives", "cost", "page-size"],
)
def test_live_bombs_are_refused_and_the_server_keeps_serving(
    roomy_server: LiveServer, query: str, message: str
) -> None:
    response = httpx.post(
        f"{roomy_server.url}/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE, timeout=30
    )
    assert response.status_code == 400
    assert error_of(response)["message"].startswith(message)
    still_serving(roomy_server.url)


def test_live_tokens_with_the_defaults(live_server: LiveServer) -> None:
    for query in (ALIASES_10K, DIRECTIVE_BOMB):
        response = httpx.post(
            f"{live_server.url}/graphql",
            json={"query": query},
            headers=GRAPHQL_RESPONSE,
            timeout=30,
        )
        assert response.status_code == 400
        assert error_of(response)["message"].startswith("Token limit exceeded")
        still_serving(live_server.url)


def test_readme_documents_every_setting_and_the_cost_example() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("## Limits and security") : readme.index("## Command line")]
    for spec in fields(Settings):
        assert f"`SHOWGRAPH_{spec.name.upper()}`" in section, spec.name
    example = "{ actors(first: 10) { nodes { name portrayals { role } } } }"
    assert f"`{example}` costs\n" in section
    assert ") = 122, and" in section
    assert cost_of(example) == 122
    assert f"`{MILLION_NODES}`\ncosts 1,110,202 and is refused" in section
    assert cost_of(MILLION_NODES) == 1_110_202


def cost_of(query: str) -> int:
    return operation_cost(build_schema()._schema, parse(query), None, None, 20).cost
