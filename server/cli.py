"""The ``showgraph`` command: serve, validate a dataset, export the schema."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from graph_data import check_dataset
from schema import build_schema
from schema.build import SDL_PATH, export_sdl
from server.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ValueError as error:  # a bad setting: say which, no traceback
        print(f"showgraph: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="showgraph", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the GraphQL API (default: built-in dataset)")
    serve.add_argument("--host", help="interface to bind (env SHOWGRAPH_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env SHOWGRAPH_PORT, default 8000)")
    serve.add_argument(
        "--dataset",
        type=Path,
        help="dataset file (env SHOWGRAPH_DATASET, default: built-in Heartstopper)",
    )
    serve.add_argument(
        "--workers", type=int, help="worker processes (env SHOWGRAPH_WORKERS, default 1)"
    )
    serve.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (env SHOWGRAPH_LOG_LEVEL, default info)",
    )
    serve.set_defaults(run=_serve)

    validate = commands.add_parser("validate", help="check dataset files and list every problem")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.set_defaults(run=_validate)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument(
        "--output",
        type=Path,
        help=f"write to this file instead of stdout (the checked-in copy is {SDL_PATH.name})",
    )
    export.set_defaults(run=_export_schema)
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env().with_overrides(
        host=args.host,
        port=args.port,
        dataset=args.dataset,
        workers=args.workers,
        log_level=args.log_level,
    )
    _, problems = check_dataset(settings.dataset)
    if problems:  # refuse to start, and say why, before any worker is spawned
        print(
            f"showgraph: cannot serve {settings.dataset}: {len(problems)} problem(s)",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    os.environ.update(settings.to_env())  # workers rebuild the same settings from these
    uvicorn.run(
        "server.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.paths:
        _, problems = check_dataset(path)
        if problems:
            failed += 1
            print(f"{path}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def _export_schema(args: argparse.Namespace) -> int:
    sdl = export_sdl(build_schema())
    if args.output:
        args.output.write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)
    return 0


if __name__ == "__main__":
    sys.exit(main())
