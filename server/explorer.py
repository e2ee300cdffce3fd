"""The graph explorer: a page at ``/explore`` that draws the graph around a node.

Why a separate page from GraphiQL: GraphiQL is for people who write queries;
the explorer is for people who want to look around (search, click to expand,
hover to see a node's facts and their sources, ask for the shortest path
between two nodes). It is a client of the public GraphQL API only (POST
``graphql``, relative to the page), so it shows nothing the API does not, and
doubles as a worked example of using it from a browser.

Everything it loads is in ``server/static/explorer/``: the page, one script,
one stylesheet and Cytoscape.js, vendored and pinned by
``scripts/refresh_cytoscape.sh`` (see ``VERSIONS.txt`` there). So it works
offline, and its Content-Security-Policy can forbid every other origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["EXPLORER_PATH", "EXPLORER_STATIC_PREFIX", "explorer_routes", "explorer_static_dir"]

EXPLORER_PATH: Final[str] = "/explore"
EXPLORER_STATIC_PREFIX: Final[str] = "/static/explorer"

_STATIC_DIR: Final[Path] = Path(__file__).resolve().parent / "static" / "explorer"
_PAGE: Final[str] = "explorer.html"

# Defence in depth for a page that shows text anyone with a token can write:
# the script builds the DOM with textContent only, and even if that slipped,
# no inline or foreign script would run and nothing could be sent elsewhere.
# Styles allow 'unsafe-inline' because Cytoscape.js injects one small <style>
# element into the document head; styles cannot run code.
CONTENT_SECURITY_POLICY: Final[str] = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def explorer_static_dir() -> Path:
    """The directory of the explorer's files, found from this file, not the working directory."""
    return _STATIC_DIR


async def explorer_page(request: Request) -> Response:
    """The explorer page itself; a file, so that it needs no template and no build step."""
    return FileResponse(
        _STATIC_DIR / _PAGE,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            # The page is small and changes with the code: always revalidate.
            "Cache-Control": "no-cache",
        },
    )


def explorer_routes() -> list[BaseRoute]:
    """The ``/explore`` page and its assets under ``/static/explorer``, for the app's routes.

    The page refers to its assets and to the GraphQL endpoint by relative URLs,
    so the whole app can sit under a path prefix behind a reverse proxy.
    """
    return [
        Route(EXPLORER_PATH, explorer_page, methods=["GET", "HEAD"], name="explorer"),
        Mount(
            EXPLORER_STATIC_PREFIX,
            StaticFiles(directory=_STATIC_DIR),
            name="explorer-static",
        ),
    ]
