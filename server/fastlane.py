"""The fast lane to ``/graphql``: plain GraphQL requests skip the generic layers.

Before an endpoint runs, every request passes our middlewares (request id,
body limit, WebSocket origins), Starlette's exception middleware, the
router's path matching and its per-route wrappers, and the answer goes back
out through a wrapper of ``send`` per layer. For an answer from the response
cache or a compiled plan, those layers cost more than the answer itself, and
GraphQL requests are nearly all of the traffic. So this middleware, first in
the stack, hands the plain ones straight to the endpoint and does itself what
the skipped layers would have done for them:

- the request id (``server.logs.bound_request_id``), sent back in
  ``X-Request-ID``;
- the body limit: only requests that announce a body within it take the lane
  (the server reads no more than ``Content-Length``); the endpoint catches its
  own errors, and anything unexpected still meets Starlette's outermost error
  middleware.

A request whose exact bytes were answered before
(``GraphQLEndpoint.known_answer``) is answered without being parsed at all:
from the response cache, or by running its compiled plan. Everything else
goes the whole way, unchanged: other paths and methods, chunked bodies or
bodies over the limit (for the 413), requests with an ``Origin`` when CORS is
on, WebSockets and lifespan events.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.graphql_http import GraphQLEndpoint
from server.logs import REQUEST_ID_HEADER_RAW, bound_request_id


class GraphQLFastLane:
    """ASGI middleware: plain GET and POST requests to ``path`` go straight to ``endpoint``."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: GraphQLEndpoint,
        path: str,
        max_body_bytes: int,
        cors: bool,
    ) -> None:
        self.app = app
        self.endpoint = endpoint
        self.path = path
        self.max_body_bytes = max_body_bytes
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._plain(scope):
            await self.app(scope, receive, send)
            return
        with bound_request_id(scope) as request_id:
            id_header = (REQUEST_ID_HEADER_RAW, request_id.encode("latin-1"))
            body = await _read_body(receive) if scope["method"] == "POST" else None
            known = await self.endpoint.known_answer(
                scope, scope["query_string"] if body is None else body
            )
            if known is not None:  # a repeat, answered without parsing anything
                start, answer = known
                start["headers"].append(id_header)
                await send(start)
                await send(answer)
                return
            if body is not None:
                receive = _replay(body, receive)
            response = await self.endpoint.handle(Request(scope, receive), body)
            response.raw_headers.append(id_header)
            await response(scope, receive, send)

    def _plain(self, scope: Scope) -> bool:
        """A GET or POST to the endpoint that no skipped layer would treat specially."""
        if scope["type"] != "http" or scope["path"] != self.path:
            return False
        method: str = scope["method"]
        if method != "GET" and method != "POST":
            return False
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding" or (self.cors and name == b"origin"):
                return False
        if length is None:
            return method == "GET"  # a POST without a length streams: the limit counts it
        return length.isdigit() and int(length) <= self.max_body_bytes


async def _read_body(receive: Receive) -> bytes:
    """The whole body; its length was checked against the limit before."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""  # the client left; the endpoint will find out the same way
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the connection says next."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
