"""The offline GraphiQL page: what GET /graphql serves to a browser, and its assets."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from graphql import build_schema, parse, validate
from starlette.testclient import TestClient

from schema.build import SDL_PATH
from server.graphiql import (
    EXAMPLE_TABS,
    PLACEHOLDER_HEADERS,
    GraphiQLTab,
    graphiql_html,
    graphiql_static_dir,
)
from server.graphql_http import DEFAULT_QUERY, STATIC_PREFIX

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# Extension of each vendored file the page loads -> the media type it must be served as.
ASSET_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",)}


class PageParts(HTMLParser):
    """Collects the external references and the inline scripts of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.script_srcs: list[str] = []
        self.link_hrefs: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            src = attributes.get("src")
            if src is not None:
                self.script_srcs.append(src)
            else:
                self._in_inline_script = True
                self.inline_scripts.append("")
        elif tag == "link" and attributes.get("href") is not None:
            self.link_hrefs.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data

    @property
    def references(self) -> list[str]:
        return self.script_srcs + self.link_hrefs


def parse_page(page: str) -> PageParts:
    parts = PageParts()
    parts.feed(page)
    parts.close()
    return parts


def page_config(parts: PageParts) -> dict[str, Any]:
    """The ``var config = {...};`` object of the page's (single) inline script."""
    assert len(parts.inline_scripts) == 1, parts.inline_scripts
    script = parts.inline_scripts[0]
    marker = "var config = "
    start = script.index(marker) + len(marker)
    config, _ = json.JSONDecoder().raw_decode(script, start)
    assert isinstance(config, dict)
    return config


@pytest.fixture(scope="module")
def page_html(client: TestClient) -> str:
    response = client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    text: str = response.text
    return text


