"""The ``showgraph`` command: every subcommand's arguments, and what each one runs.

serve, validate, export-schema, generate, export, import, restore and db;
the work itself is done by the modules they call (``graph_data.formats``,
``graph_data.importing``, ``graph_data.restoring``, ``graph_data.generate``,
``server.app``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph_data import DatasetError, Problem, ShowGraph, check_dataset
from graph_data.loader import describe_paths
from graph_data.store import check_journal
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
    ("--dataset", Path, "dataset file or directory; repeat it to load several as one graph"),
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
    ("--max-subscriptions", int, "subscriptions open at once in one process"),
    ("--cors-origins", _comma_list, "origins allowed to call cross-origin, comma-separated"),
    ("--trusted-proxies", _comma_list, "proxies whose X-Forwarded-For is believed (IPs/CIDRs)"),
    ("--rate-limit", bool, "rate-limit each client by query cost"),
    ("--rate-limit-burst", int, "query cost a client may spend at once"),
    ("--rate-limit-per-second", float, "query cost a client regains per second"),
    ("--data-dir", str, "directory of the journal and snapshots (unset: writes kept in memory)"),
    ("--store", str, "postgresql://... to keep changes in PostgreSQL instead"),
    ("--tokens-file", str, "file of name=token lines: who may write"),
    ("--snapshot-every", int, "changes between snapshots"),
    ("--history-keep", int, "latest changes to keep in the history (0: every change)"),
    (
        "--history-writers-public",
        bool,
        "show readers without a token which token made each change",
    ),
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
    if name == "dataset":
        return (
            f"{text} (env SHOWGRAPH_DATASET, several separated by '{os.pathsep}'; default: the "
            "built-in dataset, graph_data/datasets/)"
        )
    local = getattr(PROFILES["local"], name)
    production = getattr(PROFILES["production"], name)
    default = _shown(local) + (
        "" if local == production else f", {_shown(production)} in production"
    )
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
    import psycopg

    from graph_data.store import StoreError, StoreUnavailableError

    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ValueError as error:  # a bad setting: say which, no traceback
        print(f"showgraph: {error}", file=sys.stderr)
        return 2
    except (StoreUnavailableError, psycopg.OperationalError) as error:
        return _cannot_start(
            error,
            "check that the database is running and that --store (SHOWGRAPH_STORE) points at it",
        )
    except StoreError as error:
        return _cannot_start(
            error,
            'repair or move the damaged file (docs/deployment.md, "If start-up stops on a '
            'damaged file") and start again',
        )


def _cannot_start(error: Exception, advice: str) -> int:
    """One line for an operator, not a traceback: what failed and what to do; exit code 1."""
    reason = " ".join(str(error).split())
    print(f"showgraph: cannot start: {reason}; {advice}", file=sys.stderr)
    return 1


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
        elif flag == "--dataset":
            serve.add_argument(flag, type=kind, action="append", help=_help(flag, text))
        elif flag == "--log-level":
            serve.add_argument(flag, choices=LOG_LEVELS, help=_help(flag, text))
        else:
            serve.add_argument(flag, type=kind, help=_help(flag, text))
    serve.set_defaults(run=_serve)

    validate = commands.add_parser(
        "validate",
        help="check dataset files together, as one graph, and list every problem",
        description="Check dataset files (or directories of them) together, as serve would "
        "load them: references across files resolve. Exits 1 if there is any problem.",
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.set_defaults(run=_validate)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument(
        "--output",
        type=Path,
        help=f"write to this file instead of stdout (the checked-in copy is {SDL_PATH.name})",
    )
    export.set_defaults(run=_export_schema)

    _add_generate(commands)
    _add_export(commands)
    _add_import(commands)
    _add_restore(commands)

    db = commands.add_parser("db", help="PostgreSQL store: init (migrations) or snapshot")
    db.add_argument("action", choices=["init", "snapshot"])
    db.add_argument("--store", help="postgresql://... (env SHOWGRAPH_STORE)")
    db.add_argument(
        "--dataset", type=Path, action="append", help="dataset for the first snapshot (repeatable)"
    )
    db.set_defaults(run=_db)
    return parser


def _db(args: argparse.Namespace) -> int:
    from graph_data import pgstore

    settings = Settings.from_env().with_overrides(store=args.store, dataset=_paths(args.dataset))
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
    import logging
    import logging.config

    import uvicorn

    overrides = {_dest(flag): getattr(args, _dest(flag)) for flag, _, _ in SERVE_FLAGS}
    overrides["dataset"] = _paths(args.dataset)
    settings = Settings.from_env(profile=args.profile).with_overrides(**overrides)
    if args.dataset is not None or "SHOWGRAPH_DATASET" in os.environ:
        _say_what_is_served(settings)
    app: Any = "server.app:create_app_from_env"
    if settings.workers == 1:
        from server.app import create_app, freeze_heap

        logging.config.dictConfig(log_config(settings.log_level))
        # While the store opens, the pool's per-attempt warnings would bury the one
        # line main() prints if it cannot; afterwards they report outages again.
        pool_log = logging.getLogger("psycopg.pool")
        level = pool_log.level
        pool_log.setLevel(logging.ERROR)
        try:
            app = create_app(settings)
        except DatasetError as error:
            return _refuse(settings.dataset, error.problems)
        finally:
            pool_log.setLevel(level)
        freeze_heap()
    else:
        _check_store(settings)
        if not _starts_from_snapshot(settings):
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


def _check_store(settings: Settings) -> None:
    """Before spawning workers, what would stop every one of them, raised once here.

    ``main`` prints it as one line; inside a worker it would be a traceback
    per worker. An unreachable database and a damaged journal line are found
    cheaply (the workers migrate anyway); a damaged snapshot only by reading
    it all, which each worker does.
    """
    if settings.store:
        from graph_data.pgstore import migrate

        migrate(settings.store)
    elif settings.data_dir:
        check_journal(Path(settings.data_dir) / "journal.jsonl")


def _starts_from_snapshot(settings: Settings) -> bool:
    """True when the workers will load a data directory's snapshot, not the dataset."""
    return (
        bool(settings.data_dir)
        and not settings.store
        and (Path(settings.data_dir) / "snapshot.json").exists()
    )


