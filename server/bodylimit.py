"""Request body size limit, enforced while the body arrives.

A body announced larger than the limit (Content-Length) is refused before a
byte of it is read; a body without a length (chunked) is counted as it
streams in and refused as soon as it passes the limit. Either way the server
never buffers more than the limit, and the answer is 413 with a GraphQL error.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.settings import PREFIX


class BodyTooLargeError(Exception):
    """Raised inside ``receive`` when the body passes the limit; turned into a 413."""


class BodySizeLimit:
    """ASGI middleware: 413 for HTTP request bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLargeError:
            if started:  # the app answered before reading everything; nothing to add
                return
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        limit = self.max_bytes
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": f"Body size limit exceeded: the request body is larger than "
                        f"{limit} bytes; the limit is {limit} bytes.",
                        "extensions": {
                            "code": "LIMIT_EXCEEDED",
                            "limit": limit,
                            "setting": PREFIX + "MAX_BODY_BYTES",
                        },
                    }
                ]
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
