"""GraphiQL in a real headless Chromium against ``showgraph serve``, with the network closed.

Every request to a host other than the server's (127.0.0.1/localhost) is aborted
and recorded, so the page must work from the vendored assets alone.  Needs
Debian's chromium at /usr/bin/chromium (``apt-get install -y chromium``);
Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from server.graphql_http import DEFAULT_QUERY
from tests.server.conftest import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
# Schemes that never leave the browser; everything else must go to a local host.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

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

# Decodes a PNG (base64) with the browser's own decoder; returns its size, how
# many distinct RGB colours it has, and the share of pixels that differ from the
# most common colour.  Runs on a separate about:blank page.
PNG_STATS_JS = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0);
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(rgb, (counts.get(rgb) || 0) + 1);
  }
  const dominant = Math.max(...counts.values());
  const pixels = bitmap.width * bitmap.height;
  return {
    width: bitmap.width,
    height: bitmap.height,
    colours: counts.size,
    coverage: (pixels - dominant) / pixels,
  };
}"""


@dataclass
class PageLog:
    """What a page did on the network and the console."""

    blocked: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def guard(self, route: Route) -> None:
        """Let local requests through; abort and record everything else."""
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS:
            self.requested.append(f"{route.request.method} {url}")
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location})")


class Chromium:
    """Launches /usr/bin/chromium on first use, so that a missing binary fails the test."""

    def __init__(self, playwright: Playwright) -> None:
        self._playwright = playwright
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        if self._browser is None:
            if not CHROMIUM.exists():
                pytest.fail(
                    f"{CHROMIUM} not found: the browser tests need Debian's chromium. Install "
                    "it with `sudo apt-get install -y chromium` (scripts/test.sh does this when "
                    "it can); Playwright's downloaded browsers are not used.",
                    pytrace=False,
                )
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                timeout=TIMEOUT_MS,
            )
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    with sync_playwright() as playwright:
        handle = Chromium(playwright)
        try:
            yield handle
        finally:
            handle.close()


@contextmanager
def open_page(chromium: Chromium) -> Iterator[tuple[Page, PageLog]]:
    """A page in a fresh context (empty localStorage) whose only network is the local server."""
    log = PageLog()
    context = chromium.browser().new_context(viewport={"width": 1280, "height": 900})
    try:
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.route("**/*", log.guard)
        page = context.new_page()
        page.on("console", log.on_console)
        page.on("pageerror", lambda error: log.page_errors.append(str(error)))
        page.on(
            "requestfailed",
            lambda request: log.failed.append(f"{request.url}: {request.failure}"),
        )
        try:
            yield page, log
        except Exception:
            # Best effort: what the page looked like when the test gave up.
            ARTIFACTS.mkdir(exist_ok=True)
            with suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / "graphiql-failure.png"), full_page=True)
            raise
    finally:
        context.close()


def editor_text(page: Page, selector: str) -> str:
    value = page.evaluate(
        "(s) => document.querySelector(s).CodeMirror.getValue()",
        selector,
    )
    assert isinstance(value, str)
    return value


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


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
        assert log.blocked == []
        assert log.page_errors == []
        assert log.console_errors == []
        assert log.failed == []
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
        decoder = page.context.new_page()
        try:
            stats = decoder.evaluate(PNG_STATS_JS, base64.b64encode(screenshot).decode("ascii"))
        finally:
            decoder.close()
        assert (stats["width"], stats["height"]) == (width, height)
        assert stats["colours"] >= 500, f"screenshot looks blank: {stats}"
        assert stats["coverage"] >= 0.2, f"screenshot looks blank: {stats}"


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