def _paths(given: list[Path] | None) -> tuple[Path, ...] | None:
    """Repeated ``--dataset`` flags as the setting's tuple; None when none was given."""
    return tuple(given) if given else None


def _say_what_is_served(settings: Settings) -> None:
    """A dataset was named but a store of record holds the graph: say which is served, and why."""
    datasets = describe_paths(settings.dataset)
    if settings.store:
        from graph_data.pgstore import describe

        print(
            f"showgraph: serving the graph stored in PostgreSQL ({describe(settings.store)}); "
            f"the dataset ({datasets}) is loaded only into an empty database. Use "
            "`showgraph import` to bring a dataset into it.",
            file=sys.stderr,
        )
    elif _starts_from_snapshot(settings):
        print(
            f"showgraph: serving the data directory {settings.data_dir} (its snapshot and "
            f"journal, with every change made since it was created); the dataset ({datasets}) "
            "is read only to start a new data directory. Use `showgraph import` to bring a "
            "dataset into it.",
            file=sys.stderr,
        )


def _refuse(dataset: Sequence[Path] | Path | str, problems: Sequence[Problem]) -> int:
    """Refuse to start, and say why, without a traceback."""
    shown = describe_paths(dataset) if not isinstance(dataset, str) else dataset
    print(f"showgraph: cannot serve {shown}: {len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def _validate(args: argparse.Namespace) -> int:
    """Check the files together, as ``serve`` loads them: one graph, references across files."""
    shown = describe_paths(args.paths)
    _, problems = check_dataset(args.paths)
    if not problems:
        print(f"{shown}: ok")
        return 0
    print(f"{shown}: {len(problems)} problem(s)")
    for problem in problems:
        print(f"  - {problem}")
    return 1


def _export_schema(args: argparse.Namespace) -> int:
    sdl = export_sdl(build_schema())
    if args.output:
        args.output.write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)
    return 0


# --- generate, export and import ---------------------------------------------------------------


def _add_generate(commands: Any) -> None:
    generate = commands.add_parser(
        "generate",
        help="write a synthetic dataset of any size",
        description="Write a synthetic dataset (valid showgraph/1) for load tests and benchmarks.",
    )
    size = generate.add_mutually_exclusive_group(required=True)
    size.add_argument(
        "--nodes", type=int, help="this many graph nodes, within 10%% from 200 nodes up"
    )
    size.add_argument("--shows", type=int, help="generate exactly this many shows")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument(
        "--output", type=Path, required=True, help="file to write: .json (fast) or .yaml"
    )
    generate.set_defaults(run=_generate)


