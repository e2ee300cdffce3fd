"""The ``showgraph`` command: serve, validate a dataset, export the schema."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph_data import DatasetError, Problem, check_dataset
from schema import build_schema
from schema.build import SDL_PATH, export_sdl
from server.logs import log_config
from server.settings import PROFILES, Settings


def _comma_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


# Every flag of `serve` but --profile: (flag, type, what it sets). Each sets the
# setting of the same name (dashes for underscores), overriding SHOWGRAPH_<NAME>;
# the help adds the variable and the default from Settings, so they cannot drift.
SERVE_FLAGS: tuple[tuple[str, Any, str], ...] = (
    ("--host", str, "interface to bind"),
    ("--port", int, "port"),
    ("--dataset", Path, "dataset file"),
    ("--workers", int, "worker processes"),
    ("--log-level", str, "log level"),
    ("--introspection", bool, "allow introspection and field suggestions"),
    ("--max-depth", int, "deepest nesting of fields in a query"),
    ("--max-aliases", int, "aliases in the operation that runs"),
    ("--max-tokens", int, "tokens in one document"),
    ("--max-directives", int, "directives on one field, fragment or operation"),
    ("--max-cost", int, "query cost: the most fields a query can resolve on the graph served"),
    ("--max-page-size", int, "largest `first` a list may ask for (at most 100)"),
    ("--max-body-bytes", int, "largest request body, in bytes"),
    ("--execution-timeout", float, "seconds a query may run before it is stopped"),
    ("--cors-origins", _comma_list, "origins allowed to call cross-origin, comma-separated"),
    ("--trusted-proxies", _comma_list, "proxies whose X-Forwarded-For is believed (IPs/CIDRs)"),
    ("--rate-limit", bool, "rate-limit each client by query cost"),
    ("--rate-limit-burst", int, "query cost a client may spend at once"),
    ("--rate-limit-per-second", float, "query cost a client regains per second"),
    ("--data-dir", str, "directory of the journal and snapshots (unset: writes kept in memory)"),
    ("--store", str, "postgresql://... to keep changes in PostgreSQL instead"),
    ("--tokens-file", str, "file of name=token lines: who may write"),
    ("--snapshot-every", int, "changes between snapshots"),
    ("--cache-bytes", int, "memory for cached responses, in bytes (0: no cache)"),
    ("--cache-control", str, "Cache-Control header of GET answers"),
    ("--allow-list", str, "JSON file of the only queries to run (persisted-query allow-list)"),
    ("--document-cache-bytes", int, "memory for parsed documents and compiled plans, in bytes"),
    ("--persisted-query-bytes", int, "memory for learnt persisted-query documents, in bytes"),
)
LOG_LEVELS = ["critical", "error", "warning", "info", "debug"]


def _help(flag: str, text: str) -> str:
    """The flag's help with its variable and default(s), taken from the profiles."""
    name = _dest(flag)
    local = getattr(PROFILES["local"], name)
    production = getattr(PROFILES["production"], name)
    default = _shown(local) + (
        "" if local == production else f", {_shown(production)} in production"
    )
    if name == "dataset":
        return f"{text} (env SHOWGRAPH_DATASET, default: the built-in Heartstopper dataset)"
    return f"{text} (env SHOWGRAPH_{name.upper()}, default {default})"


def _shown(value: object) -> str:
    if value == "":
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    args.rest = rest
    if rest and not hasattr(args, "run"):
        parser.parse_args(argv)  # reports the unknown arguments
    if rest and args.run.__name__ != "run":
        parser.parse_args(argv)  # only delegated subcommands take arguments of their own
    try:
        return int(args.run(args))
    except ValueError as error:  # a bad setting: say which, no traceback
        print(f"showgraph: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="showgraph", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the GraphQL API (default: built-in dataset)")
    serve.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="defaults for where it runs: local, or production with rate limiting on and "
        "introspection off (env SHOWGRAPH_PROFILE, default local)",
    )
    for flag, kind, text in SERVE_FLAGS:
        if kind is bool:
            serve.add_argument(flag, action=argparse.BooleanOptionalAction, help=_help(flag, text))
        elif flag == "--log-level":
            serve.add_argument(flag, choices=LOG_LEVELS, help=_help(flag, text))
        else:
            serve.add_argument(flag, type=kind, help=_help(flag, text))
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

    for name, help_text, entry in (
        ("generate", "write a synthetic dataset of any size", "graph_data.generate:main"),
        (
            "export",
            "export the graph (graphml, gexf, json, dataset)",
            "graph_data.exchange:export_main",
        ),
        (
            "import",
            "import a dataset or node-link JSON as one change",
            "graph_data.exchange:import_main",
        ),
    ):
        sub = commands.add_parser(name, help=help_text, add_help=False)
        sub.set_defaults(run=_delegate(entry, name))

    db = commands.add_parser("db", help="PostgreSQL store: init (migrations) or snapshot")
    db.add_argument("action", choices=["init", "snapshot"])
    db.add_argument("--store", help="postgresql://... (env SHOWGRAPH_STORE)")
    db.add_argument("--dataset", type=Path, help="dataset for the first snapshot")
    db.set_defaults(run=_db)
    return parser


