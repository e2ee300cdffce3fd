"""The application factory: settings and a graph in, a Starlette app out."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from graph_data import ShowGraph, load_graph
from schema import build_schema
from server.explorer import explorer_routes
from server.graphiql import graphiql_static_dir
from server.graphql_http import STATIC_PREFIX, GraphQLEndpoint
from server.settings import Settings


def create_app(settings: Settings | None = None, graph: ShowGraph | None = None) -> Starlette:
    """Build the app; loads the dataset named in ``settings`` unless a graph is given."""
    settings = settings or Settings()
    graph = graph if graph is not None else load_graph(settings.dataset)
    endpoint = GraphQLEndpoint(build_schema(), graph)

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
    )
    app.state.settings = settings
    app.state.graph = graph
    return app


def create_app_from_env() -> Starlette:
    """Factory for uvicorn workers: each worker reads the settings its parent exported."""
    return create_app(Settings.from_env())
