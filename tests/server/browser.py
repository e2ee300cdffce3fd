"""Headless Chromium for the browser tests, with the network closed but for the local server.

Shared by ``test_browser.py`` (GraphiQL) and ``test_explorer.py`` (the graph
explorer). Every request to a host other than the server's (127.0.0.1 or
localhost) is aborted and recorded, so a page must work from its vendored
assets alone. Needs Debian's chromium at /usr/bin/chromium (``apt-get install
-y chromium``); Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Route

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
DESKTOP = {"width": 1280, "height": 900}

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

    def assert_clean(self) -> None:
        """Nothing tried to leave the machine, and nothing went wrong."""
        assert self.blocked == []
        assert self.page_errors == []
        assert self.console_errors == []
        assert self.failed == []


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


@contextmanager
def open_page(
    chromium: Chromium,
    failure_screenshot: str = "graphiql-failure.png",
    viewport: dict[str, int] | None = None,
    **context_options: Any,
) -> Iterator[tuple[Page, PageLog]]:
    """A page in a fresh context (empty localStorage) whose only network is the local server.

    When the test fails inside the block, what the page looked like is saved
    as ``test-artifacts/<failure_screenshot>``.
    """
    log = PageLog()
    context = chromium.browser().new_context(viewport=viewport or DESKTOP, **context_options)
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
                page.screenshot(path=str(ARTIFACTS / failure_screenshot), full_page=True)
            raise
    finally:
        context.close()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def png_stats(page: Page, screenshot: bytes) -> dict[str, Any]:
    """Size, distinct colours and non-background share of a PNG, decoded by the browser."""
    decoder = page.context.new_page()
    try:
        stats: dict[str, Any] = decoder.evaluate(
            PNG_STATS_JS, base64.b64encode(screenshot).decode("ascii")
        )
    finally:
        decoder.close()
    assert (stats["width"], stats["height"]) == png_size(screenshot)
    return stats