def _generate(args: argparse.Namespace) -> int:
    import time

    from graph_data import generate

    if args.output.suffix not in {".json", ".yaml", ".yml"}:
        raise ValueError(f"--output must end in .json, .yaml or .yml (got {args.output.name!r})")
    if (args.shows if args.shows is not None else args.nodes) < 1:
        raise ValueError("--nodes and --shows must be at least 1")
    started = time.perf_counter()
    if args.shows is not None:
        data = generate.generate(args.shows, seed=args.seed)
    else:
        data = generate.generate_nodes(args.nodes, seed=args.seed)
    generate.write_dataset(data, args.output)
    nodes, edges = generate.count_graph(data)
    size_mb = args.output.stat().st_size / 1e6
    print(
        f"wrote {args.output}: {len(data['shows'])} shows, {nodes} nodes, {edges} edges "
        f"({edges / nodes:.2f} edges per node), {size_mb:.1f} MB, seed {args.seed}, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _store_flags(parser: argparse.ArgumentParser) -> None:
    """Where the graph is: the same settings (and variables) as ``serve``."""
    parser.add_argument("--data-dir", help="a server's data directory (env SHOWGRAPH_DATA_DIR)")
    parser.add_argument("--store", help="postgresql://... (env SHOWGRAPH_STORE)")
    parser.add_argument(
        "--dataset",
        type=Path,
        action="append",
        help="dataset file or directory (repeatable; env SHOWGRAPH_DATASET): the graph when "
        "there is no store, and the start of a new one",
    )


def _add_export(commands: Any) -> None:
    from graph_data.formats import FORMATS

    export = commands.add_parser(
        "export",
        help="export the graph (graphml, gexf, json, dataset)",
        description="Write the graph as GraphML, GEXF, node-link JSON or a showgraph/1 dataset, "
        "read from the store the settings name (a PostgreSQL store, a data directory), "
        "else from the dataset files.",
    )
    export.add_argument(
        "--format", "-f", choices=FORMATS, help="default: from --output's name (.graphml, ...)"
    )
    export.add_argument(
        "--output", "-o", type=Path, help="file to write (default: standard output)"
    )
    export.add_argument(
        "--with-history",
        action="store_true",
        help="add the history: every change the graph can be read back through, oldest first "
        "(json and dataset formats; import --with-history starts a new store with it)",
    )
    _store_flags(export)
    export.set_defaults(run=_export)


def _export(args: argparse.Namespace) -> int:
    from graph_data.formats import HISTORY_FORMATS, SUFFIXES, export_graph
    from graph_data.store import StoreError

    output: Path | None = None if args.output in (None, Path("-")) else args.output
    fmt = args.format or (SUFFIXES.get(output.suffix) if output else None)
    if fmt is None:
        raise ValueError("export needs --format (graphml, gexf, json or dataset)")
    if args.with_history and fmt not in HISTORY_FORMATS:
        raise ValueError(f"--with-history needs --format {' or '.join(HISTORY_FORMATS)}")
    try:
        store, model = _open_store(args)
        try:
            history = _history_of(store, model) if args.with_history else None
            out = output if output is not None else sys.stdout.buffer
            export_graph(model, fmt, out, history=history)
        finally:
            _release(args, store, model)
    except (DatasetError, StoreError) as error:
        print(f"showgraph export: {error}", file=sys.stderr)
        return 1
    if output is not None:
        nodes, edges = model.graph.number_of_nodes(), model.graph.number_of_edges()
        print(f"wrote {output}: {fmt}, {nodes} nodes, {edges} edges", file=sys.stderr)
    return 0


def _history_of(store: Any, model: ShowGraph) -> list[Any]:
    """The changes an export carries: those the graph can be read back through (the floor on)."""
    history = store.history
    return list(history.between(history.floor(model.version), model.version))


def _add_import(commands: Any) -> None:
    from graph_data.formats import IMPORT_FORMATS

    command = commands.add_parser(
        "import",
        help="merge a dataset, graph file or TVmaze JSON into the store, as one change",
        description="Check a file (a showgraph/1 dataset, node-link JSON, GraphML or GEXF from "
        "`showgraph export`, or TVmaze's show JSON) and merge it into the store the settings "
        "name (a data directory or PostgreSQL), as one change that running servers pick up: "
        "what the file holds is added or updated, nothing else is deleted unless --replace "
        "is given. Nothing changes unless the whole file, and the graph it makes, is valid. "
        "A history the file carries (export --with-history) is left aside, the store keeping "
        "its own, unless --with-history is given.",
    )
    command.add_argument("file", type=Path, help="the file to import")
    command.add_argument(
        "--format", "-f", choices=IMPORT_FORMATS, help="default: from the file's name and content"
    )
    command.add_argument(
        "--replace",
        action="store_true",
        help="make the store hold exactly the file's graph, deleting what the file lacks",
    )
    command.add_argument(
        "--with-history",
        action="store_true",
        help="start a NEW store (version 0) with the file's history: its changes written one by "
        "one, with their own versions, writers and notes (the file must come from "
        "export --with-history of a store that began from the same dataset)",
    )
    _store_flags(command)
    command.add_argument("--writer", default="showgraph-import", help="who the change says made it")
    command.set_defaults(run=_import)


def _import(args: argparse.Namespace) -> int:
    from graph_data.formats import read_export
    from graph_data.importing import import_history, import_into
    from graph_data.store import StoreError

    settings = _needs_store(args, "import")
    where = _where(settings)
    if args.with_history and args.replace:
        raise ValueError("import --with-history makes the file's graph whole: drop --replace")
    try:
        incoming, history = read_export(args.file, args.format)
        store, model = _open_store(args)
        try:
            if args.with_history and history:
                written = import_history(store, model, incoming, history, str(args.file))
            else:
                change = import_into(store, model, incoming, args.writer, replace=args.replace)
        finally:
            _release(args, store, model)
    except (DatasetError, StoreError) as error:
        print(f"showgraph import: {error}", file=sys.stderr)
        return 1
    if args.with_history and history:
        print(f"imported {args.file} into {where} with its history: versions 1 to {len(written)}")
        return 0
    if history:
        print(
            f"note: the file's history ({len(history)} change(s)) is not imported: {where} "
            "keeps its own history, where this import is one change (--with-history "
            "carries it into a new store)",
            file=sys.stderr,
        )
    if change is None:
        print(f"nothing to import: {where} already holds this graph (version {model.version})")
    else:
        print(f"imported {args.file} into {where}: version {change.version}, {change.summary}")
    return 0


def _add_restore(commands: Any) -> None:
    from graph_data.restoring import WRITER

    command = commands.add_parser(
        "restore",
        help="make the graph equal to a past version, as one new change",
        description="Make the graph of the store the settings name (a data directory or "
        "PostgreSQL) equal to the graph as of version N, by writing ONE new change that "
        "running servers pick up like any other: history is never rewritten, and the restore "
        "can itself be undone by restoring to the version before it. N must be older than "
        "the graph and within the history kept (SHOWGRAPH_HISTORY_KEEP). On PostgreSQL any "
        "replica may restore: every replica is a writer, and the database orders writes.",
    )
    command.add_argument(
        "--to-version", type=int, required=True, metavar="N", help="the version to restore"
    )
    command.add_argument("--note", default="", help="why: kept in the history with the change")
    command.add_argument("--writer", default=WRITER, help="who the change says made it")
    _store_flags(command)
    command.set_defaults(run=_restore)


def _restore(args: argparse.Namespace) -> int:
    """Restore through the store, so the change is written exactly as a mutation's would be."""
    from graph_data.restoring import RestoreError, restore_to
    from graph_data.store import StoreError

    settings = _needs_store(args, "restore")
    try:
        store, model = _open_store(args)
        try:
            change = restore_to(store, model, args.to_version, writer=args.writer, note=args.note)
        finally:
            _release(args, store, model)
    except (RestoreError, StoreError) as error:
        print(f"showgraph restore: {error}", file=sys.stderr)
        return 1
    where = _where(settings)
    if change is None:
        print(
            f"nothing to restore: {where} (version {model.version}) already holds the graph "
            f"of version {args.to_version}"
        )
    else:
        print(f"restored {where} to version {args.to_version}: version {change.version}")
    return 0


def _needs_store(args: argparse.Namespace, command: str) -> Settings:
    """The settings, if they name a store to write to: a command that writes needs one."""
    settings = _store_settings(args)
    if not settings.store and not settings.data_dir:
        raise ValueError(
            f"{command} needs a store to write to: --data-dir DIR or --store postgresql://... "
            "(or SHOWGRAPH_DATA_DIR / SHOWGRAPH_STORE)"
        )
    return settings


def _store_settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().with_overrides(
        data_dir=args.data_dir, store=args.store, dataset=_paths(args.dataset)
    )


def _where(settings: Settings) -> str:
    if settings.store:
        from graph_data.pgstore import describe

        return describe(settings.store)
    return settings.data_dir or describe_paths(settings.dataset)


def _open_store(args: argparse.Namespace) -> tuple[Any, ShowGraph]:
    """The store the settings name (as ``serve`` opens it) and its graph."""
    from graph_data.store import StoreError
    from server.app import open_store

    settings = _store_settings(args)
    reading = getattr(args, "file", None) is None  # export reads; only import may start one
    if (
        reading
        and settings.data_dir
        and not settings.store
        and not Path(settings.data_dir).is_dir()
    ):
        raise StoreError(f"{settings.data_dir}: no such data directory")
    store = open_store(settings)
    return store, store.open()


def _release(args: argparse.Namespace, store: Any, model: ShowGraph) -> None:
    """Close a PostgreSQL store's connections; a data directory needs nothing."""
    if _store_settings(args).store:
        store.close(model)


if __name__ == "__main__":
    sys.exit(main())
