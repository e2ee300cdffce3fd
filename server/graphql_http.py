"""GraphQL over HTTP: GET and POST on one endpoint, per the GraphQL-over-HTTP spec.

Parsing the request, choosing the response media type and status code live
here; executing lives in the schema. Clients that accept
``application/graphql-response+json`` get 4xx statuses for requests that
cannot run; ``application/json`` clients get 200 with the errors in the body,
as the spec asks for compatibility.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ExecutionResult, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Scope

from graph_data import ShowGraph
from server.bodylimit import BodyTooLargeError
from server.caching import (
    CachedResponse,
    DocumentKey,
    KnownDocument,
    KnownRequest,
    KnownRequests,
    RequestBytes,
    ResponseCache,
    Sightings,
    document_key_size,
    request_bytes_size,
    response_key,
)
from server.errors import format_error, masked_entry, result_body
from server.graphiql import graphiql_html
from server.http_caching import cache_control, none_match, strong_etag, vary
from server.logs import operation_var
from server.metrics import operation_label
from server.pipeline import (
    GraphQLRequest,
    Pipeline,
    Prepared,
    Refused,
    Transport,
    operation_name_of,
)
from server.ratelimit import RequestBudget, TokenBuckets
from server.sse import prepared_stream, refused_stream, wants_events
from server.writes import WriteSide

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
STATIC_PREFIX = "/static/graphiql"

# Bytes of anonymous requests, and of their documents, remembered with what they
# ask (``known_answer``).
KNOWN_REQUEST_BYTES = 4 * 2**20
KNOWN_DOCUMENT_BYTES = 4 * 2**20
# Requests with new variables seen once through ``_known_document``, remembered so that
# their answers are kept from their second sighting (``Sightings``).
SEEN_VARIABLES = 16_384

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
    """The ``/graphql`` endpoint over HTTP: reads requests, runs them through ``pipeline``.

    With ``buckets``, every request is charged to its client (``client_key``)
    and every response carries the client's rate-limit headers. ``cache``
    answers repeated queries without running them. GET (and HEAD) answers to
    queries carry an ETag and ``cache_control``, every answer a ``Vary``
    (``server.http_caching``; ``cors`` says whether CORS is on). ``observer``
    is told about every answer (operation, status, time, error codes), so
    metrics and access logs need not parse requests or responses again.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        buckets: TokenBuckets | None = None,
        client_key: Callable[[Request], str] | None = None,
        cache: ResponseCache | None = None,
        cache_control: str = "no-cache",
        observer: Callable[[Observation], None] | None = None,
        cors: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.graph: ShowGraph = pipeline.graph
        self.writes: WriteSide = pipeline.writes
        self.buckets = buckets
        self.client_key = client_key
        self.cache = cache
        self.cache_control = cache_control
        self.observer = observer
        self.cors = cors
        self.known: KnownRequests[RequestBytes, KnownRequest] = KnownRequests(
            KNOWN_REQUEST_BYTES, request_bytes_size
        )
        self.known_documents: KnownRequests[DocumentKey, KnownDocument] = KnownRequests(
            KNOWN_DOCUMENT_BYTES, document_key_size
        )
        self.seen_variables = Sightings(SEEN_VARIABLES)
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
        response.headers["Vary"] = vary(self.cors, "origin" in request.headers)
        if request.method == "HEAD":
            response.body = b""  # what GET would answer, headers (Content-Length too) only
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
            # GraphQL over Server-Sent Events (server.sse): not for HEAD, which has no body.
            events = request.method != "HEAD" and wants_events(request.headers.get("accept", ""))
            media_type = JSON if events else _response_media_type(request)
            reading = request.method in ("GET", "HEAD")  # HEAD is GET without the body
            if reading and not events and _wants_graphiql(request):
                return HTMLResponse(self.graphiql_page)
            if reading:
                params = _params_from_query_string(request)
            elif request.method == "POST":
                params = await _params_from_body(request, body)
            else:
                raise RequestError(
                    405,
                    f"{request.method} is not supported; use GET, HEAD or POST",
                    {"Allow": "GET, HEAD, POST"},
                )
        except RequestError as error:
            return self._refused(request, error.status, [_request_error(error)], error.headers)
        graphql_request = GraphQLRequest(
            params.query,
            params.variables,
            params.operation_name,
            params.extensions,
            _transport(reading, events),
            request.state.token_name,
            budget,
        )
        version = self.graph.version  # what the key and the remembered bytes are valid for
        try:
            prepared = self.pipeline.prepare(graphql_request)
        except Refused as refused:
            request.state.graphql_operation = self._operation_named(params, refused.document)
            if events and refused.status != 429:  # the protocol: errors in the stream
                entries = [format_error(error) for error in refused.errors]
                request.state.graphql_error_codes = _codes(entries)
                return refused_stream(entries)
            status = refused.status
            if status is None:
                status = 400 if media_type == GRAPHQL_RESPONSE else 200
            return self._refused(
                request, status, [format_error(e) for e in refused.errors], refused.headers
            )
        name = prepared.name
        request.state.graphql_operation = name
        operation_var.set(operation_label(name))  # for every log record from here on
        if events:
            return await prepared_stream(self.pipeline, prepared)
        key = None
        # Answers are cached once their document has proven that it repeats (it is kept:
        # ``Documents``); a document seen once leaves nothing behind but its hash.
        kept = self.pipeline.documents.peek(prepared.document.text) is prepared.document
        query = prepared.kind is OperationType.QUERY
        if self.cache is not None and query and budget is None and kept:
            scope = f"{graphql_request.writer or 'public'}|{media_type}"
            key = response_key(
                prepared.document.text, params.operation_name, params.variables, scope, version
            )
            cached = None if _fresh_wanted(request) else self.cache.get(key)
            if cached is not None:
                await self._remember(request, version, prepared, key, media_type)
                return self._validated(request, cached)
        result = await self.pipeline.execute(prepared)
        status = _status(result, media_type)
        answer, request.state.graphql_error_codes = self._completed(result, status, media_type, key)
        if query and kept and not result.errors:
            await self._remember(request, version, prepared, key, media_type)
        if reading:
            return self._validated(request, answer)
        return Response(answer.body, status_code=answer.status, media_type=media_type)

    def _operation_named(self, params: GraphQLParams, document: Any | None) -> str | None:
        """The name of the operation a refused request asked for, if its document was read."""
        if document is None and params.query:
            document = self.pipeline.documents.peek(params.query)
        if document is None:
            return params.operation_name
        return operation_name_of(document, params.operation_name)

    def _refused(
        self,
        request: Request,
        status: int,
        errors: list[dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The answer to a request that did not run: its errors, no data."""
        request.state.graphql_error_codes = _codes(errors)
        media = JSON if status in (406, 429) else _response_media_type_or_json(request)
        return _json({"errors": errors}, status, media, headers)

    def _completed(
        self, result: ExecutionResult, status: int, media_type: str, key: str | None
    ) -> tuple[CachedResponse, tuple[object, ...]]:
        """The serialized answer and its error codes; cached when it has no errors."""
        body = result_body(result)
        codes = tuple((item.get("extensions") or {}).get("code") for item in body.get("errors", ()))
        data = orjson.dumps(body)
        tag = strong_etag(data, media_type) if key is not None else None  # kept with the entry
        answer = CachedResponse(data, status, media_type, etag=tag)
        if key is not None and self.cache is not None and not result.errors:
            self.cache.put(key, answer)
        return answer, codes

    async def _remember(
        self,
        request: Request,
        version: int,
        prepared: Prepared,
        key: str | None,
        media_type: str,
    ) -> None:
        """Remember what an anonymous query's bytes (and a POST's document) ask, for
        ``known_answer``."""
        if request.state.token_name is not None or self.buckets is not None:
            return
        if request.method == "HEAD":  # never asked again by the fast lane (GET and POST only)
            return
        if prepared.request.extensions is not None:  # a persisted-query hash may stand for it
            return
        scope = request.scope
        payload = scope["query_string"] if request.method == "GET" else await request.body()
        accept = _first_header(scope, b"accept") or b""
        content_type = _first_header(scope, b"content-type") or b""
        raw = (request.method, payload, accept, content_type, version)
        self._remember_bytes(raw, prepared, key, media_type)
        if request.method == "POST":
            name = prepared.name
            known = KnownDocument(
                name,
                operation_label(name),
                media_type,
                prepared.document.text,
                prepared.request.operation_name,
            )
            self.known_documents.put(
                (known.text, known.operation_name, accept, content_type), known
            )

    async def known_answer(self, scope: Scope, payload: bytes) -> tuple[Message, Message] | None:
        """The answer to a request like one prepared before, found with less reading.

        For anonymous requests (no Authorization or If-None-Match) on a server
        without rate limits: when their exact bytes, Accept and Content-Type
        were answered at this graph version, the cached answer (unless the
        client asks for a fresh one or the cache no longer holds it), else the
        answer of executing what those bytes were prepared into (the
        pipeline's stages before execution gave the same verdict for the same
        bytes at the same version). When only the variables of a POST are
        new, its document, operation and headers still say what stages 1-4
        said (``_known_document``). Either way it is what the full path would
        answer, as the ``http.response.start`` and body messages. None when
        the request must go the full path. ``payload`` is the POST body or the
        GET query string.
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
        accept, content_type = accept or b"", content_type or b""
        version = self.graph.version
        method = scope["method"]
        known = self.known.get((method, payload, accept, content_type, version))
        if known is not None:
            answered = await self._known_request(known, _asks_fresh(cache_control))
        elif method == "POST":
            answered = await self._known_document(
                payload, accept, content_type, _asks_fresh(cache_control), version
            )
        else:
            return None
        if answered is None:
            return None
        operation, answer, codes = answered
        headers = [
            (b"content-length", str(len(answer.body)).encode()),
            (b"content-type", answer.media_type.encode()),
        ]
        if method == "GET":  # anonymous: Authorization sends it the full path
            headers += [
                (b"etag", _etag_of(answer).encode()),
                (b"cache-control", self.cache_control.encode()),
            ]
        headers.append((b"vary", vary(self.cors, has_origin=False).encode()))
        duration = time.perf_counter() - started
        self._tell(Observation(method, scope["path"], operation, answer.status, duration, codes))
        start = {"type": "http.response.start", "status": answer.status, "headers": headers}
        return start, {"type": "http.response.body", "body": answer.body}

    async def _known_request(
        self, known: KnownRequest, fresh: bool
    ) -> tuple[str | None, CachedResponse, tuple[object, ...]] | None:
        """The answer to request bytes answered before: cached, or run from what they were
        prepared into."""
        if known.key is not None and self.cache is not None and not fresh:
            cached = self.cache.get(known.key)
            if cached is not None:
                return known.operation, cached, ()
        prepared = self.pipeline.prepared_again(known)
        if prepared is None:
            return None
        operation_var.set(known.label)
        result = await self.pipeline.execute(prepared)
        status = _status(result, known.media_type)
        answer, codes = self._completed(result, status, known.media_type, known.key)
        return known.operation, answer, codes

    async def _known_document(
        self, payload: bytes, accept: bytes, content_type: bytes, fresh: bool, version: int
    ) -> tuple[str | None, CachedResponse, tuple[object, ...]] | None:
        """The answer to a POST of a known document with new variables, or None.

        The body must be one the full path would read the same way (a JSON
        object with a string ``query``, ``variables`` an object or null,
        ``operationName`` a string or null, no ``extensions``); anything else,
        and any refusal, goes the full path, which words the error. What the
        full path does after preparing, this does too: the response cache,
        execution, and remembering the exact bytes.
        """
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        if type(body) is not dict or body.get("extensions") is not None:
            return None
        query, variables = body.get("query"), body.get("variables")
        operation_name = body.get("operationName")
        if not isinstance(query, str) or not (variables is None or type(variables) is dict):
            return None
        if not (operation_name is None or isinstance(operation_name, str)):
            return None
        known = self.known_documents.get((query, operation_name, accept, content_type))
        if known is None:
            return None
        prepared = self.pipeline.prepared_with(known, variables)
        if prepared is None:
            return None
        operation_var.set(known.label)
        media_type = known.media_type
        # Kept (the answer, the exact bytes) from their second sighting, as documents are:
        # a client sending new variables each time would otherwise pay to keep each one.
        # Until then no answer of theirs is cached here, so none is looked up (the key's
        # digest and the lookup were 4 % of such a request).
        raw = ("POST", payload, accept, content_type, version)
        repeated = self.seen_variables.repeated(raw)
        key = None
        if repeated and self.cache is not None and prepared.kind is OperationType.QUERY:
            scope = f"public|{media_type}"
            key = response_key(known.text, operation_name, variables, scope, version)
            cached = None if fresh else self.cache.get(key)
            if cached is not None:
                self._remember_bytes(raw, prepared, key, media_type)
                return known.operation, cached, ()
        result = await self.pipeline.execute(prepared)
        status = _status(result, media_type)
        answer, codes = self._completed(result, status, media_type, key)
        if repeated and not result.errors:
            self._remember_bytes(raw, prepared, key, media_type)
        return known.operation, answer, codes

    def _remember_bytes(
        self, raw: RequestBytes, prepared: Prepared, key: str | None, media_type: str
    ) -> None:
        """Remember what request bytes were prepared into, to answer them again
        (``known_answer``)."""
        self.known.put(
            raw,
            KnownRequest(
                key,
                prepared.name,
                operation_label(prepared.name),
                media_type,
                prepared.document.text,
                prepared.request.operation_name,
                prepared.variables,
                prepared.cost,
            ),
        )

    def _validated(self, request: Request, answer: CachedResponse) -> Response:
        """A GET answer with its validators; 304 when the client already holds it."""
        if request.method not in ("GET", "HEAD"):
            return Response(answer.body, status_code=answer.status, media_type=answer.media_type)
        credentials = "authorization" in request.headers
        headers = {
            "ETag": _etag_of(answer),
            "Cache-Control": cache_control(self.cache_control, credentials),
        }
        held = request.headers.get("if-none-match")
        if answer.status == 200 and none_match(held, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return Response(
            answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
        )


def _transport(reading: bool, events: bool) -> Transport:
    """The transport of an HTTP request: by its method, and whether it wants events."""
    if events:
        return Transport.SSE_GET if reading else Transport.SSE
    return Transport.GET if reading else Transport.POST


def _codes(errors: list[dict[str, Any]]) -> tuple[object, ...]:
    """The ``extensions.code`` of each error entry (None: no code), for metrics."""
    return tuple((entry.get("extensions") or {}).get("code") for entry in errors)


def _etag_of(answer: CachedResponse) -> str:
    """The answer's ETag: kept with a cacheable answer, computed for the others."""
    return answer.etag or strong_etag(answer.body, answer.media_type)


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


def _request_error(error: RequestError) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": str(error)}
    if error.extensions:
        entry["extensions"] = error.extensions
    return entry


def _params_from_query_string(request: Request) -> GraphQLParams:
    args = request.query_params
    query = args.get("query")
    extensions = _json_object(args.get("extensions"), "extensions")
    if query is None and "persistedQuery" not in (extensions or {}):
        raise RequestError(400, "the request has no `query` parameter")
    return GraphQLParams(
        query=query,
        variables=_json_object(args.get("variables"), "variables"),
        operation_name=args.get("operationName"),  # "" names no operation, as in a POST body
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


def _fresh_wanted(request: Request) -> bool:
    return _asks_fresh(_first_header(request.scope, b"cache-control"))


def _asks_fresh(cache_control: bytes | None) -> bool:
    """``Cache-Control: no-cache`` (or no-store) asks for an answer computed now."""
    directives = (cache_control or b"").lower()
    return b"no-cache" in directives or b"no-store" in directives


def _status(result: ExecutionResult, media_type: str) -> int:
    """An executed operation answers 200 (errors and all), but for a write the store refused.

    Requests that never ran were answered before (``_refused``).
    """
    if any((e.extensions or {}).get("code") == "STORE_UNAVAILABLE" for e in result.errors or ()):
        return 503  # a write could not be made durable; reads were never affected
    return 200


def _json(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)
