"""The showgraph command: validate, export-schema, and serve as a real process."""

from __future__ import annotations

import os
import subprocess
from dataclasses import fields
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from graph_data import BUILTIN_DATASET, check_dataset, load_graph
from graph_data.generate import count_graph
from graph_data.kinds import NodeKind
from schema.build import SDL_PATH
from server.cli import SERVE_FLAGS, main
from server.settings import Settings
from tests.server.conftest import SHOWGRAPH, LiveServer

BROKEN = """\
format: showgraph/1
sources: [{id: src, kind: ARTICLE, title: An article}]
actors:
  - {id: kit-connor, name: Kit Connor, sources: []}
  - {id: kit-connor, name: Again, sources: [src]}
characters:
  - {id: nick, show: heartstoper, name: Nick, sources: [src]}
shows:
  - {id: heartstopper, name: Heartstopper, sources: [src]}
"""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_validate_accepts_the_builtin_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BUILTIN_DATASET)]) == 0
    assert capsys.readouterr().out == f"{BUILTIN_DATASET}: ok\n"


def test_validate_prints_every_problem_and_fails(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{broken}: 3 problem(s)",
        f"  - {broken}:4: actors[0] (id 'kit-connor'): field 'sources': needs at least one "
        "source id: every fact names where it comes from",
        f"  - {broken}:5: actors[1] (id 'kit-connor'): field 'id': duplicate id 'kit-connor' "
        "(first defined at actors[0], line 4)",
        f"  - {broken}:7: characters[0] (id 'nick'): field 'show': unknown show 'heartstoper'; "
        "did you mean 'heartstopper'?",
    ]


def test_validate_checks_the_files_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared.yaml"
    shared.write_text(
        "format: showgraph/1\nsources: [{id: src, kind: ARTICLE, title: An article}]\n",
        encoding="utf-8",
    )
    show = tmp_path / "show.yaml"
    show.write_text(
        "format: showgraph/1\nshows: [{id: s, name: S, sources: [src]}]\n", encoding="utf-8"
    )
    assert main(["validate", str(shared), str(show)]) == 0
    assert capsys.readouterr().out == f"{shared}, {show}: ok\n"
    assert main(["validate", str(show)]) == 1
    assert "unknown source 'src'" in capsys.readouterr().out
    assert main(["validate", str(tmp_path)]) == 0


def test_serve_loads_every_dataset_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spy = ServeSpy(monkeypatch)
    second = tmp_path / "second.yaml"
    second.write_text(
        "format: showgraph/1\nshows: [{id: other, name: Other, sources: [article]}]\n",
        encoding="utf-8",
    )
    flags = ["serve", "--dataset", str(BUILTIN_DATASET), "--dataset", str(second), "--port", "0"]
    assert main(flags) == 0
    assert spy.reads == [BUILTIN_DATASET, second]
    [(app, _)] = spy.runs
    shows = app.state.graph.nodes_of(NodeKind.SHOW)
    assert {show.key for show in shows} == {"show:heartstopper", "show:other"}


