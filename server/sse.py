"""GraphQL over Server-Sent Events at /graphql: graphql-sse's "distinct connections" mode.

For clients and networks without WebSockets: a ``POST`` (or ``GET``) to
``/graphql`` with ``Accept: text/event-stream`` is answered with an event
stream carrying the operation's results, one ``next`` event each, then one
``complete`` event (the graphql-sse protocol, as GraphQL Yoga serves it):

    event: next
    data: {"data": {...}}

    event: complete
    data:

A query or mutation sends one ``next``; a subscription one per event, until
the client closes the connection (or the server ends the stream). The
request is read like any other GraphQL-over-HTTP request
(``server.graphql_http``) and goes through the same pipeline
(``server.pipeline``, ``Transport.SSE``/``SSE_GET``), so it meets the same
auth (a bearer token in ``Authorization``), limits, rate limits and error
masking. As the protocol asks, a request the pipeline refuses is still
answered 200 with a stream: a ``next`` holding the errors, then
``complete`` (a 4xx would make browsers' ``EventSource`` fail without saying
why); requests that cannot be read at all (not JSON, the wrong content type)
get the usual HTTP error. A subscription's stream starts (its headers are
sent) only once it listens, so a change made after a client saw the
response start reaches it. A comment line is sent first (so proxies and
browsers see the stream start) and after every ``PING_SECONDS`` of silence,
which keeps idle connections from being cut by proxies.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import ExecutionResult, OperationType
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from server.errors import masked_entry, result_body
from server.pipeline import Pipeline, Prepared

EVENT_STREAM = "text/event-stream"

# Silence after which a comment is sent: graphql-sse's own server pings every 12 s,
# under the 30-60 s after which common proxies drop an idle connection.
PING_SECONDS = 12.0

# What is sent at once, and as a keep-alive: a comment, which clients ignore.
PING = b":\n\n"
COMPLETE = b"event: complete\ndata:\n\n"

# Headers of every stream: not to be stored, and not to be buffered by nginx.
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def wants_events(accept: str) -> bool:
    """Whether ``Accept`` prefers an event stream to JSON (the first of them it lists)."""
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media == EVENT_STREAM:
            return True
        if media in ("application/json", "application/graphql-response+json"):
            return False
    return False


def next_event(payload: dict[str, Any]) -> bytes:
    """One ``next`` message; orjson writes no newline, so ``data`` is one line."""
    return b"event: next\ndata: " + orjson.dumps(payload) + b"\n\n"


def refused_stream(errors: list[dict[str, Any]]) -> StreamingResponse:
    """The stream for a request the pipeline refused: its (formatted) errors, ``complete``."""
    return EventStream(_once({"errors": errors}))


async def prepared_stream(
    pipeline: Pipeline, prepared: Prepared, ping_seconds: float = PING_SECONDS
) -> StreamingResponse:
    """The stream of a prepared operation's results.

    A query or mutation runs as the stream starts. A subscription is started
    here, before the response: its first event is awaited in a task that has
    run until it waits (for the hub's next change), so it already listens
    when the client sees the stream begin.
    """
    if prepared.kind is not OperationType.SUBSCRIPTION:
        return EventStream(_executed(pipeline, prepared))
    found = await pipeline.subscribe(prepared)
    if isinstance(found, ExecutionResult):  # it ended before its first event
        return EventStream(_once(result_body(found)))
    subscription = Subscription(found)
    await asyncio.sleep(0)  # the first event's task runs until it waits for a change
    return EventStream(_events(subscription, ping_seconds), subscription)


class Subscription:
    """A subscription's source and the task awaiting its next result; closed once."""

    def __init__(self, source: AsyncIterator[ExecutionResult]) -> None:
        self.source = source
        self.pending: asyncio.Future[ExecutionResult] | None = None
        self.closed = False
        self.ask()

    def ask(self) -> asyncio.Future[ExecutionResult]:
        """The next result, awaited in a task of its own (a ping must not cancel it)."""
        self.pending = asyncio.ensure_future(anext(self.source))
        return self.pending

    async def close(self) -> None:
        """Stop awaiting and close the source, which ends the listener in the hub."""
        if self.closed:
            return
        self.closed = True
        pending, self.pending = self.pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        close = getattr(self.source, "aclose", None)
        if close is not None:
            await close()


class EventStream(StreamingResponse):
    """An event stream that closes its subscription however the response ends.

    The messages' own ``finally`` covers a stream that started; this covers
    a client gone before its first message was sent.
    """

    def __init__(
        self, messages: AsyncIterator[bytes], subscription: Subscription | None = None
    ) -> None:
        super().__init__(messages, media_type=EVENT_STREAM, headers=STREAM_HEADERS)
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.subscription is not None:
                await self.subscription.close()


async def _once(payload: dict[str, Any]) -> AsyncIterator[bytes]:
    yield next_event(payload)
    yield COMPLETE


async def _executed(pipeline: Pipeline, prepared: Prepared) -> AsyncIterator[bytes]:
    yield PING
    yield next_event(result_body(await pipeline.execute(prepared)))
    yield COMPLETE


async def _events(subscription: Subscription, ping_seconds: float) -> AsyncIterator[bytes]:
    """A comment, each result as a ``next`` (a comment whenever ``ping_seconds`` pass
    without one), then ``complete``. When the client leaves, Starlette cancels the
    stream and the subscription is closed."""
    yield PING
    try:
        while True:
            pending = subscription.pending or subscription.ask()
            done, _ = await asyncio.wait({pending}, timeout=ping_seconds)
            if not done:
                yield PING
                continue
            subscription.pending = None
            try:
                result = pending.result()
            except StopAsyncIteration:
                break
            yield next_event(result_body(result))
    except Exception as error:  # a fault of ours mid-stream: masked and logged, then the end
        yield next_event({"errors": [masked_entry(error, "in an event stream")]})
    finally:
        await subscription.close()
    yield COMPLETE
