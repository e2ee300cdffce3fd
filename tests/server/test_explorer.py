"""The graph explorer at /explore: its page and assets, then the page itself in headless Chromium.

The browser tests drive the real page against ``showgraph serve`` with the
network closed but for the server (see ``tests/server/browser.py``), and read
what was drawn from the page's Cytoscape instance (``window.explorer.cy``).
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page
from starlette.testclient import TestClient

from server.explorer import CONTENT_SECURITY_POLICY, explorer_static_dir
from tests.server.browser import ARTIFACTS, Chromium, open_page, png_size, png_stats
from tests.server.conftest import LiveServer

PHONE = {"width": 390, "height": 844}

# ------------------------------------------------------------------ the page and its assets


class References(HTMLParser):
    """The src and href attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)


def test_explore_serves_the_page_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/explore")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "connect-src 'self';" in CONTENT_SECURITY_POLICY
    assert response.text.startswith("<!DOCTYPE html>")
    assert '<div id="cy"' in response.text


def test_page_refers_to_its_own_assets_only_and_all_are_served(client: TestClient) -> None:
    page = client.get("/explore").text
    parser = References()
    parser.feed(page)

    local = [url for url in parser.urls if not url.startswith("data:")]
    # Relative, so that the app works behind a proxy under a path prefix.
    assert sorted(local) == [
        "graphql",
        "static/explorer/cytoscape.min.js",
        "static/explorer/explorer.css",
        "static/explorer/explorer.js",
    ]
    assert not re.search(r"https?://|//[a-z]", page)
    for url in local:
        if url == "graphql":  # the link to GraphiQL
            continue
        response = client.get(urljoin("http://testserver/explore", url))
        assert response.status_code == 200, url
        name = url.rsplit("/", 1)[-1]
        assert response.content == (explorer_static_dir() / name).read_bytes()


def test_explorer_script_uses_only_the_graphql_api() -> None:
    script = (explorer_static_dir() / "explorer.js").read_text(encoding="utf-8")

    # One fetch, to the endpoint the page names; no other way out.
    assert script.count("fetch(") == 1
    for way_out in ("XMLHttpRequest", "WebSocket", "sendBeacon", "import(", "eval("):
        assert way_out not in script, way_out
    # Text from the graph reaches the page as text, never as markup.
    for markup in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write"):
        assert markup not in script, markup
    for operation in ("search(", "neighborhood(", "path(", "node(id: $id)"):
        assert operation in script, operation


def test_vendored_cytoscape_matches_its_versions_file() -> None:
    directory = explorer_static_dir()
    versions = (directory / "VERSIONS.txt").read_text(encoding="utf-8")

    assert re.search(r"^cytoscape@\d+\.\d+\.\d+  MIT  sha512-", versions, re.MULTILINE), versions
    sums = re.findall(r"^([0-9a-f]{64})  (\S+)  \(", versions, re.MULTILINE)
    assert {name for _, name in sums} == {"cytoscape.min.js", "LICENSE.cytoscape"}
    for digest, name in sums:
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest, name


def test_missing_explorer_asset_is_404(client: TestClient) -> None:
    assert client.get("/static/explorer/no-such-file.js").status_code == 404


# ------------------------------------------------------------------ in the browser

# True when nothing is loading and the drawing has a node labelled each of `labels`.
DRAWN_JS = """(labels) => {
  const ex = window.explorer;
  if (!ex || document.body.dataset.busy !== "false") { return false; }
  const drawn = new Set(ex.cy.nodes().map((n) => n.data("label")));
  return labels.every((label) => drawn.has(label));
}"""

# Nodes and edges as drawn: labels, kinds and relations.
GRAPH_JS = """() => {
  const cy = window.explorer.cy;
  const label = (id) => cy.getElementById(id).data("label");
  return {
    nodes: cy.nodes().map((n) => ({ label: n.data("label"), kind: n.data("kind"),
                                     classes: n.classes() })),
    edges: cy.edges().map((e) => ({ source: label(e.data("source")), relation: e.data("relation"),
                                    target: label(e.data("target")), classes: e.classes() })),
  };
}"""

# Where a node labelled `label` is on the screen, for a real mouse.
NODE_POSITION_JS = """(label) => {
  const node = window.explorer.cy.nodes().filter((n) => n.data("label") === label)[0];
  const at = node.renderedPosition();
  const box = document.getElementById("cy").getBoundingClientRect();
  return { x: box.left + at.x, y: box.top + at.y };
}"""


def open_explorer(page: Page, server: LiveServer) -> None:
    """Load /explore and wait until its first drawing (the first show's neighbourhood) is done."""
    page.goto(f"{server.url}/explore", wait_until="load")
    page.wait_for_function(DRAWN_JS, arg=["Heartstopper"])