@pytest.mark.parametrize("accept", ["text/html", BROWSER_ACCEPT])
def test_browser_get_returns_graphiql_page(client: TestClient, accept: str) -> None:
    response = client.get("/graphql", headers={"Accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "text/html"
    assert "charset=utf-8" in response.headers["content-type"].replace(" ", "").lower()
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert '<div id="graphiql">' in response.text


def test_page_is_prefilled_with_default_query(page_html: str) -> None:
    # The query sits in the page as a JSON string literal ...
    assert "query ActorsAndTheirCharacters {" in page_html
    assert json.dumps(DEFAULT_QUERY)[1:40] in page_html
    # ... and decodes back to exactly DEFAULT_QUERY.
    config = page_config(parse_page(page_html))
    assert config["defaultQuery"] == DEFAULT_QUERY
    assert "query ActorsAndTheirCharacters" in config["defaultQuery"]
    assert config["endpoint"] == "/graphql"
    assert config["staticPrefix"] == STATIC_PREFIX


def test_page_opens_with_the_example_tabs(page_html: str) -> None:
    config = page_config(parse_page(page_html))

    tabs = config["defaultTabs"]
    # The default query first, without headers; then every example, in order.
    assert tabs[0] == {"query": DEFAULT_QUERY, "variables": None, "headers": None}
    assert [tab["query"] for tab in tabs[1:]] == [tab.query for tab in EXAMPLE_TABS]
    names = [operation_name(tab["query"]) for tab in tabs]
    assert names == [
        "ActorsAndTheirCharacters",
        "SeasonTwoEpisodes",
        "SearchForgivesTypos",
        "PathBetweenTwoCharacters",
        "WhereAFactComesFrom",
        "CreateAnActor",
    ]
    # Only the tab that writes sends the placeholder token, and its pane is open.
    assert [tab["headers"] for tab in tabs] == [None] * 5 + [PLACEHOLDER_HEADERS]
    assert json.loads(PLACEHOLDER_HEADERS) == {"Authorization": "Bearer <your token>"}
    assert config["showHeaders"] is True


def operation_name(query: str) -> str:
    """The name of the single operation in ``query`` (GraphiQL titles tabs with it)."""
    (definition,) = parse(query).definitions
    name = getattr(definition, "name", None)
    assert name is not None, query
    return str(name.value)


@pytest.mark.parametrize(
    "tab",
    [tab for tab in EXAMPLE_TABS if not tab.headers],
    ids=lambda tab: operation_name(tab.query),
)
def test_every_example_query_runs_on_the_builtin_dataset(
    client: TestClient, tab: GraphiQLTab
) -> None:
    response = client.post("/graphql", json={"query": tab.query})

    body = response.json()
    assert response.status_code == 200
    assert "errors" not in body, body["errors"]
    # Each finds something on the built-in dataset.
    (answer,) = body["data"].values()
    assert answer, body


def test_mutation_example_is_valid_and_refused_without_a_token(client: TestClient) -> None:
    (mutation,) = [tab for tab in EXAMPLE_TABS if tab.headers]
    assert validate(build_schema(SDL_PATH.read_text()), parse(mutation.query)) == []

    # The placeholder is no token: the write is refused and nothing changes.
    before = client.post("/graphql", json={"query": "{ graphVersion }"}).json()
    response = client.post(
        "/graphql", json={"query": mutation.query}, headers=json.loads(mutation.headers)
    )
    assert response.json().get("errors"), response.text
    assert client.post("/graphql", json={"query": "{ graphVersion }"}).json() == before


def test_graphiql_html_keeps_its_signature() -> None:
    # The four-argument call of before still works and now also opens the examples.
    with_headers = page_config(
        parse_page(graphiql_html("/graphql", STATIC_PREFIX, "{ a }", '{"X-Trace": "1"}'))
    )
    assert with_headers["defaultQuery"] == "{ a }"
    assert with_headers["defaultTabs"][0] == {
        "query": "{ a }",
        "variables": None,
        "headers": '{"X-Trace": "1"}',
    }
    assert len(with_headers["defaultTabs"]) == 1 + len(EXAMPLE_TABS)

    # Without examples and headers: one tab, headers pane closed.
    bare = page_config(
        parse_page(graphiql_html("/graphql", STATIC_PREFIX, "{ a }", example_tabs=()))
    )
    assert bare["defaultTabs"] == [{"query": "{ a }", "variables": None, "headers": None}]
    assert bare["showHeaders"] is False

    # Other tabs, other storage namespace: stale saved tabs cannot hide new examples.
    assert bare["storagePrefix"] != with_headers["storagePrefix"]
    custom = [GraphiQLTab("query Q { b }", variables='{"v": 1}')]
    config = page_config(
        parse_page(graphiql_html("/graphql", STATIC_PREFIX, "{ a }", example_tabs=custom))
    )
    assert config["defaultTabs"][1] == {
        "query": "query Q { b }",
        "variables": '{"v": 1}',
        "headers": None,
    }
    assert len({bare["storagePrefix"], config["storagePrefix"]}) == 2


def test_page_references_only_same_origin_vendored_assets(page_html: str) -> None:
    parts = parse_page(page_html)

    assert len(parts.script_srcs) == 3, parts.script_srcs
    # The stylesheet, and an empty data: icon so that the browser asks for no favicon.
    assert parts.link_hrefs[1:] == ["data:,"], parts.link_hrefs
    for url in parts.references[:-1]:
        assert "http://" not in url
        assert "https://" not in url
        assert not url.startswith("//"), url  # protocol-relative would be off-origin too
        assert url.startswith(f"{STATIC_PREFIX}/"), url
    # Nothing else in the page points off-origin either (e.g. a font or an import()).
    assert "http://" not in page_html
    assert "https://" not in page_html


def test_every_referenced_asset_is_served(client: TestClient, page_html: str) -> None:
    for url in parse_page(page_html).references:
        if url.startswith("data:"):
            continue
        response = client.get(url)
        assert response.status_code == 200, url

        name = url.rsplit("/", 1)[-1]
        extension = name[name.rindex(".") :]
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type in ASSET_TYPES[extension], (url, media_type)
        # Served as vendored, byte for byte.
        assert response.content == (graphiql_static_dir() / name).read_bytes(), url
        assert len(response.content) > 1000, url


def test_missing_asset_is_404(client: TestClient) -> None:
    assert client.get(f"{STATIC_PREFIX}/no-such-file.js").status_code == 404


HOSTILE_QUERY = (
    "# </script><script>alert('pwned')</script>\n"
    "# </SCRIPT > <!-- <script> -->\n"
    "query Evil { shows { title } }\n"
)


def test_query_cannot_close_the_script_element() -> None:
    page = graphiql_html("/graphql", STATIC_PREFIX, HOSTILE_QUERY)
    parts = parse_page(page)

    # The HTML parser still sees the page's own scripts only, with the inline
    # one intact: no injected element, and the config decodes to the query.
    assert len(parts.script_srcs) == 3
    config = page_config(parts)
    assert config["defaultQuery"] == HOSTILE_QUERY
    # Neither sequence that ends (or derails) a script element survives anywhere.
    lowered = page.lower()
    assert lowered.count("</script") == 4  # the template's own four closing tags
    assert "<!--" not in page
    assert "</script><script>alert" not in lowered


def test_json_get_with_query_returns_json_not_the_page(client: TestClient) -> None:
    response = client.get(
        "/graphql",
        params={"query": "{ actors { totalCount } }"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert "<html" not in response.text.lower()
    assert response.json()["data"] == {"actors": {"totalCount": 6}}


def test_browser_get_with_query_returns_json_not_the_page(client: TestClient) -> None:
    # A `query` parameter means "run this", even when a browser asks for HTML.
    response = client.get(
        "/graphql",
        params={"query": "{ actors { totalCount } }"},
        headers={"Accept": BROWSER_ACCEPT},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert response.json()["data"] == {"actors": {"totalCount": 6}}


def test_json_get_without_query_is_an_error_not_the_page(client: TestClient) -> None:
    response = client.get("/graphql", headers={"Accept": "application/json"})

    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert response.status_code == 400
    assert response.json()["errors"]
