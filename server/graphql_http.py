"""GraphQL over HTTP: GET and POST on one endpoint, per the GraphQL-over-HTTP spec.

Parsing the request, choosing the response media type and status code live
here; executing lives in the schema. Clients that accept
``application/graphql-response+json`` get 4xx statuses for requests that
cannot run; ``application/json`` clients get 200 with the errors in the body,
as the spec asks for compatibility.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Scope
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph_data import ShowGraph
from graph_data.store import MemoryStore
from server.auth import Tokens
from server.bodylimit import BodyTooLargeError
from server.caching import (
    CachedResponse,
    KnownRequest,
    KnownRequests,
    PersistedQueries,
    PersistedQueryError,
    ResponseCache,
    etag,
    response_key,
)
from server.compiled import CompiledQueries, Plan
from server.context import RequestContext
from server.errors import format_error, masked_entry
from server.executor import is_timeout
from server.graphiql import graphiql_html
from server.logs import operation_var
from server.metrics import operation_label
from server.ratelimit import RequestBudget, TokenBuckets
from server.writes import WriteSide, operation_of

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
STATIC_PREFIX = "/static/graphiql"

# A compiled query whose last run took less CPU time than this runs on the event loop.
# It is the interpreter's switch interval: a worker thread holding the GIL gives the
# loop a turn no sooner, so a thread would not answer other requests any earlier,
# while handing the plan over costs CPU (measured: about 0.5 ms on a 2.8 ms query).
INLINE_SECONDS = sys.getswitchinterval()

# Bytes of anonymous requests remembered with what they ask (``known_answer``).
KNOWN_REQUEST_BYTES = 4 * 2**20

logger = logging.getLogger("showgraph.http")

DEFAULT_QUERY = """\
# Who plays whom, and in which episodes? Run it with Ctrl-Enter.
query ActorsAndTheirCharacters {
  actors(first: 10) {
    totalCount
    nodes {
      name
      portrayals {
        role
        character {
          name
          fullName
        }
        episodeCount
        episodes {
          number
          title
          season {
            number
          }
        }
      }
    }
  }
}
"""


class RequestError(Exception):
    """A request that cannot be run; becomes a response with a GraphQL error body."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.extensions = extensions


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str | None  # None when a persisted query's hash stands for it
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Observation:
    """What one answered request was, for metrics and the access log."""

    method: str
    path: str
    operation: str | None  # the operation's name, None when it has none (or never parsed)
    status: int
    duration: float  # seconds, from the request reaching the endpoint to its answer
    error_codes: tuple[object, ...]  # extensions.code of each error answered (None: no code)


