"""The application factory: settings and a graph in, a Starlette app out."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import strawberry
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from graph_data import ShowGraph, load_graph
from graph_data.store import JournalStore, MemoryStore, Store
from schema import build_schema
from server.auth import load_tokens
from server.bodylimit import BodySizeLimit
from server.caching import PersistedQueries, ResponseCache, load_allow_list
from server.cors import cors_middleware
from server.executor import executor_class
from server.explorer import explorer_routes
from server.fastlane import GraphQLFastLane
from server.graphiql import graphiql_static_dir
from server.graphql_http import STATIC_PREFIX, GraphQLEndpoint, Observation
from server.logs import RequestIdMiddleware, access_log
from server.metrics import Metrics, operation_label
from server.pipeline import Pipeline
from server.pipeline.documents import Documents
from server.pipeline.execution import Executor
from server.ratelimit import TokenBuckets, client_key, parse_networks
from server.settings import Settings
from server.websocket import WebSocketEndpoint
from server.writes import WriteSide


def create_app(settings: Settings | None = None, graph: ShowGraph | None = None) -> Starlette:
    """Build the app over the store the settings name (or over ``graph``, kept in memory)."""
    settings = settings or Settings()
    store = open_store(settings, graph)
    graph = store.open()
    writes = WriteSide(
        store,
        graph,
        load_tokens(settings.tokens, _path(settings.tokens_file)),
        writers_public=settings.history_writers_public,
        max_subscriptions=settings.max_subscriptions,
    )
    schema = served_schema(settings)
    cache = ResponseCache(settings.cache_bytes) if settings.cache_bytes else None
    metrics = Metrics(graph, cache)

    def observe(seen: Observation) -> None:
        """Every GraphQL answer: counted in the metrics, one line in the access log."""
        metrics.observe(seen.operation, seen.status, seen.duration, seen.error_codes)
        access_log(
            method=seen.method,
            path=seen.path,
            status=seen.status,
            duration=seen.duration,
            operation=operation_label(seen.operation),
        )

    buckets = (
        TokenBuckets(settings.rate_limit_burst, settings.rate_limit_per_second)
        if settings.rate_limit
        else None
    )
    keys = partial(client_key, trusted_proxies=parse_networks(settings.trusted_proxies))
    pipeline = build_pipeline(settings, schema, graph, writes)
    endpoint = GraphQLEndpoint(
        pipeline,
        cache=cache,
        cache_control=settings.cache_control,
        buckets=buckets,
        client_key=keys,
        observer=observe,
        cors=bool(settings.cors_origins),
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """Ready: the graph is loaded and the store of record answered when last asked."""
        ready = writes.available
        body = {"status": "ready" if ready else "store unavailable", "graphVersion": graph.version}
        return JSONResponse(body, status_code=200 if ready else 503)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        following = asyncio.create_task(writes.follow())
        # The cost analysis needs the graph's fan-out: measure it now, off the loop,
        # rather than in the first request (a second at 100k nodes).
        measuring = asyncio.create_task(run_in_threadpool(lambda: graph.fanout))
        try:
            yield
        finally:
            measuring.cancel()
            following.cancel()
            await run_in_threadpool(writes.close)

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    app = Starlette(
        routes=[
            Route("/graphql", endpoint.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute(
                "/graphql", WebSocketEndpoint(pipeline, buckets, keys, settings.cors_origins)
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
            Route("/", home),
            Mount(STATIC_PREFIX, StaticFiles(directory=graphiql_static_dir()), name="graphiql"),
            *explorer_routes(),
        ],
        middleware=[
            # Outermost first. Plain GraphQL requests leave the stack here (server.fastlane).
            Middleware(
                GraphQLFastLane,
                endpoint=endpoint,
                path="/graphql",
                max_body_bytes=settings.max_body_bytes,
                cors=bool(settings.cors_origins),
            ),
            # An id for every other request, 413s and CORS refusals included.
            Middleware(RequestIdMiddleware),
            # Then refuse big bodies before anything reads them.
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            *cors_middleware(settings.cors_origins),  # WebSockets: server.websocket checks
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.graph = graph
    app.state.endpoint = endpoint
    app.state.metrics = metrics
    app.state.writes = writes
    return app


def open_store(settings: Settings, graph: ShowGraph | None = None) -> Store:
    """The store of record the settings name: PostgreSQL, a data directory, or memory."""
    if graph is not None:
        return MemoryStore(graph, history_keep=settings.history_keep)
    if settings.store:
        from graph_data.pgstore import PostgresStore

        return PostgresStore(
            settings.store,
            settings.dataset,
            snapshot_every=settings.snapshot_every,
            history_keep=settings.history_keep,
        )
    if settings.data_dir:
        return JournalStore(
            Path(settings.data_dir),
            settings.dataset,
            settings.snapshot_every,
            history_keep=settings.history_keep,
        )
    return MemoryStore(load_graph(settings.dataset), history_keep=settings.history_keep)


def _path(setting: str) -> Path | None:
    return Path(setting) if setting else None


def served_schema(settings: Settings) -> strawberry.Schema:
    """The schema the settings serve (introspection on or off), built once per app."""
    return build_schema(introspection=settings.introspection)


def build_pipeline(
    settings: Settings, schema: strawberry.Schema, graph: ShowGraph, writes: WriteSide
) -> Pipeline:
    """The request pipeline (``server.pipeline``) every transport of the app goes through."""
    documents = Documents(
        settings.document_cache_bytes,
        settings.max_tokens,
        settings.max_body_bytes,
        settings.max_directives,
        settings.max_depth,
    )
    executor = Executor(
        schema,
        graph,
        documents,
        executor_class(settings.execution_timeout, hide_suggestions=not settings.introspection),
        settings.execution_timeout,
    )
    allow_list = load_allow_list(Path(settings.allow_list)) if settings.allow_list else None
    persisted = PersistedQueries(settings.persisted_query_bytes, allow_list=allow_list)
    return Pipeline(schema, graph, settings, writes, persisted, executor, documents)


def create_app_from_env() -> Starlette:
    """Factory for uvicorn workers: each worker reads the settings its parent exported."""
    app = create_app(Settings.from_env())
    freeze_heap()
    return app


def freeze_heap() -> None:
    """Take what start-up built (the graph, the schema) out of the garbage collector's sight.

    Those objects live as long as the process, yet every full collection
    would walk them all again; a served request allocates enough that
    collections are frequent (measured: 7 µs of a 75 µs small query, more on
    a big graph). Frozen objects are still freed by reference counting when a
    write drops them; only cycles among them would stay.
    """
    gc.collect()
    gc.freeze()