def search_and_choose(page: Page, text: str, label: str) -> None:
    """Search like a user (type, Enter) and click the first hit, which must be ``label``."""
    page.fill("#search-text", text)
    page.press("#search-text", "Enter")
    first = page.locator("#results .result").first
    first.locator(".result-label", has_text=label).wait_for()
    assert first.locator(".result-label").text_content() == label
    first.click()


def graph(page: Page) -> dict[str, Any]:
    drawn: dict[str, Any] = page.evaluate(GRAPH_JS)
    return drawn


def labels(page: Page) -> set[str]:
    return {node["label"] for node in graph(page)["nodes"]}


def save_screenshot(page: Page, name: str, min_width: int) -> None:
    """Save ``test-artifacts/<name>`` and check it is not blank.

    Measured with this chromium: a blank page is 1 colour and 0 % coverage; the
    explorer with a drawing has 2,000 to 3,000 colours (anti-aliased shapes and
    text) and 20 to 28 % coverage on a laptop, about 40 % on a phone (the
    drawing is white, the panel grey).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    screenshot = page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes() == screenshot
    width, _ = png_size(screenshot)
    assert width >= min_width
    stats = png_stats(page, screenshot)
    assert stats["colours"] >= 300, f"{name} looks blank: {stats}"
    assert stats["coverage"] >= 0.1, f"{name} looks blank: {stats}"


def assert_used_only_the_api(requested: list[str], server: LiveServer) -> None:
    """Every request went to the server: the page, its assets, and POSTs to /graphql."""
    paths = {(line.split(" ", 1)[0], urlsplit(line.split(" ", 1)[1]).path) for line in requested}
    assert ("GET", "/static/explorer/cytoscape.min.js") in paths
    assert ("POST", "/graphql") in paths
    for method, path in paths:
        assert path in ("/explore", "/graphql") or path.startswith("/static/explorer/"), path
        assert method == "POST" if path == "/graphql" else method == "GET", (method, path)


@pytest.mark.browser
def test_search_then_click_draws_the_neighbourhood(
    live_server: LiveServer, chromium: Chromium
) -> None:
    with open_page(chromium, "explorer-failure.png") as (page, log):
        open_explorer(page, live_server)

        search_and_choose(page, "Nick", "Nick Nelson")
        page.wait_for_function(DRAWN_JS, arg=["Nick Nelson", "Kit Connor", "Charlie Spring"])

        drawn = graph(page)
        by_label = {node["label"]: node for node in drawn["nodes"]}
        # Nick at the centre, his actor and his boyfriend around him, each coloured by kind.
        assert "centre" in by_label["Nick Nelson"]["classes"]
        assert by_label["Nick Nelson"]["kind"] == "CHARACTER"
        assert by_label["Kit Connor"]["kind"] == "ACTOR"
        assert by_label["Charlie Spring"]["kind"] == "CHARACTER"
        assert "Heartstopper" in by_label  # the show, one step away
        # Edges are labelled by relation, in the graph's direction.
        edges = {(e["source"], e["relation"], e["target"]) for e in drawn["edges"]}
        assert ("Kit Connor", "PORTRAYS", "Nick Nelson") in edges
        assert ("Heartstopper", "HAS_CHARACTER", "Nick Nelson") in edges
        assert page.text_content("#status") == (
            "Nick Nelson and 5 nodes within 1 step. Click a node to expand it."
        )

        # Hovering shows a node's facts and their sources, fetched with node(id:).
        at = page.evaluate(NODE_POSITION_JS, "Kit Connor")
        page.mouse.move(at["x"], at["y"])
        tooltip = page.locator("#tooltip")
        tooltip.wait_for(state="visible")
        assert tooltip.locator("h3").text_content() == "Kit ConnorActor"
        assert tooltip.locator(".sources .badge").first.text_content() == "ARTICLE"

        save_screenshot(page, "explorer.png", 1280)
        log.assert_clean()
        assert_used_only_the_api(log.requested, live_server)


@pytest.mark.browser
def test_clicking_a_node_expands_it(live_server: LiveServer, chromium: Chromium) -> None:
    with open_page(chromium, "explorer-failure.png") as (page, log):
        open_explorer(page, live_server)
        search_and_choose(page, "Nick", "Nick Nelson")
        page.wait_for_function(DRAWN_JS, arg=["Kit Connor", "Charlie Spring"])
        before = labels(page)
        assert "Joe Locke" not in before

        # Charlie's neighbourhood brings in his actor, merged into what is drawn.
        at = page.evaluate(NODE_POSITION_JS, "Charlie Spring")
        page.mouse.click(at["x"], at["y"])
        page.wait_for_function(DRAWN_JS, arg=["Joe Locke"])

        after = graph(page)
        assert before < labels(page)
        expanded = [n["label"] for n in after["nodes"] if "expanded" in n["classes"]]
        assert sorted(expanded) == ["Charlie Spring", "Nick Nelson"]
        edges = {(e["source"], e["relation"], e["target"]) for e in after["edges"]}
        assert ("Joe Locke", "PORTRAYS", "Charlie Spring") in edges
        # The details panel shows the clicked node.
        page.locator("#details h3", has_text="Charlie Spring").wait_for()
        log.assert_clean()


@pytest.mark.browser
def test_the_drawing_can_be_walked_with_the_keyboard(
    live_server: LiveServer, chromium: Chromium
) -> None:
    with open_page(chromium, "explorer-failure.png") as (page, log):
        open_explorer(page, live_server)
        search_and_choose(page, "Nick", "Nick Nelson")
        page.wait_for_function(DRAWN_JS, arg=["Kit Connor", "Charlie Spring"])

        # The panel lists the centre's links, read like the edges.
        links = page.locator("#details .links .link")
        links.first.wait_for()
        texts = set(links.all_text_contents())
        assert {"Kit Connor PORTRAYS", "RELATED_TO Charlie Spring"} <= texts, texts

        # Enter on a link does what a click on the node does, and keeps the focus in the panel.
        links.filter(has_text="RELATED_TO Charlie Spring").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(DRAWN_JS, arg=["Joe Locke"])
        page.locator("#details h3", has_text="Charlie Spring").wait_for()
        page.wait_for_function("() => document.activeElement.matches('#details h3')")
        page.locator("#details .links .link", has_text="Joe Locke PORTRAYS").wait_for()
        log.assert_clean()


@pytest.mark.browser
def test_path_mode_draws_the_shortest_path_between_two_actors(
    live_server: LiveServer, chromium: Chromium
) -> None:
    with open_page(chromium, "explorer-failure.png") as (page, log):
        open_explorer(page, live_server)

        page.check('input[name="mode"][value="path"]')
        search_and_choose(page, "Kit Connor", "Kit Connor")
        assert page.text_content("#path-from") == "Kit Connor"
        search_and_choose(page, "Joe Locke", "Joe Locke")
        page.locator("#status", has_text="Shortest path").wait_for()
        page.wait_for_function(DRAWN_JS, arg=["Kit Connor", "Joe Locke"])

        drawn = graph(page)
        # Only the path is drawn: a chain from one actor to the other.
        assert {n["label"] for n in drawn["nodes"]} == {
            "Kit Connor",
            "Nick Nelson",
            "Charlie Spring",
            "Joe Locke",
        }
        assert len(drawn["edges"]) == len(drawn["nodes"]) - 1
        assert all("path" in e["classes"] for e in drawn["edges"])
        ends = sorted(n["label"] for n in drawn["nodes"] if "end" in n["classes"])
        assert ends == ["Joe Locke", "Kit Connor"]
        edges = {(e["source"], e["relation"], e["target"]) for e in drawn["edges"]}
        assert ("Kit Connor", "PORTRAYS", "Nick Nelson") in edges
        assert ("Joe Locke", "PORTRAYS", "Charlie Spring") in edges
        assert page.text_content("#status") == (
            "Shortest path from Kit Connor to Joe Locke: 3 edges."
        )
        # The view is in the URL's fragment, so it can be shared.
        assert "#from=" in page.url
        assert "&to=" in page.url

        save_screenshot(page, "explorer-path.png", 1280)
        log.assert_clean()
        assert_used_only_the_api(log.requested, live_server)


@pytest.mark.browser
def test_on_a_phone_the_panel_goes_under_the_drawing(
    live_server: LiveServer, chromium: Chromium
) -> None:
    with open_page(
        chromium, "explorer-phone-failure.png", viewport=PHONE, is_mobile=True, has_touch=True
    ) as (page, log):
        open_explorer(page, live_server)
        search_and_choose(page, "Nick", "Nick Nelson")
        page.wait_for_function(DRAWN_JS, arg=["Kit Connor", "Charlie Spring"])

        drawing = page.locator("#cy").bounding_box()
        panel = page.locator(".panel").bounding_box()
        assert drawing is not None
        assert panel is not None
        # Full width, one above the other; nothing wider than the screen.
        assert drawing["width"] == pytest.approx(PHONE["width"], abs=1)
        assert panel["width"] == pytest.approx(PHONE["width"], abs=1)
        assert panel["y"] >= drawing["y"] + drawing["height"]
        assert drawing["height"] >= PHONE["height"] / 3
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"]

        # Touch: tapping a node shows its facts in the panel and expands it.
        at = page.evaluate(NODE_POSITION_JS, "Charlie Spring")
        page.touchscreen.tap(at["x"], at["y"])
        page.wait_for_function(DRAWN_JS, arg=["Joe Locke"])
        page.locator("#details h3", has_text="Charlie Spring").wait_for()

        save_screenshot(page, "explorer-phone.png", PHONE["width"])
        log.assert_clean()
