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
from graphql import get_introspection_query
from starlette.testclient import TestClient

import server.pipeline.documents
import server.pipeline.validation
from graph_data import ShowGraph
from schema.relay import encode_key
from server.app import create_app
from server.graphiql import EXAMPLE_TABS, GraphiQLTab
from server.graphql_http import DEFAULT_QUERY
from server.limits import measure
from server.pipeline.documents import parse_document
from server.settings import Settings
from tests.server.conftest import LiveServer

README = Path(__file__).resolve().parents[2] / "README.md"
GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}
NORMAL = "{ actors { totalCount } }"

ALIASES_10K = "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }"
DEEP_500 = "{ " + "a { " * 499 + "b" + " }" * 499 + " }"  # too deep for the parser itself
DEEP_63 = "{ shows { nodes { " + "seasons { show { " * 30 + "name" + " } }" * 30 + " } } }"
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


def test_depth_past_the_parser_and_past_the_limit_are_refused(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": DEEP_500}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Depth limit exceeded: the document nests too deeply to be read; the limit is 20."
    )
    response = client.post("/graphql", json={"query": DEEP_63}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Depth limit exceeded: the query nests fields 63 deep; the limit is 20."
    )


def test_limits_judge_the_operation_that_runs(client: TestClient) -> None:
    deep = "query Deep " + DEEP_63
    document = f"query Shallow {{ actors {{ totalCount }} }} {deep}"
    shallow = client.post("/graphql", json={"query": document, "operationName": "Shallow"})
    assert shallow.json()["data"] == {"actors": {"totalCount": 6}}
    refused = client.post("/graphql", json={"query": document, "operationName": "Deep"})
    assert error_of(refused)["message"].startswith("Depth limit exceeded")


def test_depth_counts_fields_not_arguments_or_inline_fragments() -> None:
    def depth(query: str, **variables: Any) -> int:
        document = parse_document(query, 1000, 10_000)
        return measure(document.operations[0], document.fragments, variables).depth

    assert depth('{ actors(where: {name: {eq: "x"}}) { nodes { name } } }') == 3
    assert depth("{ node(id: 1) { ... on Actor { ... { name } } } }") == 2
    # Skipped fields run nowhere, so they nest nothing.
    assert depth("query($s: Boolean!) { a { b @skip(if: $s) { c } } }", s=True) == 1
    assert depth("query($s: Boolean!) { a { b @skip(if: $s) { c } } }", s=False) == 3


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
        "Alias limit exceeded: the operation uses 10000 aliases; the limit is 30."
    )
    assert error["extensions"]["setting"] == "SHOWGRAPH_MAX_ALIASES"


