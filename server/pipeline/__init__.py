"""One request pipeline for every transport: HTTP GET and POST, WebSockets, Server-Sent Events.

A transport reads its request into a ``GraphQLRequest`` and hands it here;
every request then meets the same stages, in this order, each in a module of
its own:

1. persisted query: a hash stands for a document (``server.caching``);
2. parse, with the token and size limits enforced while lexing (``documents``);
3. select the operation (``operations``), and check the transport may run it
   and the client may (mutations need a token);
4. validate, once per document (``validation``);
5. coerce the variables (``variables``);
6. analyse what runs, with those variables: depth, aliases, directives and
   the cost on the graph being served (``server.limits``, ``server.cost``);
7. charge the client's rate-limit budget (``server.ratelimit``);
8. execute: a compiled plan or the reference executor (``execution``), and
   report the cost requested and actually incurred (``extensions.cost``),
   refunding the difference to the budget.

Serializing and caching answers are the transport's, as they differ between
an HTTP body and a WebSocket message. A request refused before execution
raises ``Refused`` with the errors to answer; a persisted query is registered
only once its document has validated. A request like one answered before
enters later: its exact bytes at execution (``prepared_again``), a POST of
the same document, operation and headers with new variables at stage 5
(``prepared_with``), since the stages before gave their verdict on it then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType
from graphql.execution.values import VariableValues

from graph_data import ShowGraph
from schema.connections import page_limit
from server.caching import KnownDocument, KnownRequest, PersistedQueries, PersistedQueryError
from server.context import RequestContext
from server.cost import actual_cost
from server.limits import analyse, verdict_inputs
from server.pipeline.documents import Document, Documents
from server.pipeline.execution import CountedResult, Executor
from server.pipeline.operations import select_operation
from server.pipeline.validation import Validator
from server.pipeline.variables import PlainVariables, VariablesError, coerce_variables
from server.ratelimit import RequestBudget
from server.settings import Settings
from server.writes import WriteSide

# Limits' verdicts kept per document (``Pipeline._analyse``).
KEPT_VERDICTS = 64
_ABSENT = object()  # a variable the request did not give


def _frozen(value: Any) -> Any:
    """A variable's value as part of a dict key: lists as tuples (dicts stay unhashable)."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


class Transport(Enum):
    """How a request came; it decides which operations may run over it."""

    GET = "GET"
    POST = "POST"
    WEBSOCKET = "WebSocket"
    SSE = "SSE"  # a POST answered with an event stream (server.sse)
    SSE_GET = "SSE over GET"  # the same over GET: safe, so no mutations

    @property
    def streams(self) -> bool:
        """Whether it can carry a subscription's events."""
        return self in _STREAMING

    @property
    def safe(self) -> bool:
        """A GET: it must change nothing (RFC 9110), so it runs no mutation."""
        return self is Transport.GET or self is Transport.SSE_GET


_STREAMING = frozenset({Transport.WEBSOCKET, Transport.SSE, Transport.SSE_GET})


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """What a transport read: the GraphQL parameters, and who sent them."""

    query: str | None  # None when a persisted query's hash stands for it
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    transport: Transport
    writer: str | None = None  # the name of the token the request carries
    budget: RequestBudget | None = None  # the client's rate-limit budget, when limits are on


