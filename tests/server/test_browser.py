"""GraphiQL in a real headless Chromium against ``showgraph serve``, with the network closed.

Every request to a host other than the server's (127.0.0.1/localhost) is aborted
and recorded, so the page must work from the vendored assets alone (see
``tests/server/browser.py``, shared with the explorer's tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from server.graphql_http import DEFAULT_QUERY
from tests.server.browser import (
    ARTIFACTS,
    TIMEOUT_MS,
    Chromium,
    open_page,
    png_size,
    png_stats,
)
from tests.server.conftest import LiveServer

pytestmark = pytest.mark.browser

EDITOR = ".graphiql-query-editor .CodeMirror"
EXECUTE = ".graphiql-execute-button"
RESULT = "section.result-window"
RESULT_EDITOR = ".result-window .CodeMirror"

# True once the result pane holds the JSON answer to the default query.
RESULT_READY_JS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || !el.CodeMirror) { return false; }
  try {
    const body = JSON.parse(el.CodeMirror.getValue());
    return body.data.actors.totalCount === 6;
  } catch (e) {
    return false;
  }
}"""


def editor_text(page: Page, selector: str) -> str:
    value = page.evaluate(
        "(s) => document.querySelector(s).CodeMirror.getValue()",
        selector,
    )
    assert isinstance(value, str)
    return value


def test_graphiql_runs_default_query_offline(live_server: LiveServer, chromium: Chromium) -> None:
    with open_page(chromium) as (page, log):
        page.goto(f"{live_server.url}/graphql", wait_until="load")
        page.wait_for_selector(EDITOR, state="visible")

        # The editor holds the pre-filled query, verbatim (fresh storage: no saved tabs).
        assert editor_text(page, EDITOR) == DEFAULT_QUERY
        assert page.title() == "showgraph · GraphiQL"

        with page.expect_response(
            lambda r: (
                r.request.method == "POST"
                and urlsplit(r.url).path == "/graphql"
                and "ActorsAndTheirCharacters" in (r.request.post_data or "")
            )
        ) as response_info:
            page.click(EXECUTE)
        assert response_info.value.status == 200

        page.wait_for_selector(RESULT, state="visible")
        page.wait_for_function(RESULT_READY_JS, arg=RESULT_EDITOR, timeout=TIMEOUT_MS)
        # Saved before the checks below, so that CI keeps it when one of them fails.
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot_path = ARTIFACTS / "graphiql.png"
        screenshot = page.screenshot(path=str(screenshot_path), full_page=True)

        body: dict[str, Any] = json.loads(editor_text(page, RESULT_EDITOR))

        assert "errors" not in body, body["errors"]
        actors = body["data"]["actors"]
        assert actors["totalCount"] == 6
        by_name = {actor["name"]: actor for actor in actors["nodes"]}
        assert len(by_name) == 6
        assert {"Kit Connor", "Joe Locke"} <= by_name.keys()

        kit = by_name["Kit Connor"]
        nick = [p for p in kit["portrayals"] if p["character"]["name"] == "Nick Nelson"]
        assert len(nick) == 1, kit["portrayals"]
        assert nick[0]["role"] == "MAIN"
        assert nick[0]["character"]["fullName"] == "Nick Nelson"
        assert nick[0]["episodeCount"] == len(nick[0]["episodes"])
        assert {"number": 1, "title": "Out", "season": {"number": 2}} in nick[0]["episodes"]

        # Closed network: nothing tried to leave the machine, and nothing went wrong.
        log.assert_clean()
        assert any("/static/graphiql/graphiql.min.js" in r for r in log.requested), log.requested

        assert screenshot_path.read_bytes() == screenshot
        assert len(screenshot) > 20_000, f"suspiciously small screenshot: {len(screenshot)} bytes"
        width, height = png_size(screenshot)
        assert width >= 1280
        assert height >= 900

        # Non-blank.  Measured with this chromium: about:blank has 1 colour and 0 %
        # coverage; a page showing only "Loading GraphiQL…" has ~200 colours (text
        # anti-aliasing) but 0.06 % coverage; the rendered GraphiQL has ~1700 colours
        # and ~50 % coverage (white panes on a grey background, highlighted code).
        stats = png_stats(page, screenshot)
        assert stats["colours"] >= 500, f"screenshot looks blank: {stats}"
        assert stats["coverage"] >= 0.2, f"screenshot looks blank: {stats}"


TAB = ".graphiql-tab .graphiql-tab-button"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
DOCS_BUTTON = '[aria-label="Show Documentation Explorer"]'


