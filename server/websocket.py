"""GraphQL over WebSocket (graphql-transport-ws) at /graphql, through the request pipeline.

Strawberry speaks the protocol (connection_init, subscribe, next, complete,
pings); every operation it receives is handed to the same pipeline as HTTP
requests (``server.pipeline``), so queries, mutations and subscription starts
meet the same limits, the same rate limiter and the same error masking.

Browsers cannot set headers on a WebSocket, so a client authenticates in the
``connection_init`` payload, as Apollo and graphql-ws clients do:
``{"Authorization": "Bearer <token>"}`` (any case, or under ``headers``); an
``Authorization`` header on the upgrade request works too. Mutations need it;
without it they are refused with ``UNAUTHENTICATED``.

Browsers apply no CORS to WebSockets, so the handshake's ``Origin`` is
checked before it is accepted, by the rule CORS follows (``server.cors``):
pages from this server's own host and the ``--cors-origins`` are let in,
any other page is refused with 403. That check is Strawberry's, given our
rule through its hook (``is_websocket_origin_allowed``), so there is one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from graphql import ExecutionResult as CoreResult
from graphql import GraphQLError, OperationType
from starlette.requests import HTTPConnection, Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.execution import ExecutionResult, PreExecutionError

from server.cors import origin_allowed
from server.errors import format_error
from server.pipeline import GraphQLRequest, Pipeline, Refused, Transport
from server.ratelimit import RequestBudget, TokenBuckets


class SocketContext:
    """What one connection knows: its socket and what its ``connection_init`` said."""

    def __init__(self, connection: HTTPConnection) -> None:
        self.connection = connection
        self.connection_params: Any = None  # set by the protocol handler on connection_init


class WebSocketEndpoint(GraphQL):
    """graphql-transport-ws at /graphql; operations run through ``pipeline``.

    ``origins`` are the pages on other sites that may connect: the CORS
    setting (``--cors-origins``).
    """

    def __init__(
        self,
        pipeline: Pipeline,
        buckets: TokenBuckets | None = None,
        client_key: Callable[[Request], str] | None = None,
        origins: Sequence[str] = (),
    ) -> None:
        super().__init__(
            pipeline.schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
        )
        # The protocol handler runs operations with ``self.schema.stream``.
        self.schema = _PipelineSchema(pipeline, buckets, client_key)  # type: ignore[assignment]
        self.origins = frozenset(origins)

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """A page from another host: allowed when CORS allows it (Strawberry asks us).

        Strawberry lets in handshakes without ``Origin`` (not a browser) and
        from this server's own host before asking; the rest is CORS's rule.
        """
        return origin_allowed(origin, request.headers.get("host"), self.origins)

    async def get_context(self, request: Request | WebSocket, response: Any) -> SocketContext:  # type: ignore[override]
        return SocketContext(request)


class _PipelineSchema:
    """Stands in for the schema the protocol handler calls: ``stream`` runs the pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        buckets: TokenBuckets | None,
        client_key: Callable[[Request], str] | None,
    ) -> None:
        self.pipeline = pipeline
        self.buckets = buckets
        self.client_key = client_key

    def __getattr__(self, name: str) -> Any:  # anything else the view asks of its schema
        return getattr(self.pipeline.schema, name)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: SocketContext | None = None,
        root_value: Any = None,
        operation_name: str | None = None,
        **_: Any,
    ) -> AsyncIterator[ExecutionResult]:
        """One operation's results: one for a query or mutation, a stream for a subscription."""
        assert context_value is not None  # get_context makes one per connection
        writer = self.pipeline.writes.tokens.writer(_authorization(context_value))
        budget = self._budget(context_value.connection, writer)
        if budget is not None and budget.refusal is not None:
            return _once(PreExecutionError(data=None, errors=_masked([budget.refusal])))
        request = GraphQLRequest(
            query, variable_values, operation_name, None, Transport.WEBSOCKET, writer, budget
        )
        try:
            prepared = self.pipeline.prepare(request)
        except Refused as refused:
            return _once(PreExecutionError(data=None, errors=_masked(refused.errors)))
        if prepared.kind is not OperationType.SUBSCRIPTION:
            return _once(_converted(await self.pipeline.execute(prepared)))
        found = await self.pipeline.subscribe(prepared)
        if isinstance(found, CoreResult):  # it ended before its first event
            return _once(PreExecutionError(data=None, errors=_masked(found.errors or [])))
        return _events(found)

    def _budget(self, connection: HTTPConnection, writer: str | None) -> RequestBudget | None:
        if self.buckets is None or self.client_key is None:
            return None
        connection.state.token_name = writer  # rate limits count per token, as over HTTP
        return RequestBudget(self.buckets, self.client_key(connection))  # type: ignore[arg-type]


def _authorization(context: SocketContext) -> str | None:
    """The ``Authorization`` value from connection_init's payload, or the upgrade request's."""
    payload = context.connection_params
    for source in (payload, payload.get("headers") if isinstance(payload, dict) else None):
        if isinstance(source, dict):
            for key, value in source.items():
                if isinstance(key, str) and key.lower() == "authorization":
                    return value if isinstance(value, str) else None
    return context.connection.headers.get("authorization")


class _FormattedError(GraphQLError):
    """An error as the client may see it (``server.errors``): masked when unexpected."""

    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.entry = format_error(error)

    @property
    def formatted(self) -> Any:
        return self.entry


def _masked(errors: list[GraphQLError]) -> list[GraphQLError]:
    return [_FormattedError(error) for error in errors]


def _converted(result: CoreResult) -> ExecutionResult:
    errors = _masked(result.errors) if result.errors else None
    return ExecutionResult(data=result.data, errors=errors, extensions=result.extensions)


async def _once(result: ExecutionResult) -> AsyncIterator[ExecutionResult]:
    yield result


async def _events(source: AsyncIterator[CoreResult]) -> AsyncIterator[ExecutionResult]:
    try:
        async for result in source:
            yield _converted(result)
    finally:
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()