class Refused(Exception):  # noqa: N818 (a refusal, not a fault)
    """A request the pipeline will not run.

    ``status`` is the HTTP status it has whatever the response type (401, 405,
    429 ...); None for a GraphQL request error, whose status depends on the
    media type (200 for ``application/json``, 400 for
    ``application/graphql-response+json``).
    """

    def __init__(
        self,
        errors: list[GraphQLError],
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(errors[0].message)
        self.errors = errors
        self.status = status
        self.headers = headers or {}
        self.document: Document | None = None  # the parsed document, when it was parsed


@dataclass(slots=True)
class Prepared:
    """A request that passed every stage before execution: what will run, and its cost."""

    request: GraphQLRequest
    document: Document
    operation: OperationDefinitionNode
    variables: VariableValues
    cost: int  # the estimate: the most fields it can resolve on the graph served

    @property
    def kind(self) -> OperationType:
        return self.operation.operation

    @property
    def name(self) -> str | None:
        """The operation's own name, for logs and metrics."""
        operation = self.operation
        return operation.name.value if operation.name else self.request.operation_name


def operation_name_of(document: Document, asked: str | None) -> str | None:
    """The name logs use for the operation a request asks for, if the document says."""
    try:
        operation = select_operation(document, asked)
    except GraphQLError:
        return asked
    return operation.name.value if operation.name else asked


class Pipeline:
    """The stages above, bound to one schema, graph and set of settings."""

    def __init__(
        self,
        schema: strawberry.Schema,
        graph: ShowGraph,
        settings: Settings,
        writes: WriteSide,
        persisted: PersistedQueries,
        executor: Executor,
        documents: Documents,
    ) -> None:
        self.schema = schema
        self.graph = graph
        self.settings = settings
        self.writes = writes
        self.persisted = persisted
        self.executor = executor
        self.documents = documents
        self.validator = Validator(schema._schema, settings.introspection)
        self._anonymous = writes.context_fields(None)  # the same for every reader

    # --- before execution ---------------------------------------------------------------

    def prepare(self, request: GraphQLRequest) -> Prepared:
        """Run every stage before execution; ``Refused`` when one refuses."""
        text, register = self._document_text(request)
        document = self._parse(text)
        try:
            return self._prepare(request, document, register, text)
        except Refused as refused:
            refused.document = document  # one seen once is not kept: its name is told here
            raise

    def _prepare(
        self, request: GraphQLRequest, document: Document, register: str | None, text: str
    ) -> Prepared:
        operation = self._select(document, request)
        errors = self.validator.errors(document)
        if errors:
            raise Refused(errors)
        if register is not None:
            self.persisted.register(register, text)
        variables = self._coerce(document, operation, request)
        cost = self._analyse(document, operation, variables)
        if request.budget is not None:
            refusal = request.budget.charge(cost)
            if refusal is not None:
                raise Refused([refusal], 429)
        return Prepared(request, document, operation, variables, cost)

    def _analyse(
        self, document: Document, operation: OperationDefinitionNode, variables: VariableValues
    ) -> int:
        """The limits' verdict: the cost estimate, or ``Refused``; kept while it holds.

        A verdict depends on the operation, the graph (its version) and the
        values of a few variables (``verdict_inputs``), so a document sent
        again with new values of other variables reuses it. Refusals are not
        kept; at most ``KEPT_VERDICTS`` verdicts a document.
        """
        inputs = document.verdict_inputs.get(id(operation))
        if inputs is None:
            # Without variable definitions there is none to read (validation refuses an
            # undefined one): no walk for a new document without variables.
            inputs = ()
            if operation.variable_definitions:
                inputs = verdict_inputs(operation, document.fragments)
            document.verdict_inputs[id(operation)] = inputs
        values = variables.coerced
        key: tuple[Any, ...] | None = (
            id(operation),
            self.graph.version,
            *(_frozen(values.get(name, _ABSENT)) for name in inputs),
        )
        try:
            found = document.verdicts.get(key)  # type: ignore[arg-type]
        except TypeError:  # a value that cannot be a key: worked out every time
            found, key = None, None
        if found is not None:
            return found
        try:
            cost = analyse(
                self.settings,
                self.schema._schema,
                self.graph,
                operation,
                document.fragments,
                variables,
            )
        except GraphQLError as error:
            raise Refused([error]) from None
        if key is not None:
            if len(document.verdicts) >= KEPT_VERDICTS:
                document.verdicts.clear()  # old versions' and rare values' verdicts
            document.verdicts[key] = cost
        return cost

    def _document_text(self, request: GraphQLRequest) -> tuple[str, str | None]:
        """The document's text, and the hash to register it under once it validates."""
        try:
            text, register = self.persisted.resolve(request.query, request.extensions)
        except PersistedQueryError as error:
            status = {"PERSISTED_QUERY_NOT_FOUND": 200, "PERSISTED_QUERY_NOT_ALLOWED": 403}
            raise Refused(
                [GraphQLError(str(error), extensions={"code": error.code})],
                status.get(error.code, 400),
            ) from None
        if text is None:
            raise Refused([GraphQLError("the request has no `query`")], 400)
        return text, register

    def _parse(self, text: str) -> Document:
        try:
            return self.documents.get(text)
        except GraphQLError as error:
            raise Refused([error]) from None

    def _select(self, document: Document, request: GraphQLRequest) -> OperationDefinitionNode:
        """The operation to run, if the transport carries it and the client may run it."""
        try:
            operation = select_operation(document, request.operation_name)
        except GraphQLError as error:
            raise Refused([error]) from None
        kind = operation.operation
        transport = request.transport
        if kind is OperationType.SUBSCRIPTION and not transport.streams:
            raise Refused(
                [
                    GraphQLError(
                        "subscriptions need a stream: send `Accept: text/event-stream` "
                        "(Server-Sent Events) or subscribe over a WebSocket"
                    )
                ],
                400,
            )
        if kind is OperationType.MUTATION and transport.safe:
            raise Refused(
                [GraphQLError("mutations are not allowed when using GET; use POST")],
                405,
                {"Allow": "POST"},
            )
        if kind is OperationType.MUTATION and request.writer is None:
            how = (
                '(send {"Authorization": "Bearer <token>"} as the connection_init payload)'
                if transport is Transport.WEBSOCKET
                else "(Authorization: Bearer <token>)"
            )
            raise Refused(
                [
                    GraphQLError(
                        f"mutations need a valid bearer token {how}",
                        extensions={"code": "UNAUTHENTICATED"},
                    )
                ],
                401,
                {"WWW-Authenticate": "Bearer"},
            )
        return operation

    def _coerce(
        self, document: Document, operation: OperationDefinitionNode, request: GraphQLRequest
    ) -> VariableValues:
        schema = self.schema._schema
        key = id(operation)
        if key in document.coercers:
            plain = document.coercers[key]
        else:
            plain = document.coercers[key] = PlainVariables.of(schema, operation)
        try:
            return coerce_variables(
                schema,
                operation,
                request.variables,
                hide_suggestions=not self.settings.introspection,
                plain=plain,
            )
        except VariablesError as error:
            raise Refused(error.errors) from None

    def prepared_again(self, known: KnownRequest) -> Prepared | None:
        """What known request bytes were prepared into, while their document is still parsed."""
        document = self.documents.peek(known.text)
        if document is None:
            return None
        request = GraphQLRequest(known.text, None, known.operation_name, None, Transport.POST)
        operation = select_operation(document, known.operation_name)
        return Prepared(request, document, operation, known.variables, known.cost)

    def prepared_with(
        self, known: KnownDocument, variables: dict[str, Any] | None
    ) -> Prepared | None:
        """A known document's POST with variables of its own, from stage 5 on.

        Stages 1-4 gave their verdict on this document, operation and
        transport before (``KnownDocument``); the stages that read the
        variables run as for any request: coercing them and the limits'
        verdict. None when the document was forgotten or a stage refuses: the
        full path then words the refusal (anonymous requests have no budget
        to charge).
        """
        document = self.documents.peek(known.text)
        if document is None:
            return None
        request = GraphQLRequest(known.text, variables, known.operation_name, None, Transport.POST)
        operation = select_operation(document, known.operation_name)
        try:
            coerced = self._coerce(document, operation, request)
            cost = self._analyse(document, operation, coerced)
        except Refused:
            return None
        return Prepared(request, document, operation, coerced, cost)

    # --- execution ------------------------------------------------------------------

    def context(self, request: GraphQLRequest) -> RequestContext:
        """The resolvers' context for one request."""
        writer = request.writer
        fields = self._anonymous if writer is None else self.writes.context_fields(writer)
        return RequestContext(graph=self.graph, **fields, operation_name=request.operation_name)

    async def execute(self, prepared: Prepared) -> ExecutionResult:
        """The result of a prepared query or mutation, with ``extensions.cost``."""
        context = self.context(prepared.request)
        with page_limit(self.settings.max_page_size):
            result = await self.executor.run(
                prepared.document,
                prepared.request.operation_name,
                prepared.kind,
                prepared.variables,
                context,
                prepared.cost,
            )
        return self._with_cost(prepared, result)

    async def subscribe(
        self, prepared: Prepared
    ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
        """A prepared subscription's stream of results (or the result that ends it at once)."""
        return await self.executor.subscribe(
            prepared.document,
            prepared.request.operation_name,
            prepared.variables,
            self.context(prepared.request),
        )

    def _with_cost(self, prepared: Prepared, result: ExecutionResult) -> ExecutionResult:
        """The result with what it cost (``extensions.cost``, as Shopify reports it).

        The budget was charged the estimate; what the query did not use goes back.
        """
        if isinstance(result, CountedResult):  # a plan counted them as it ran
            actual = result.fields
        else:
            actual = actual_cost(result.data, prepared.operation)
        cost: dict[str, Any] = {
            "requested": prepared.cost,
            "actual": actual,
            "limit": self.settings.max_cost,
        }
        budget = prepared.request.budget
        if budget is not None:
            budget.refund(prepared.cost - max(actual, 1))  # a request costs 1 at least
            cost["remaining"] = budget.decision.remaining
            cost["restoreRate"] = budget.buckets.per_second
        extensions = {**(result.extensions or {}), "cost": cost}
        return ExecutionResult(result.data, result.errors, extensions)


__all__ = [
    "GraphQLRequest",
    "Pipeline",
    "Prepared",
    "Refused",
    "Transport",
    "operation_name_of",
]