def test_graphiql_offers_example_tabs_token_headers_and_docs(
    live_server: LiveServer, chromium: Chromium
) -> None:
    with open_page(chromium) as (page, log):
        page.goto(f"{live_server.url}/graphql", wait_until="load")
        page.wait_for_selector(EDITOR, state="visible")

        # One tab per example, titled by its operation; the first one is open.
        titles = [title.strip() for title in page.locator(TAB).all_text_contents()]
        assert titles == [
            "ActorsAndTheirCharacters",
            "SeasonTwoEpisodes",
            "SearchForgivesTypos",
            "PathBetweenTwoCharacters",
            "WhereAFactComesFrom",
            "CreateAnActor",
        ]
        assert editor_text(page, EDITOR) == DEFAULT_QUERY

        # Another example runs as it stands.
        page.locator(TAB).nth(1).click()
        assert "query SeasonTwoEpisodes" in editor_text(page, EDITOR)
        # GraphiQL learns the operation's name from the editor after a short
        # debounce; run before that and it sends the previous tab's name.
        page.wait_for_function(
            "(s) => document.querySelector(s).CodeMirror.operationName === 'SeasonTwoEpisodes'",
            arg=EDITOR,
        )
        page.click(EXECUTE)
        page.wait_for_function(
            """(s) => {
              const el = document.querySelector(s);
              return el && el.CodeMirror && el.CodeMirror.getValue().includes('"Truth/Dare"');
            }""",
            arg=RESULT_EDITOR,
        )

        # The mutation's tab has the placeholder token in the (open) headers editor.
        page.locator(TAB).nth(5).click()
        assert "mutation CreateAnActor" in editor_text(page, EDITOR)
        page.wait_for_selector(HEADERS_EDITOR, state="visible")
        assert json.loads(editor_text(page, HEADERS_EDITOR)) == {
            "Authorization": "Bearer <your token>"
        }

        # The schema's documentation is one click away.
        page.click(DOCS_BUTTON)
        page.wait_for_selector(".graphiql-doc-explorer-root-type", state="visible")
        docs = page.text_content(".graphiql-doc-explorer") or ""
        assert "query: Query" in docs
        assert "mutation: Mutation" in docs

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "graphiql-examples.png"), full_page=True)
        log.assert_clean()


def test_network_guard_blocks_other_hosts(live_server: LiveServer, chromium: Chromium) -> None:
    """The guard the test above relies on really closes the network."""
    with open_page(chromium) as (page, log):
        page.goto(f"{live_server.url}/healthz", wait_until="load")

        outcome = page.evaluate(
            """() => fetch("http://example.invalid/probe", { mode: "no-cors" })
                .then(() => "fetched", (error) => "refused: " + error)"""
        )

        assert str(outcome).startswith("refused"), outcome
        assert log.blocked == ["http://example.invalid/probe"]


BROWSER_TOKEN = "browser-token-0123456789abcdef"
SUBSCRIPTION = "subscription Watch {\n  graphChanged {\n    graphVersion\n    summary\n  }\n}\n"
CREATE_SOURCE = (
    'mutation { createSource(input: {fields: {title: "seen in GraphiQL", kind: USER_EDIT}}) '
    "{ graphVersion } }"
)


@pytest.fixture(scope="module")
def writable_server() -> Iterator[LiveServer]:
    """A server that takes writes, so that a mutation makes an event to see."""
    server = LiveServer(env={"SHOWGRAPH_TOKENS": f"browser={BROWSER_TOKEN}"})
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_graphiql_runs_a_subscription_and_shows_the_event_of_a_mutation(
    writable_server: LiveServer, chromium: Chromium
) -> None:
    with open_page(chromium, "graphiql-subscription-failure.png") as (page, log):
        page.goto(f"{writable_server.url}/graphql", wait_until="load")
        page.wait_for_selector(EDITOR, state="visible")
        page.evaluate(
            "([s, q]) => document.querySelector(s).CodeMirror.setValue(q)", [EDITOR, SUBSCRIPTION]
        )
        page.wait_for_function(
            "(s) => document.querySelector(s).CodeMirror.operationName === 'Watch'", arg=EDITOR
        )
        with page.expect_websocket() as opened:
            page.click(EXECUTE)
        socket = opened.value
        assert socket.url == f"ws://127.0.0.1:{writable_server.port}/graphql"
        # graphql-transport-ws does not acknowledge a subscribe (and the frame may
        # leave before a listener here could see it), so the server may start
        # listening a moment after the click: write until the event shows.
        shown = False
        for _ in range(10):
            written = httpx.post(
                f"{writable_server.url}/graphql",
                json={"query": CREATE_SOURCE},
                headers={"authorization": f"Bearer {BROWSER_TOKEN}"},
            ).json()
            assert written["data"]["createSource"]["graphVersion"] >= 1, written
            try:
                page.wait_for_function(
                    """(s) => {
                      const el = document.querySelector(s);
                      return el && el.CodeMirror &&
                        el.CodeMirror.getValue().includes('"create source"');
                    }""",
                    arg=RESULT_EDITOR,
                    timeout=2_000,
                )
            except PlaywrightTimeoutError:
                continue
            shown = True
            break
        assert shown, editor_text(page, RESULT_EDITOR)
        body = json.loads(editor_text(page, RESULT_EDITOR))
        assert body["data"]["graphChanged"]["summary"] == "create source"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "graphiql-subscription.png"), full_page=True)
        log.assert_clean()
