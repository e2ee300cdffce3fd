"""GraphQL over HTTP: GET and POST on one endpoint, per the GraphQL-over-HTTP spec.

Parsing the request, choosing the response media type and status code live
here; executing lives in the schema. Clients that accept
``application/graphql-response+json`` get 4xx statuses for requests that
cannot run; ``application/json`` clients get 200 with the errors in the body,
as the spec asks for compatibility.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph_data import ShowGraph
from server.bodylimit import BodyTooLargeError
from server.context import RequestContext
from server.errors import format_error, masked_entry
from server.executor import is_timeout
from server.graphiql import graphiql_html
from server.ratelimit import RequestBudget, TokenBuckets

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
STATIC_PREFIX = "/static/graphiql"

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
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class GraphQLEndpoint:
    """The ``/graphql`` endpoint bound to a schema and a graph; route to ``handle``.

    With ``buckets``, every request is charged to its client (``client_key``)
    and every response carries the client's rate-limit headers.
    """

    def __init__(
        self,
        schema: strawberry.Schema,
        graph: ShowGraph,
        buckets: TokenBuckets | None = None,
        client_key: Callable[[Request], str] | None = None,
    ) -> None:
        self.schema = schema
        self.graph = graph
        self.buckets = buckets
        self.client_key = client_key
        self.graphiql_page = graphiql_html("/graphql", STATIC_PREFIX, DEFAULT_QUERY)

    async def handle(self, request: Request) -> Response:
        budget = self._budget(request)
        try:
            response = await self._answer(request, budget)
        except BodyTooLargeError:
            raise  # server.bodylimit answers it with 413
        except Exception as error:  # a fault of ours outside execution: masked, logged
            entry = masked_entry(error, f"handling {request.method} {request.url.path}")
            response = _json({"errors": [entry]}, 500, JSON)
        if budget is not None:
            response.headers.update(budget.decision.headers())
        return response

    def _budget(self, request: Request) -> RequestBudget | None:
        if self.buckets is None or self.client_key is None:
            return None
        return RequestBudget(self.buckets, self.client_key(request))

    async def _answer(self, request: Request, budget: RequestBudget | None) -> Response:
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
                params = await _params_from_body(request)
            else:
                raise RequestError(
                    405,
                    f"{request.method} is not supported; use GET or POST",
                    {"Allow": "GET, POST"},
                )
            result = await self._execute(params, request.method == "GET", budget)
        except RequestError as error:
            entry: dict[str, Any] = {"message": str(error)}
            if error.extensions:
                entry["extensions"] = error.extensions
            media = JSON if error.status in (406, 429) else _response_media_type_or_json(request)
            return _json({"errors": [entry]}, error.status, media, error.headers)
        if budget is not None and budget.refusal is not None:
            status = 429
        else:
            status = _status(result, media_type)
        return _json(_result_body(result), status, media_type)

    async def _execute(
        self, params: GraphQLParams, is_get: bool, budget: RequestBudget | None
    ) -> ExecutionResult:
        # Subscriptions need a connection that stays open (a WebSocket), never plain HTTP.
        allowed = (
            (OperationType.QUERY,) if is_get else (OperationType.QUERY, OperationType.MUTATION)
        )
        context = RequestContext(
            graph=self.graph,
            operation_name=params.operation_name,
            charge=budget.charge if budget is not None else None,
        )
        try:
            return await run_in_threadpool(
                self.schema.execute_sync,
                params.query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
            )
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
            return ExecutionResult(data=None, errors=[GraphQLError(message)])


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
    if query is None:
        raise RequestError(400, "the request has no `query` parameter")
    return GraphQLParams(
        query=query,
        variables=_json_object(args.get("variables"), "variables"),
        operation_name=args.get("operationName") or None,
        extensions=_json_object(args.get("extensions"), "extensions"),
    )


async def _params_from_body(request: Request) -> GraphQLParams:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != JSON:
        raise RequestError(415, f"POST bodies must be {JSON} (got {content_type or 'no type'!r})")
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
    if not isinstance(query, str):
        raise RequestError(400, "`query` must be a string holding a GraphQL document")
    operation_name = body.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "`operationName` must be a string or null")
    return GraphQLParams(
        query=query,
        variables=_object_or_none(body.get("variables"), "variables"),
        operation_name=operation_name,
        extensions=_object_or_none(body.get("extensions"), "extensions"),
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


def _status(result: ExecutionResult, media_type: str) -> int:
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