def test_serve_says_it_serves_an_existing_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from graph_data import load_graph
    from graph_data.store import write_snapshot

    write_snapshot(load_graph(), tmp_path / "snapshot.json")
    spy = ServeSpy(monkeypatch)
    flags = ["serve", "--dataset", str(BUILTIN_DATASET), "--port", "0"]
    assert main([*flags, "--data-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"serving the data directory {tmp_path}" in err
    assert f"the dataset ({BUILTIN_DATASET}) is read only to start a new data directory" in err
    assert spy.reads == []


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    assert main(["export-schema", "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == SDL_PATH.read_text(encoding="utf-8")


def test_serve_refuses_an_invalid_dataset_without_a_traceback(broken: Path) -> None:
    result = subprocess.run(
        [str(SHOWGRAPH), "serve", "--dataset", str(broken), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"cannot serve {broken}: 3 problem(s)" in result.stderr
    assert "unknown show 'heartstoper'" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_bad_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SHOWGRAPH), "serve", "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (
        2,
        "showgraph: workers must be at least 1 (got 0)\n",
    )


def test_serve_answers_over_a_real_socket(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/graphql", json={"query": "{ shows { nodes { name } } }"}, timeout=10
    )
    assert response.json()["data"] == {"shows": {"nodes": [{"name": "Heartstopper"}]}}


def test_serve_with_two_workers_and_a_dataset_from_the_environment() -> None:
    server = LiveServer("--workers", "2", env={"SHOWGRAPH_DATASET": str(BUILTIN_DATASET)})
    try:
        server.wait_ready()
        for _ in range(4):
            response = httpx.get(
                f"{server.url}/graphql", params={"query": "{ actors { totalCount } }"}, timeout=10
            )
            assert response.json()["data"] == {"actors": {"totalCount": 6}}
    finally:
        assert server.stop() == 0


def test_every_setting_has_a_serve_flag() -> None:
    flags = {flag.removeprefix("--").replace("-", "_") for flag, _, _ in SERVE_FLAGS}
    # Tokens are secrets: a flag would show them to anyone running `ps`; they come
    # from SHOWGRAPH_TOKENS or --tokens-file only.
    assert flags | {"profile", "tokens"} == {spec.name for spec in fields(Settings)}


def test_serve_help_names_each_variable_and_default() -> None:
    result = subprocess.run(
        [str(SHOWGRAPH), "serve", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    text = " ".join(result.stdout.split())
    for spec in fields(Settings):
        assert f"SHOWGRAPH_{spec.name.upper()}" in text, spec.name
    assert "SHOWGRAPH_MAX_COST, default 50000)" in text
    assert "SHOWGRAPH_RATE_LIMIT, default off, on in production)" in text


def test_serve_in_the_production_profile() -> None:
    server = LiveServer("--profile", "production", "--max-depth", "5")
    try:
        server.wait_ready()
        url = f"{server.url}/graphql"
        ok = httpx.post(url, json={"query": "{ actors { totalCount } }"}, timeout=10)
        assert ok.json()["data"] == {"actors": {"totalCount": 6}}
        assert ok.headers["x-ratelimit-limit"] == "100000"
        introspection = httpx.post(
            url, json={"query": "{ __schema { types { name } } }"}, timeout=10
        )
        assert "introspection has been disabled" in introspection.json()["errors"][0]["message"]
        six = "{ shows { nodes { seasons { show { seasons { number } } } } } }"
        deep = httpx.post(url, json={"query": six}, timeout=10)
        assert "the limit is 5" in deep.json()["errors"][0]["message"]
    finally:
        server.stop()


class ServeSpy:
    """Stands in for uvicorn.run and counts how often a dataset file is read.

    It also keeps the logging configuration serve would apply in this process:
    applied, it would leave a handler on pytest's captured stderr, which later
    tests would find closed.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import gc
        import logging.config

        import uvicorn

        from graph_data import loader

        self.reads: list[Path] = []
        self.runs: list[tuple[object, dict[str, object]]] = []
        self.log_configs: list[dict[str, object]] = []
        monkeypatch.setattr(logging.config, "dictConfig", self.log_configs.append)
        self.freezes = 0
        monkeypatch.setattr(gc, "freeze", self._freeze)
        read = loader.read_data

        def counting_read(path: Path) -> object:
            self.reads.append(path)
            return read(path)

        monkeypatch.setattr(loader, "read_data", counting_read)
        monkeypatch.setattr(uvicorn, "run", lambda app, **kw: self.runs.append((app, kw)))
        # serve exports its settings to the environment for its workers: keep them in here
        monkeypatch.setattr(os, "environ", dict(os.environ))
        for name in ("SHOWGRAPH_DATASET", "SHOWGRAPH_DATA_DIR", "SHOWGRAPH_WORKERS"):
            monkeypatch.delenv(name, raising=False)

    def _freeze(self) -> None:
        self.freezes += 1


def test_serve_with_one_worker_reads_the_dataset_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.applications import Starlette

    spy = ServeSpy(monkeypatch)
    assert main(["serve", "--dataset", str(BUILTIN_DATASET), "--port", "0"]) == 0
    assert spy.reads == [BUILTIN_DATASET]
    [(app, options)] = spy.runs
    assert isinstance(app, Starlette)
    assert options["factory"] is False
    # Logging is set up before the app is built, so its start-up is logged as JSON.
    [config] = spy.log_configs
    assert config == options["log_config"]
    # What start-up built is out of the collector's way: the model froze the graph
    # it built, and serve the whole app before serving.
    assert spy.freezes == 2


def test_serve_with_one_worker_refuses_an_invalid_dataset(
    monkeypatch: pytest.MonkeyPatch, broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spy = ServeSpy(monkeypatch)
    assert main(["serve", "--dataset", str(broken), "--port", "0"]) == 1
    assert spy.runs == []
    assert f"cannot serve {broken}: 3 problem(s)" in capsys.readouterr().err


def test_serve_with_workers_checks_the_dataset_unless_they_start_from_a_snapshot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from graph_data import load_graph
    from graph_data.store import write_snapshot

    spy = ServeSpy(monkeypatch)
    flags = ["serve", "--workers", "2", "--dataset", str(BUILTIN_DATASET), "--port", "0"]
    assert main([*flags, "--data-dir", str(tmp_path)]) == 0
    assert spy.reads == [BUILTIN_DATASET]  # no snapshot yet: checked before spawning workers
    assert spy.runs[-1][0] == "server.app:create_app_from_env"
    write_snapshot(load_graph(), tmp_path / "snapshot.json")
    spy.reads.clear()
    assert main([*flags, "--data-dir", str(tmp_path)]) == 0
    assert spy.reads == []  # the workers load the snapshot; the dataset is not read


def test_generate_writes_the_file_and_reports_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "small.json"
    assert main(["generate", "--nodes", "3000", "--seed", "4", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    nodes, edges = count_graph(orjson.loads(out.read_bytes()))
    assert f"{nodes} nodes, {edges} edges" in printed
    assert check_dataset(out)[1] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--output", "x.json"],
        ["--nodes", "10", "--shows", "1", "--output", "x.json"],
        ["--shows", "1", "--output", "x.txt"],
        ["--shows", "0", "--output", "x.json"],
    ],
)
def test_generate_refuses_bad_arguments(argv: list[str]) -> None:
    try:
        code = main(["generate", *argv])
    except SystemExit as exit_info:
        code = int(exit_info.code or 0)
    assert code == 2


# --- export and import ------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOWGRAPH_DATASET", "SHOWGRAPH_DATA_DIR", "SHOWGRAPH_STORE"):
        monkeypatch.delenv(name, raising=False)


def other_show(tmp_path: Path) -> Path:
    """A second show in a file of its own, citing nothing of the first."""
    path = tmp_path / "other.yaml"
    path.write_text(
        "format: showgraph/1\n"
        "sources: [{id: other-guide, kind: REFERENCE, title: A guide}]\n"
        "shows: [{id: other, name: Other, sources: [other-guide]}]\n"
        "seasons: [{id: other-s1, show: other, number: 1, status: RELEASED, "
        "sources: [other-guide]}]\n"
        "episodes: [{id: other-s1e1, season: other-s1, number: 1, sources: [other-guide]}]\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.usefixtures("clean_env")
def test_export_writes_stdout_or_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from graph_data import load_graph
    from graph_data.formats import read_graph
    from tests.graph_data.graphs import state

    assert main(["export", "--format", "dataset"]) == 0
    assert "format: showgraph/1" in capsys.readouterr().out
    path = tmp_path / "graph.gexf"
    assert main(["export", "-o", str(path)]) == 0  # the format from the name
    assert "wrote" in capsys.readouterr().err
    assert state(read_graph(path)) == state(load_graph())
    assert main(["export", "-o", str(tmp_path / "graph.json")]) == 2  # .json: which one?
    assert "export needs --format" in capsys.readouterr().err


@pytest.mark.usefixtures("clean_env")
def test_import_merges_into_a_data_directory_and_export_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from graph_data.changes import Change
    from graph_data.formats import read_graph

    data_dir = tmp_path / "data"
    flags = ["--data-dir", str(data_dir)]
    assert main(["import", str(other_show(tmp_path)), *flags, "--writer", "bob"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"imported {tmp_path / 'other.yaml'} into {data_dir}: version 1")
    assert "4 node(s) put, 0 deleted; 2 edge(s) put, 0 deleted" in out
    line = (data_dir / "journal.jsonl").read_bytes()
    assert Change.from_json(line.strip()).writer == "bob"
    assert main(["import", str(other_show(tmp_path)), *flags]) == 0
    assert "nothing to import" in capsys.readouterr().out

    exported = tmp_path / "out.json"
    assert main(["export", "--format", "json", "-o", str(exported), *flags]) == 0
    shows = {node.key for node in read_graph(exported).nodes_of(NodeKind.SHOW)}
    assert shows == {"show:heartstopper", "show:other"}  # merged: nothing deleted

    assert main(["import", str(other_show(tmp_path)), *flags, "--replace"]) == 0
    out = capsys.readouterr().out
    assert "0 node(s) put" in out
    assert " 0 deleted" not in out.split(";")[0]  # the built-in nodes went

    assert main(["import", str(tmp_path / "missing.json"), *flags]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["export", "--format", "json", "--data-dir", str(tmp_path / "nowhere")]) == 1


@pytest.mark.usefixtures("clean_env")
def test_import_needs_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(other_show(tmp_path))]) == 2
    assert "import needs a store to write to" in capsys.readouterr().err


@pytest.mark.usefixtures("clean_env")
def test_import_and_export_work_against_postgresql(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from urllib.parse import urlencode

    from psycopg.conninfo import conninfo_to_dict

    from graph_data.formats import read_graph
    from graph_data.pgstore import PostgresStore

    parts = conninfo_to_dict(pg_dsn)
    database = parts.pop("dbname")
    flags = ["--store", f"postgresql:///{database}?{urlencode(parts)}"]
    assert main(["import", str(other_show(tmp_path)), *flags]) == 0
    assert "version 1" in capsys.readouterr().out
    store = PostgresStore(pg_dsn, BUILTIN_DATASET)
    model = store.open()
    try:
        assert model.version == 1
        assert model.node("show:other") is not None
        assert model.node("show:heartstopper") is not None
    finally:
        store.close(model)
    exported = tmp_path / "out.graphml"
    assert main(["export", "-o", str(exported), *flags]) == 0
    assert read_graph(exported).node("show:other") is not None  # from the store, not the dataset


@pytest.mark.usefixtures("clean_env")
def test_import_reads_tvmaze_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from graph_data.store import JournalStore

    tvmaze_file = Path(__file__).parents[1] / "graph_data/formats/data/tvmaze-harbour-lights.json"
    data_dir = tmp_path / "data"
    assert (
        main(["import", "--format", "tvmaze", str(tvmaze_file), "--data-dir", str(data_dir)]) == 0
    )
    assert "0 deleted" in capsys.readouterr().out
    model = JournalStore(data_dir, BUILTIN_DATASET).open()
    assert {s.key for s in model.nodes_of(NodeKind.SHOW)} == {
        "show:heartstopper",
        "show:harbour-lights",
    }


@pytest.mark.usefixtures("clean_env")
def test_export_with_history_and_import_of_it_into_a_new_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from graph_data.changes import Change
    from graph_data.store import JournalStore
    from tests.graph_data.graphs import state

    old = ["--data-dir", str(tmp_path / "old")]
    assert main(["import", str(other_show(tmp_path)), *old]) == 0
    assert main(["restore", "--to-version", "0", *old, "--note", "oops"]) == 0
    exported = tmp_path / "with-history.json"
    assert main(["export", "-f", "json", "-o", str(exported), "--with-history", *old]) == 0
    history = orjson.loads(exported.read_bytes())["history"]
    assert [(e["version"], e["summary"]) for e in history] == [
        (1, "import: 4 node(s) put, 0 deleted; 2 edge(s) put, 0 deleted"),
        (2, "restore to version 0"),
    ]
    assert Change.from_dict(history[1]).note == "oops"
    assert main(["export", "-f", "gexf", "--with-history", *old]) == 2
    assert "--with-history needs --format json or dataset" in capsys.readouterr().err

    new = tmp_path / "new"
    assert main(["import", str(other_show(tmp_path)), "--data-dir", str(new)]) == 0
    assert main(["import", str(exported), "--data-dir", str(new), "--replace"]) == 0
    captured = capsys.readouterr()
    assert "note: the file's history (2 change(s)) is not imported" in captured.err
    assert "version 2" in captured.out
    store = JournalStore(new, BUILTIN_DATASET)
    assert state(store.open()) == state(load_graph())
    assert [c.summary[:7] for c in store.history.between(0, 2)] == ["import:", "import:"]

    # Into a new data directory, --with-history carries the history itself.
    carried = tmp_path / "carried"
    flags = [str(exported), "--data-dir", str(carried), "--with-history"]
    assert main(["import", *flags, "--replace"]) == 2
    assert "drop --replace" in capsys.readouterr().err
    assert main(["import", *flags]) == 0
    assert capsys.readouterr().out == (
        f"imported {exported} into {carried} with its history: versions 1 to 2\n"
    )
    store = JournalStore(carried, BUILTIN_DATASET)
    assert state(store.open()) == state(load_graph())
    assert [c.to_dict() for c in store.history.between(0, 2)] == history
    assert main(["import", *flags]) == 1  # not a new store any more
    assert "the store is at version 2, not 0" in capsys.readouterr().err


# --- restore ---------------------------------------------------------------------------------


def actors_and_version(url: str) -> tuple[int, int]:
    query = "{ graphVersion actors { totalCount } }"
    body = httpx.post(f"{url}/graphql", json={"query": query}, timeout=10).json()["data"]
    return int(body["graphVersion"]), int(body["actors"]["totalCount"])


@pytest.mark.usefixtures("clean_env")
def test_restore_writes_one_change_that_a_running_server_picks_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from graph_data.store import JournalStore
    from tests.graph_data.graphs import state
    from tests.server.test_replicas import wait_until

    data_dir = tmp_path / "data"
    flags = ["--data-dir", str(data_dir)]
    assert main(["import", str(other_show(tmp_path)), *flags]) == 0
    server = LiveServer(*flags)
    try:
        server.wait_ready()
        # Replaced: the built-in show and its six actors go (version 2).
        assert main(["import", str(other_show(tmp_path)), *flags, "--replace"]) == 0
        wait_until(lambda: actors_and_version(server.url) == (2, 0), "the server at version 2")
        capsys.readouterr()

        assert main(["restore", "--to-version", "1", "--note", "undo the replace", *flags]) == 0
        assert capsys.readouterr().out == f"restored {data_dir} to version 1: version 3\n"
        wait_until(lambda: actors_and_version(server.url) == (3, 6), "the server at version 3")
    finally:
        server.stop()
    store = JournalStore(data_dir, BUILTIN_DATASET)
    model = store.open()
    (change,) = store.history.between(2, 3)
    assert (change.summary, change.note, change.writer) == (
        "restore to version 1",
        "undo the replace",
        "showgraph-restore",
    )
    assert state(model) == state(undone_to(store, model, 1))
    assert main(["restore", "--to-version", "0", *flags]) == 0  # the history reaches back
    assert state(JournalStore(data_dir, BUILTIN_DATASET).open()) == state(load_graph())


def undone_to(store: Any, model: Any, version: int) -> Any:
    from graph_data.history import undone

    return undone(model, store.history.between(version, model.version))


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(
    ("version", "says"),
    [
        ("5", "showgraph restore: version 5 is newer than the graph (version 1)"),
        ("1", "showgraph restore: nothing to restore: the graph is at version 1 already"),
        ("-3", "the oldest version the graph (version 1) can be restored to is 0"),
    ],
)
def test_restore_refuses_a_version_it_cannot_give_back_in_one_line(
    tmp_path: Path, version: str, says: str
) -> None:
    data_dir = tmp_path / "data"
    assert main(["import", str(other_show(tmp_path)), "--data-dir", str(data_dir)]) == 0
    line = one_line_failure("restore", "--to-version", version, "--data-dir", str(data_dir))
    assert says in line


@pytest.mark.usefixtures("clean_env")
def test_restore_needs_an_existing_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["restore", "--to-version", "0"]) == 2
    assert "restore needs a store to write to" in capsys.readouterr().err
    assert main(["restore", "--to-version", "0", "--data-dir", str(tmp_path / "nowhere")]) == 1
    assert "no such data directory" in capsys.readouterr().err


@pytest.mark.usefixtures("clean_env")
def test_restore_works_against_postgresql(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any replica may restore: the database's head lock orders it among the writers."""
    from urllib.parse import urlencode

    from psycopg.conninfo import conninfo_to_dict

    from graph_data.pgstore import PostgresStore
    from tests.graph_data.graphs import state

    parts = conninfo_to_dict(pg_dsn)
    database = parts.pop("dbname")
    flags = ["--store", f"postgresql:///{database}?{urlencode(parts)}"]
    replica = PostgresStore(pg_dsn, BUILTIN_DATASET)
    model = replica.open()
    try:
        assert main(["import", str(other_show(tmp_path)), *flags, "--replace"]) == 0
        assert main(["restore", "--to-version", "0", *flags, "--writer", "ops"]) == 0
        assert "version 2" in capsys.readouterr().out
        replica.catch_up(model)
        assert model.version == 2
        assert state(model) == state(load_graph())
        (change,) = replica.history.between(1, 2)
        assert (change.summary, change.writer) == ("restore to version 0", "ops")
    finally:
        replica.close(model)


def one_line_failure(*args: str) -> str:
    """Run showgraph, expecting exit 1 with a single line on stderr and no traceback."""
    result = subprocess.run(
        [str(SHOWGRAPH), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    "command",
    [["serve", "--port", "0"], ["serve", "--port", "0", "--workers", "2"], ["db", "init"]],
)
def test_an_unreachable_database_is_one_line_naming_what_to_do(
    tmp_path: Path, command: list[str]
) -> None:
    line = one_line_failure(*command, "--store", f"postgresql:///none?host={tmp_path}&port=1")
    assert line.startswith("showgraph: cannot start: ")
    assert "check that the database is running" in line


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_damaged_journal_is_one_line_naming_file_and_line(tmp_path: Path, workers: str) -> None:
    (tmp_path / "journal.jsonl").write_bytes(b"not json\n" + b'{"version": 2}\n')
    flags = ["--port", "0", "--workers", workers, "--data-dir", str(tmp_path)]
    line = one_line_failure("serve", *flags)
    assert line.startswith("showgraph: cannot start: ")
    assert "journal.jsonl: line 1" in line


def test_a_damaged_snapshot_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "snapshot.json").write_text('{"format": "x", "vers')
    line = one_line_failure("serve", "--port", "0", "--data-dir", str(tmp_path))
    assert line.startswith(f"showgraph: cannot start: {tmp_path / 'snapshot.json'}: ")
    assert "repair or move the damaged file" in line