def _delegate(entry: str, name: str) -> Any:
    """A subcommand whose arguments another module parses (its --help included)."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        module, _, function = entry.partition(":")
        main_function = getattr(importlib.import_module(module), function)
        rest = list(args.rest)
        if name in ("export", "import") and not {"-h", "--help"} & set(rest):
            settings = Settings.from_env()  # the same data as `serve` unless told otherwise
            if settings.data_dir and "--data-dir" not in rest:
                rest += ["--data-dir", settings.data_dir]
            if "--dataset" not in rest:
                rest += ["--dataset", str(settings.dataset)]
        return int(main_function(rest))

    return run


def _db(args: argparse.Namespace) -> int:
    from graph_data import pgstore

    settings = Settings.from_env().with_overrides(store=args.store, dataset=args.dataset)
    if not settings.store:
        raise ValueError("db needs --store postgresql://... (or SHOWGRAPH_STORE)")
    if args.action == "init":
        applied = pgstore.db_init(settings.store)
        print(f"migrations applied: {applied or 'none, the database is up to date'}")
    else:
        version = pgstore.db_snapshot(settings.store, settings.dataset)
        print(f"snapshot stored at version {version}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Serve; the dataset is read and validated once, by whoever builds the graph.

    With one worker (the default) the app, graph included, is built here and
    handed to uvicorn, so a bad dataset is reported before the server starts
    and a good one is not read twice (at a million nodes each reading costs
    about half a minute). Several workers each build their own graph in their
    own process; the dataset is checked here first, so that they are not
    spawned only to fail, unless they will start from a snapshot instead.
    """
    import logging.config

    import uvicorn

    overrides = {_dest(flag): getattr(args, _dest(flag)) for flag, _, _ in SERVE_FLAGS}
    settings = Settings.from_env(profile=args.profile).with_overrides(**overrides)
    app: Any = "server.app:create_app_from_env"
    if settings.workers == 1:
        from server.app import create_app, freeze_heap

        logging.config.dictConfig(log_config(settings.log_level))
        try:
            app = create_app(settings)
        except DatasetError as error:
            return _refuse(settings.dataset, error.problems)
        freeze_heap()
    elif not _starts_from_snapshot(settings):
        _, problems = check_dataset(settings.dataset)
        if problems:
            return _refuse(settings.dataset, problems)
    os.environ.update(settings.to_env())  # workers rebuild the same settings from these
    uvicorn.run(
        app,
        factory=isinstance(app, str),
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        # Every log line JSON, uvicorn's own included; the app writes the access
        # lines (with request id and operation), so uvicorn's are off.
        log_config=log_config(settings.log_level),
        access_log=False,
        # X-Forwarded-For is believed only from SHOWGRAPH_TRUSTED_PROXIES, by the
        # app itself (server.ratelimit), never by uvicorn's default of 127.0.0.1.
        proxy_headers=False,
    )
    return 0


def _starts_from_snapshot(settings: Settings) -> bool:
    """True when the workers will load a data directory's snapshot, not the dataset."""
    return (
        bool(settings.data_dir)
        and not settings.store
        and (Path(settings.data_dir) / "snapshot.json").exists()
    )


def _refuse(dataset: Path | str, problems: Sequence[Problem]) -> int:
    """Refuse to start, and say why, without a traceback."""
    print(f"showgraph: cannot serve {dataset}: {len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


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