def test_aliases_count_each_spread_of_a_fragment(client: TestClient) -> None:
    fragment = "fragment Names on Actor { " + " ".join(f"n{i}: name" for i in range(8)) + " }"
    three = "{ actors { nodes { ...Names ...Names ...Names } } } " + fragment
    assert "errors" not in client.post("/graphql", json={"query": three}).json()  # 24
    four = "{ actors { nodes { ...Names ...Names ...Names ...Names } } } " + fragment
    response = client.post("/graphql", json={"query": four})
    assert error_of(response)["message"] == (
        "Alias limit exceeded: the operation uses 32 aliases; the limit is 30."
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


# --- page size and cost ---------------------------------------------------------------------

KIT = encode_key("actor:kit-connor")
CO_STARS_SIX_DEEP = (
    "{ actors { nodes { " + "coStars { nodes { " * 6 + "name" + " } }" * 6 + " } } }"
)


def test_what_is_truly_expensive_on_the_data_is_refused(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": CO_STARS_SIX_DEEP}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    error = error_of(response)
    cost = error["extensions"]["cost"]
    assert cost > 6 * 5**6  # 6 actors, 5 co-stars each, six levels down: ~94,000 names
    assert error["message"] == (
        f"Cost limit exceeded: the query could resolve up to {cost} fields on this graph "
        "(each field once per item of the lists above it, at their largest in the data "
        "served); the limit is 50000."
    )
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": 50_000,
        "setting": "SHOWGRAPH_MAX_COST",
        "cost": cost,
    }


def test_a_query_that_once_cost_a_million_now_runs(client: TestClient) -> None:
    body = client.post("/graphql", json={"query": MILLION_NODES}).json()
    assert "errors" not in body
    cost = body["extensions"]["cost"]
    assert cost["actual"] <= cost["requested"] <= 10 * cost["actual"]
    assert cost["limit"] == 50_000


def test_cost_uses_the_variables_as_they_coerce(client: TestClient) -> None:
    query = (
        "query($f: Int) { shows(first: $f) { nodes "
        "{ characters(first: $f) { nodes { episodes { scenes { summary } } } } } } }"
    )

    def cost(value: Any) -> Any:
        body = client.post("/graphql", json={"query": query, "variables": {"f": value}}).json()
        return body.get("extensions", {}).get("cost", {}).get("requested"), body

    assert cost(100)[0] == cost(100.0)[0] is not None  # 100.0 coerces to 100, as graphql-core
    _, body = cost(3_000_000_000)  # not an Int: the variable's own error, not a page size
    assert "Int cannot represent non 32-bit signed integer" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            "{ graphVersion node(id: KIT) { ... on Actor { coStars(first: 500) "
            "{ totalCount } } } }",
            None,
        ),
        (
            "query($n: Int) { graphVersion node(id: KIT) { ... on Actor { coStars(first: $n) "
            "{ totalCount } } } }",
            {"n": 500},
        ),
        (
            "query($n: Int = 500) { graphVersion node(id: KIT) { ... on Actor { "
            "coStars(first: $n) { totalCount } } } }",
            None,
        ),
    ],
)
def test_a_page_over_the_limit_is_an_error_of_its_field(
    client: TestClient, query: str, variables: dict[str, Any] | None
) -> None:
    query = query.replace("KIT", f'"{KIT}"')
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=GRAPHQL_RESPONSE
    )
    assert response.status_code == 200  # it ran: the rest of the data is there
    body = response.json()
    assert body["data"] == {"graphVersion": 0, "node": None}  # the error nulls its parent
    (error,) = body["errors"]
    assert error["message"] == (
        "`first` is limited to 100 items per page (got 500); page through with `after`"
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": 100}
    assert error["path"] == ["node", "coStars"]
    assert error["locations"] == [{"line": 1, "column": query.index("coStars") + 1}]


@pytest.mark.parametrize(
    "query",
    [
        "{ shows { nodes { name } } actors(first: 500) @skip(if: true) { totalCount } }",
        "{ shows { nodes { name } } actors(first: 500) @include(if: false) { totalCount } }",
        "{ shows { nodes { name } } node(id: SHOW) { ... on Actor { coStars(first: 500) "
        "{ totalCount } } } }",  # the node is a show: the fragment never applies
    ],
)
def test_fields_that_never_run_are_not_judged(client: TestClient, query: str) -> None:
    query = query.replace("SHOW", f'"{encode_key("show:heartstopper")}"')
    body = client.post("/graphql", json={"query": query}).json()
    assert "errors" not in body
    assert body["data"]["shows"] == {"nodes": [{"name": "Heartstopper"}]}


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

    monkeypatch.setattr(server.pipeline.validation, "validate", counting_validate)
    query = "{ actors(first: 3) { nodes { name } } shows { totalCount } }"
    with TestClient(create_app(graph=graph)) as fresh:
        for _ in range(5):
            assert "errors" not in fresh.post("/graphql", json={"query": query}).json()
    # The verdict is kept with the parsed document, which is kept from its second
    # sighting on (the first is parsed, validated and let go).
    assert len(calls) == 2


def test_parse_is_cached(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    query = "{ shows { totalCount } actors { totalCount } }"
    client.post("/graphql", json={"query": query})  # seen once: not kept
    client.post("/graphql", json={"query": query})  # kept from its second sighting

    def no_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed again")

    monkeypatch.setattr(graphql.language.parser.Parser, "parse_document", no_parse)
    monkeypatch.setattr(server.pipeline.documents, "parse_fast", no_parse)
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
    assert response.json()["data"] == {"actors": {"totalCount": 6}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (ALIASES_10K, "Alias limit exceeded: the operation uses 10000 aliases; the limit is 30."),
        (DEEP_63, "Depth limit exceeded: the query nests fields 63 deep; the limit is 20."),
        (
            DIRECTIVE_BOMB,
            "Directive limit exceeded: field '__typename' has 1000 directives; the limit is 10.",
        ),
        (CO_STARS_SIX_DEEP, "Cost limit exceeded: the query could resolve up to"),
    ],
    ids=["aliases", "depth", "directives", "cost"],
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


def test_readme_documents_every_setting_and_the_cost_example(client: TestClient) -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("## Limits and security") : readme.index("## Command line")]
    for spec in fields(Settings):
        assert f"`SHOWGRAPH_{spec.name.upper()}`" in section, spec.name
    example = "{ actors(first: 10) { nodes { name portrayals { role } } } }"
    cost = client.post("/graphql", json={"query": example}).json()["extensions"]["cost"]
    assert f"`{example}`" in section
    assert f'"requested": {cost["requested"]}, "actual": {cost["actual"]}' in section


def test_the_verdict_reads_only_the_variables_that_skip_or_size() -> None:
    from server.limits import verdict_inputs
    from server.pipeline.operations import select_operation

    document = parse_document(
        "query($a: Int, $w: ActorWhere, $s: Boolean!, $ids: [ID!]!, $t: Boolean!, $n: String) "
        "{ actors(first: $a, where: $w) { nodes @skip(if: $s) { name } } "
        "nodes(ids: $ids) { id } node(id: $n) { id } ...F } "
        "fragment F on Query { shows @include(if: $t) { totalCount } }",
        10_000,
        100_000,
    )
    operation = select_operation(document, None)
    assert sorted(verdict_inputs(operation, document.fragments)) == ["a", "ids", "s", "t"]
