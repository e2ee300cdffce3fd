"""The baseline for case (a): Starlette answering a precomputed JSON body, nothing else.

``python bench/raw_app.py --port P --body-file F [--log-level L]`` serves the
bytes of F at ``/graphql`` (GET or POST, the request body read and dropped, as
the real server reads it) and ``/healthz``. It runs under uvicorn exactly as
``showgraph serve`` does (``uvicorn.run`` with one worker, the same host and
log level, uvicorn's default loop and HTTP parser, no uvicorn access log and
no proxy-header handling), so the difference between this and the real
server is the GraphQL work, not the stack.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app(body: bytes) -> Starlette:
    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["GET", "POST"]), Route("/healthz", healthz)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    app = create_app(args.body_file.read_bytes())
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        log_level=args.log_level,
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
