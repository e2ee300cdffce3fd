"""The application factory: settings and a graph in, a Starlette app out."""

from __future__ import annotations

from functools import partial

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from graph_data import ShowGraph, load_graph
from schema import build_schema
from server.bodylimit import BodySizeLimit
from server.cors import WebSocketOriginGuard, cors_middleware
from server.executor import executor_class
from server.explorer import explorer_routes
from server.graphiql import graphiql_static_dir
from server.graphql_http import STATIC_PREFIX, GraphQLEndpoint
from server.limits import QueryLimits, limit_rules
from server.ratelimit import TokenBuckets, client_key, parse_networks
from server.settings import Settings


def create_app(settings: Settings | None = None, graph: ShowGraph | None = None) -> Starlette:
    """Build the app; loads the dataset named in ``settings`` unless a graph is given."""
    settings = settings or Settings()
    graph = graph if graph is not None else load_graph(settings.dataset)
    endpoint = GraphQLEndpoint(
        served_schema(settings),
        graph,
        buckets=(
            TokenBuckets(settings.rate_limit_burst, settings.rate_limit_per_second)
            if settings.rate_limit
            else None
        ),
        client_key=partial(client_key, trusted_proxies=parse_networks(settings.trusted_proxies)),
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    app = Starlette(
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            Route("/healthz", healthz),
            Route("/", home),
            Mount(STATIC_PREFIX, StaticFiles(directory=graphiql_static_dir()), name="graphiql"),
            *explorer_routes(),
        ],
        middleware=[
            # Outermost first: refuse big bodies before anything reads them.
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            *cors_middleware(settings.cors_origins),
            Middleware(WebSocketOriginGuard, allowed=settings.cors_origins),
        ],
    )
    app.state.settings = settings
    app.state.graph = graph
    return app


def served_schema(settings: Settings) -> strawberry.Schema:
    """The schema with every limit of ``settings`` in its pipeline, built once per app."""
    return build_schema(
        limit_rules=limit_rules(settings),
        introspection=settings.introspection,
        extensions=[lambda: QueryLimits(settings)],
        executor_class=executor_class(
            settings.execution_timeout, hide_suggestions=not settings.introspection
        ),
    )


def create_app_from_env() -> Starlette:
    """Factory for uvicorn workers: each worker reads the settings its parent exported."""
    return create_app(Settings.from_env())