class GraphQLEndpoint:
    """The ``/graphql`` endpoint bound to a schema and a graph; route to ``handle``.

    With ``buckets``, every request is charged to its client (``client_key``)
    and every response carries the client's rate-limit headers. ``writes``
    knows who may write (a mutation without a valid token is 401) and where
    changes go; ``cache`` answers repeated queries without running them (GET
    answers carry an ETag and ``cache_control``); ``persisted`` resolves
    persisted-query hashes and enforces an allow-list. ``observer`` is told
    about every answer (operation, status, time, error codes), so metrics and
    access logs need not parse requests or responses again. ``compiled``
    runs queries that ran before from their compiled plans.
    """

    def __init__(
        self,
        schema: strawberry.Schema,
        graph: ShowGraph,
        buckets: TokenBuckets | None = None,
        client_key: Callable[[Request], str] | None = None,
        writes: WriteSide | None = None,
        cache: ResponseCache | None = None,
        persisted: PersistedQueries | None = None,
        cache_control: str = "no-cache",
        observer: Callable[[Observation], None] | None = None,
        compiled: CompiledQueries | None = None,
    ) -> None:
        self.schema = schema
        self.graph = graph
        self.buckets = buckets
        self.client_key = client_key
        self.writes = writes or WriteSide(MemoryStore(graph), graph, Tokens({}))
        self.cache = cache
        self.persisted = persisted or PersistedQueries()
        self.cache_control = cache_control
        self.observer = observer
        self.compiled = compiled
        self.known = KnownRequests(KNOWN_REQUEST_BYTES)
        self._anonymous = self.writes.context_fields(None)  # the same for every reader
        self.graphiql_page = graphiql_html("/graphql", STATIC_PREFIX, DEFAULT_QUERY)

    async def handle(self, request: Request, body: bytes | None = None) -> Response:
        """Answer one request; ``body`` is the POST body when the caller already read it."""
        started = time.perf_counter()
        request.state.graphql_operation = None  # _answer sets both once it knows them
        request.state.graphql_error_codes = ()
        request.state.token_name = self.writes.writer(request)  # rate limits count per token
        budget = self._budget(request)
        try:
            response = await self._answer(request, budget, body)
        except BodyTooLargeError:
            self._observe(request, 413, started)
            raise  # server.bodylimit answers it with 413
        except Exception as error:  # a fault of ours outside execution: masked, logged
            entry = masked_entry(error, f"handling {request.method} {request.url.path}")
            request.state.graphql_error_codes = ("INTERNAL_SERVER_ERROR",)
            response = _json({"errors": [entry]}, 500, JSON)
        if budget is not None:
            response.headers.update(budget.decision.headers())
        self._observe(request, response.status_code, started)
        return response

    def _observe(self, request: Request, status: int, started: float) -> None:
        if self.observer is None:
            return
        state = request.state
        self._tell(
            Observation(
                method=request.scope["method"],
                path=request.scope["path"],  # request.url would build a whole URL per request
                operation=state.graphql_operation,
                status=status,
                duration=time.perf_counter() - started,
                error_codes=tuple(state.graphql_error_codes),
            )
        )

    def _tell(self, seen: Observation) -> None:
        """Tell the observer; its failure is logged, never the client's problem."""
        if self.observer is None:
            return
        try:
            self.observer(seen)
        except Exception:
            logger.exception("observing a request failed")

    def _budget(self, request: Request) -> RequestBudget | None:
        if self.buckets is None or self.client_key is None:
            return None
        return RequestBudget(self.buckets, self.client_key(request))

    async def _answer(
        self, request: Request, budget: RequestBudget | None, body: bytes | None
    ) -> Response:
        try:
            if budget is not None and budget.refusal is not None:
                raise RequestError(
                    429, budget.refusal.message, extensions=budget.refusal.extensions
                )
            media_type = _response_media_type(request)
            if request.method == "GET" and _wants_graphiql(request):
                return HTMLResponse(self.graphiql_page)
            if request.method == "GET":
                params = _params_from_query_string(request)
            elif request.method == "POST":
                params = await _params_from_body(request, body)
            else:
                raise RequestError(
                    405,
                    f"{request.method} is not supported; use GET or POST",
                    {"Allow": "GET, POST"},
                )
            params = self._resolve_persisted(params)
            is_get = request.method == "GET"
            operation, name = operation_of(params.query or "", params.operation_name)
            request.state.graphql_operation = name
            operation_var.set(operation_label(name))  # for every log record from here on
            writer = request.state.token_name
            if operation is OperationType.MUTATION and not is_get and writer is None:
                raise RequestError(
                    401,
                    "mutations need a valid bearer token (Authorization: Bearer <token>)",
                    {"WWW-Authenticate": "Bearer"},
                    extensions={"code": "UNAUTHENTICATED"},
                )
            key = None
            version = self.graph.version  # what the key and the remembered bytes are valid for
            if self.cache is not None and operation is OperationType.QUERY:
                scope = f"{writer or 'public'}|{media_type}"
                key = response_key(
                    params.query or "", params.operation_name, params.variables, scope, version
                )
                cached = None if _fresh_wanted(request) else self.cache.get(key)
                if cached is not None:
                    refusal = budget.charge(cached.cost) if budget is not None else None
                    if refusal is not None:
                        raise RequestError(429, refusal.message, extensions=refusal.extensions)
                    await self._remember(request, version, params, key, name, media_type)
                    return self._cached_answer(request, key, cached)
            result, cost = await self._execute(params, is_get, budget, writer, operation)
        except RequestError as error:
            entry: dict[str, Any] = {"message": str(error)}
            if error.extensions:
                entry["extensions"] = error.extensions
            request.state.graphql_error_codes = ((error.extensions or {}).get("code"),)
            media = JSON if error.status in (406, 429) else _response_media_type_or_json(request)
            return _json({"errors": [entry]}, error.status, media, error.headers)
        if budget is not None and budget.refusal is not None:
            status = 429
        else:
            status = _status(result, media_type)
        answer, request.state.graphql_error_codes = self._completed(
            result, status, media_type, cost, key
        )
        if operation is OperationType.QUERY and not result.errors:
            await self._remember(request, version, params, key, name, media_type)
        if key is not None and request.method == "GET":
            return self._cached_answer(request, key, answer)
        return Response(answer.body, status_code=answer.status, media_type=media_type)

    def _completed(
        self, result: ExecutionResult, status: int, media_type: str, cost: int, key: str | None
    ) -> tuple[CachedResponse, tuple[object, ...]]:
        """The serialized answer and its error codes; cached when it has no errors."""
        body = _result_body(result)
        codes = tuple((item.get("extensions") or {}).get("code") for item in body.get("errors", ()))
        answer = CachedResponse(orjson.dumps(body), status, media_type, cost)
        if key is not None and self.cache is not None and not result.errors:
            self.cache.put(key, answer)
        return answer, codes

    async def _remember(
        self,
        request: Request,
        version: int,
        params: GraphQLParams,
        key: str | None,
        operation: str | None,
        media_type: str,
    ) -> None:
        """Remember what an anonymous query's bytes ask, for ``known_answer``."""
        if request.state.token_name is not None or self.buckets is not None:
            return
        scope = request.scope
        payload = scope["query_string"] if request.method == "GET" else await request.body()
        accept = _first_header(scope, b"accept") or b""
        content_type = _first_header(scope, b"content-type") or b""
        runnable = params.extensions is None  # else a persisted-query hash stands for it
        known = KnownRequest(
            key,
            operation,
            operation_label(operation),
            media_type,
            params.query if runnable else None,
            params.operation_name,
            params.variables,
        )
        self.known.put((request.method, payload, accept, content_type, version), known)

    async def known_answer(self, scope: Scope, payload: bytes) -> tuple[Message, Message] | None:
        """The answer to request bytes parsed before, found without parsing them again.

        For anonymous requests (no Authorization or If-None-Match) on a server
        without rate limits, whose exact bytes, Accept and Content-Type were
        answered at this graph version: the cached answer, unless the client
        asks for a fresh one or the cache no longer holds it; else the answer
        of the query's compiled plan, run now. Either is what the full path
        would answer, as the ``http.response.start`` and body messages. None
        when the request must go the full path. ``payload`` is the POST body
        or the GET query string.
        """
        if self.buckets is not None:
            return None
        started = time.perf_counter()
        accept = content_type = cache_control = None
        for name, value in scope["headers"]:
            if name in _PERSONAL:
                return None
            if name == b"accept":
                accept = value if accept is None else accept
            elif name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name == b"cache-control":
                cache_control = value if cache_control is None else cache_control
        raw = (scope["method"], payload, accept or b"", content_type or b"", self.graph.version)
        known = self.known.get(raw)
        if known is None:
            return None
        codes: tuple[object, ...] = ()
        answer = None
        if known.key is not None and self.cache is not None and not _asks_fresh(cache_control):
            answer = self.cache.get(known.key)
        if answer is None:
            compiled, query = self.compiled, known.query
            plan = compiled.plan(query, known.operation_name) if compiled and query else None
            if plan is None:
                return None
            operation_var.set(known.label)
            context = self._context(known.operation_name, None, None)
            result = await self._run_plan(plan, known.variables, context)
            if result is None:
                return None
            status = _status(result, known.media_type)
            answer, codes = self._completed(
                result, status, known.media_type, context.cost or 1, known.key
            )
        headers = [
            (b"content-length", str(len(answer.body)).encode()),
            (b"content-type", answer.media_type.encode()),
        ]
        if scope["method"] == "GET" and known.key is not None:
            headers += [
                (b"etag", etag(known.key).encode()),
                (b"cache-control", self.cache_control.encode()),
            ]
        duration = time.perf_counter() - started
        self._tell(
            Observation(
                scope["method"], scope["path"], known.operation, answer.status, duration, codes
            )
        )
        start = {"type": "http.response.start", "status": answer.status, "headers": headers}
        return start, {"type": "http.response.body", "body": answer.body}

    def _cached_answer(self, request: Request, key: str, answer: CachedResponse) -> Response:
        """An answer with its validators; 304 when a GET client already holds it."""
        if request.method != "GET":
            return Response(answer.body, status_code=answer.status, media_type=answer.media_type)
        headers = {"ETag": etag(key), "Cache-Control": self.cache_control}
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        return Response(
            answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
        )

    def _resolve_persisted(self, params: GraphQLParams) -> GraphQLParams:
        """The document to run, from its text or its persisted-query hash."""
        try:
            query = self.persisted.resolve(params.query, params.extensions)
        except PersistedQueryError as error:
            status = {"PERSISTED_QUERY_NOT_FOUND": 200, "PERSISTED_QUERY_NOT_ALLOWED": 403}
            raise RequestError(
                status.get(error.code, 400), str(error), extensions={"code": error.code}
            ) from None
        if query is None:
            raise RequestError(400, "the request has no `query`")
        return params if query is params.query else replace(params, query=query)

    async def _execute(
        self,
        params: GraphQLParams,
        is_get: bool,
        budget: RequestBudget | None,
        writer: str | None,
        operation: OperationType | None,
    ) -> tuple[ExecutionResult, int]:
        """The result, and the query's cost as estimated before it ran."""
        # Subscriptions need a connection that stays open (a WebSocket), never plain HTTP.
        allowed = (
            (OperationType.QUERY,) if is_get else (OperationType.QUERY, OperationType.MUTATION)
        )
        context = self._context(params.operation_name, writer, budget)
        # Readers share the graph; a mutation holds it alone, payload included.
        lock = (
            self.graph.lock.writing
            if operation is OperationType.MUTATION
            else (self.graph.lock.reading)
        )

        if operation is OperationType.QUERY and self.compiled is not None and params.query:
            plan = self.compiled.plan(params.query, params.operation_name)
            if plan is not None:
                planned = await self._run_plan(plan, params.variables, context)
                if planned is not None:
                    return planned, context.cost or 1
                context = replace(context, charge=None)  # charged already, if at all

        def run(*args: Any, **kwargs: Any) -> ExecutionResult:
            with lock():
                result = self.schema.execute_sync(*args, **kwargs)
            if operation is OperationType.QUERY and not result.errors and self.compiled:
                self.compiled.learn(params.query or "", params.operation_name)
            return result

        try:
            result = await run_in_threadpool(
                run,
                params.query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
            )
            return result, context.cost or 1
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise RequestError(
                    400, "subscriptions are not served over HTTP; subscribe over a WebSocket"
                ) from None
            raise RequestError(
                405, f"{error.as_http_error_reason('GET')}; use POST", {"Allow": "POST"}
            ) from None
        except MissingQueryError:
            raise RequestError(400, "the request has no `query`") from None
        except CannotGetOperationTypeError:
            # A GraphQL request error: like a validation error, 200 for JSON clients.
            if params.operation_name is None:
                message = "The document has no operation to run."
            else:
                message = f"Unknown operation named {params.operation_name!r}."
            return ExecutionResult(data=None, errors=[GraphQLError(message)]), 1

    def _context(
        self, operation_name: str | None, writer: str | None, budget: RequestBudget | None
    ) -> RequestContext:
        return RequestContext(
            graph=self.graph,
            **(self._anonymous if writer is None else self.writes.context_fields(writer)),
            operation_name=operation_name,
            charge=budget.charge if budget is not None else None,
        )

    async def _run_plan(
        self, plan: Plan, variables: dict[str, Any] | None, context: RequestContext
    ) -> ExecutionResult | None:
        """A compiled query's result, or None when the ordinary pipeline must answer.

        A plan that ran quickly last time (``INLINE_SECONDS``) runs here on the
        event loop, sparing the hand-over to a worker thread; longer ones, and
        any plan while a write holds or awaits the graph, run in a thread so
        the loop keeps answering others and never waits on the lock.
        """
        assert self.compiled is not None
        lock = self.graph.lock
        if plan.seconds < INLINE_SECONDS and lock.try_read():
            try:
                return self.compiled.execute(plan, variables, context)
            finally:
                lock.release_read()

        def run() -> ExecutionResult | None:
            assert self.compiled is not None
            with lock.reading():
                return self.compiled.execute(plan, variables, context)

        return await run_in_threadpool(run)


