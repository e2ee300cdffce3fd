"""Which web pages may talk to the server: CORS for HTTP, the same rule for WebSockets.

By default no other origin is allowed: without CORS headers a browser lets a
page on another site neither read our answers nor send a JSON POST (its
preflight fails). Simple cross-site requests, the CSRF vector, cannot run
anything either: POST bodies must be ``application/json``, and forms or
``text/plain`` get 415 (``server.graphql_http``).

Browsers apply no CORS to WebSockets: they connect from any page and only say
where from, in ``Origin``. So the WebSocket endpoint (``server.websocket``)
checks the handshake by the same rule, ``origin_allowed``, before accepting it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

# The headers a cross-origin page may read besides the simple ones (server.ratelimit).
EXPOSED_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]

# Close code for a refused handshake: policy violation (RFC 6455).
POLICY_VIOLATION = 1008


def cors_middleware(origins: Sequence[str]) -> list[Middleware]:
    """CORS for the configured origins; none configured means no CORS headers at all."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Accept", "Authorization", "Content-Type"],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    ]


def origin_allowed(origin: str | None, host: str | None, allowed: Collection[str]) -> bool:
    """Whether a request sent with this ``Origin`` may be served.

    A request without ``Origin`` is not from a browser page and is allowed
    (browsers always send it on WebSocket handshakes). A page from the
    server's own host is allowed, as are the configured origins ("*" allows
    all). Anything else, ``null`` included, is refused.
    """
    if origin is None:
        return True
    if "*" in allowed or origin in allowed:
        return True
    if origin == "null" or host is None:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()