# Request headers that make an answer depend on more than the request's bytes.
_PERSONAL = frozenset({b"authorization", b"if-none-match"})


def _first_header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


def _response_media_type(request: Request) -> str:
    """Pick the response type from Accept; 406 when the client takes neither JSON type."""
    accept = request.headers.get("accept", "")
    if not accept:
        return JSON
    offered = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in offered:
        return GRAPHQL_RESPONSE
    if JSON in offered or "*/*" in offered or "application/*" in offered:
        return JSON
    if request.method == "GET" and "text/html" in offered:
        return JSON  # a browser: it will get GraphiQL, or JSON for a query in the URL
    raise RequestError(406, f"cannot answer in {accept!r}; accept {GRAPHQL_RESPONSE} or {JSON}")


def _response_media_type_or_json(request: Request) -> str:
    try:
        return _response_media_type(request)
    except RequestError:
        return JSON


def _wants_graphiql(request: Request) -> bool:
    return "query" not in request.query_params and "text/html" in request.headers.get("accept", "")


def _params_from_query_string(request: Request) -> GraphQLParams:
    args = request.query_params
    query = args.get("query")
    extensions = _json_object(args.get("extensions"), "extensions")
    if query is None and "persistedQuery" not in (extensions or {}):
        raise RequestError(400, "the request has no `query` parameter")
    return GraphQLParams(
        query=query,
        variables=_json_object(args.get("variables"), "variables"),
        operation_name=args.get("operationName") or None,
        extensions=extensions,
    )


async def _params_from_body(request: Request, raw: bytes | None) -> GraphQLParams:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != JSON:
        raise RequestError(415, f"POST bodies must be {JSON} (got {content_type or 'no type'!r})")
    if raw is None:
        raw = await request.body()
    if not raw.strip():
        raise RequestError(400, "the body is empty; send a JSON object with a `query`")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        # Where, not orjson's own words: no library text reaches the client.
        raise RequestError(
            400, f"the body is not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None
    if isinstance(body, list):
        raise RequestError(400, "batching is not supported: send one JSON object per request")
    if not isinstance(body, dict):
        raise RequestError(400, "the body must be a JSON object with a `query`")
    query = body.get("query")
    extensions = _object_or_none(body.get("extensions"), "extensions")
    persisted = query is None and "persistedQuery" in (extensions or {})
    if not isinstance(query, str) and not persisted:
        raise RequestError(400, "`query` must be a string holding a GraphQL document")
    operation_name = body.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "`operationName` must be a string or null")
    return GraphQLParams(
        query=query,
        variables=_object_or_none(body.get("variables"), "variables"),
        operation_name=operation_name,
        extensions=extensions,
    )


def _json_object(raw: str | None, name: str) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"`{name}` must be a JSON-encoded object") from None
    return _object_or_none(value, name)


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise RequestError(400, f"`{name}` must be a JSON object or null")


def _is_request_error(result: ExecutionResult) -> bool:
    """No data and no error with a path: the document or variables were refused.

    A timeout also leaves no data and no path, but execution had begun: it is
    an execution result (``data: null``), not a refused request.
    """
    errors = result.errors or []
    return (
        result.data is None
        and bool(errors)
        and all(isinstance(e, GraphQLError) and e.path is None for e in errors)
        and not any(is_timeout(e) for e in errors)
    )


def _fresh_wanted(request: Request) -> bool:
    return _asks_fresh(_first_header(request.scope, b"cache-control"))


def _asks_fresh(cache_control: bytes | None) -> bool:
    """``Cache-Control: no-cache`` (or no-store) asks for an answer computed now."""
    directives = (cache_control or b"").lower()
    return b"no-cache" in directives or b"no-store" in directives


def _status(result: ExecutionResult, media_type: str) -> int:
    if any((e.extensions or {}).get("code") == "STORE_UNAVAILABLE" for e in result.errors or ()):
        return 503  # a write could not be made durable; reads were never affected
    if media_type == GRAPHQL_RESPONSE and _is_request_error(result):
        return 400
    return 200


def _result_body(result: ExecutionResult) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(error) for error in result.errors]
    if not _is_request_error(result):
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def _json(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)
