"""Scale: start-up time, memory per node and edge, and read latency of a big graph.

Run ``python bench/load.py`` (default sizes ~10k, ~100k, ~1M nodes; JSON
datasets from ``graph_data.generate``, cached under ``bench/results/datasets``).
Each size is measured in fresh child processes, so one size's garbage and
import state never inflates another's figures:

- ``load``: ``graph_data.load_graph(path)`` end to end, the call the server
  makes at start-up without a data directory, with its wall time, peak RSS
  (VmHWM) and the RSS the graph keeps (per node, per edge); it then writes
  the graph's snapshot into a data directory (timed: ``snapshot_write_seconds``);
- ``snapshot``: ``JournalStore(data_dir, dataset).open()``, the start-up of a
  server with a data directory (snapshot plus an empty journal), with the
  same memory figures: start-up from the snapshot;
- ``phases``: the dataset load split into JSON parsing, ``check_dataset``
  (parsing again, pydantic validation and cross-record checks) and
  ``ShowGraph.from_dataset``, then the first ``nodes_of`` call (it sorts every
  node once), and the RSS kept once only the graph is alive;
- ``latency``: read latency over the graph opened from the snapshot, median
  and p99 of many calls, at two levels:

  - ``model``: the ``graph_data`` call a resolver makes, in process:
    ``ShowGraph.node``, ``traversal.neighborhood(depth=2)`` (the 2-hop
    neighbourhood, up to its default 200 nodes), ``traversal.shortest_path``
    from an actor to a node a random walk of 2-6 steps away (so a path
    exists; apart, ``path_random_pairs``: random actors and characters, mostly
    in different shows, so mostly without a path), ``search.search`` of a misspelt
    character name. The search index is built on first use: its build time is
    reported apart (``search_index_seconds``), as is the first ``nodes_of`` of
    actors and characters (``first_sort_seconds``; each kind is sorted on its
    first use);
  - ``graphql``: the same questions (``node``, ``neighborhood(depth: 2)``,
    ``path``, ``search``) plus a filtered connection
    (``characters(first: 10, where: {name: {contains}, show: {name: {eq}}})``)
    as GraphQL POSTs handed straight to the real app's ASGI callable
    (``server.app.create_app``; ``asgi_caller``): middleware, parsing,
    validation, limits, execution and serialization included, the socket,
    uvicorn and an HTTP client not; every request sends ``Cache-Control:
    no-cache`` so the response cache never answers. ``{ graphVersion }`` is
    measured the same way: the fixed cost of a request, to subtract when
    comparing with the model figures.

Latency calls rotate over many random nodes (fixed seed), so no single
answer stays hot in a cache.

``--baseline DIR`` (a checkout of older code, e.g. from ``git archive``)
adds, for each size, the dataset load of that checkout and of this one,
alternately (``--rounds``, default 2), each in a fresh process, wall and
CPU time: a before/after comparison measured side by side in one run.

``--tracemalloc`` adds, for the smallest size, where the kept bytes were
allocated (by file), which says what the graph is made of.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import ROOT, use_project_venv

use_project_venv(__file__)
RESULTS = ROOT / "bench" / "results"


def rss_kib(field: str = "VmRSS") -> int:
    """A memory figure of this process from /proc (VmRSS now, VmHWM peak), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def dataset_for(nodes: int, seed: int, directory: Path) -> Path:
    """The generated JSON dataset of about ``nodes`` nodes, written once and reused."""
    from graph_data.generate import generate, shows_for_nodes, write_dataset

    path = directory / f"synthetic-{nodes}-seed{seed}.json"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.json")
        write_dataset(generate(shows_for_nodes(nodes), seed=seed), tmp)
        tmp.rename(path)
    return path


# --- measurements run in a child process -------------------------------------------


def data_dir_for(path: Path) -> Path:
    """The data directory (snapshot + journal) written from the dataset at ``path``."""
    return path.with_suffix(".data")


def memory_figures(graph: Any, base: int, seconds: float) -> dict[str, Any]:
    nodes, edges = graph.graph.number_of_nodes(), graph.graph.number_of_edges()
    kept = (rss_kib() - base) * 1024
    return {
        "nodes": nodes,
        "edges": edges,
        "load_seconds": round(seconds, 3),
        "peak_rss_mib": round(rss_kib("VmHWM") / 1024, 1),
        "base_rss_mib": round(base / 1024, 1),
        "graph_rss_mib": round(kept / 2**20, 1),
        "bytes_per_edge": round(kept / edges),
        "bytes_per_node": round(kept / nodes),
    }


def measure_load(path: Path, no_gc: bool) -> dict[str, Any]:
    """``load_graph`` end to end (start-up without a data directory), then write its snapshot."""
    import shutil

    import graph_data
    from graph_data.history import SqliteHistory
    from graph_data.store import JournalStore

    gc.collect()
    base = rss_kib()
    if no_gc:
        gc.disable()
    started = time.perf_counter()
    graph = graph_data.load_graph(path)
    seconds = time.perf_counter() - started
    gc.enable()
    gc.collect()
    figures = memory_figures(graph, base, seconds)
    if not no_gc:
        data_dir = data_dir_for(path)
        shutil.rmtree(data_dir, ignore_errors=True)
        store = JournalStore(data_dir, path)
        store.data_dir.mkdir(parents=True)
        store._history = SqliteHistory(store.data_dir / "history.sqlite3")  # as open() does
        store._journal = store._open_journal()
        started = time.perf_counter()
        store._snapshot(graph)  # what a clean shutdown and every snapshot_every changes do
        figures["snapshot_write_seconds"] = round(time.perf_counter() - started, 3)
        figures["snapshot_mb"] = round(store.snapshot_path.stat().st_size / 1e6, 1)
    return figures


def measure_snapshot(path: Path) -> dict[str, Any]:
    """Start-up with a data directory: ``JournalStore.open()`` reads the snapshot."""
    from graph_data.store import JournalStore

    gc.collect()
    base = rss_kib()
    started = time.perf_counter()
    graph = JournalStore(data_dir_for(path), path).open()
    seconds = time.perf_counter() - started
    gc.collect()
    return memory_figures(graph, base, seconds)


def timed(call: Any, arguments: list[Any], budget: float = 3.0) -> dict[str, Any]:
    """Median and p99 (ms) of ``call(argument)`` over the arguments in turn, for ~budget s."""
    for argument in arguments[:3]:
        call(argument)  # warm up: imports, first-use caches
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < 20 or (time.perf_counter() < deadline and len(times) < 5000):
        argument = arguments[len(times) % len(arguments)]
        started = time.perf_counter()
        call(argument)
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "median_ms": round(times[len(times) // 2] * 1000, 4),
        "p99_ms": round(times[min(len(times) - 1, len(times) * 99 // 100)] * 1000, 4),
        "calls": len(times),
    }


def asgi_caller(app: Any) -> Any:
    """``call(body) -> (status, body)``: one GraphQL POST straight into the ASGI app.

    No socket, no HTTP client: the request is handed to the app as uvicorn
    would hand it, on one event loop kept for every call, so the figure is
    the app's own cost (middleware, GraphQL, serialization) and little else.
    ``Cache-Control: no-cache`` keeps the response cache out of it.
    """
    import asyncio

    from bench.inprocess import request_scope

    loop = asyncio.new_event_loop()

    async def request(body: bytes) -> tuple[int, bytes]:
        scope = request_scope(body, [(b"cache-control", b"no-cache")])
        pending = [{"type": "http.request", "body": body, "more_body": False}]
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if pending:
                return pending.pop()
            await asyncio.Event().wait()  # the client never goes away
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        return status, b"".join(chunks)

    return lambda body: loop.run_until_complete(request(body))


def measure_latency(path: Path) -> dict[str, Any]:
    """Read latency over the graph opened from the snapshot: model calls and GraphQL requests."""
    import random

    from graph_data.kinds import NodeKind
    from graph_data.search import search
    from graph_data.store import JournalStore
    from graph_data.traversal import neighborhood, shortest_path
    from schema.relay import encode_key
    from server.app import create_app
    from server.settings import Settings

    graph = JournalStore(data_dir_for(path), path).open()
    result: dict[str, Any] = {}
    started = time.perf_counter()
    actors = list(graph.nodes_of(NodeKind.ACTOR))
    characters = list(graph.nodes_of(NodeKind.CHARACTER))
    result["first_sort_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    search(graph, "warm up the index")
    result["search_index_seconds"] = round(time.perf_counter() - started, 3)

    rng = random.Random(0)
    all_keys = list(graph.graph.nodes)
    node_keys = rng.sample(all_keys, min(1000, len(all_keys)))
    centres = [node.key for node in rng.sample(actors, min(200, len(actors)))]

    # Path ends: an actor and a node a random walk of 2-6 steps away (so a path
    # exists, often longer than the walk's shortcut), and random pairs of an
    # actor and a character (mostly in different shows: often no path at all).
    def walk(key: str, steps: int) -> str:
        for _ in range(steps):
            around = [*graph.graph.succ[key], *graph.graph.pred[key]]
            key = rng.choice(around) if around else key
        return key

    linked = [(a.key, walk(a.key, rng.randint(2, 6))) for a in rng.sample(actors, 200)]
    pairs = [(rng.choice(actors).key, rng.choice(characters).key) for _ in range(200)]
    result["random_pairs_with_a_path_of_50"] = sum(
        shortest_path(graph, a, b) is not None for a, b in pairs[:50]
    )

    def misspelt(name: str) -> str:
        i = rng.randrange(len(name))
        return name[:i] + name[i + 1 :] if len(name) > 3 else name

    texts = [misspelt(node.data.name) for node in rng.sample(characters, min(200, len(characters)))]
    result["model"] = {
        "node": timed(graph.node, node_keys),
        "neighborhood_2": timed(lambda key: neighborhood(graph, key, depth=2), centres),
        "path": timed(lambda pair: shortest_path(graph, *pair), linked),
        "path_random_pairs": timed(lambda pair: shortest_path(graph, *pair), pairs),
        "search": timed(lambda text: search(graph, text), texts),
    }

    settings = Settings(max_cost=10**9, cache_bytes=0, rate_limit=False)
    call = asgi_caller(create_app(settings, graph=graph))

    def post(query: str, **variables: Any) -> None:
        status, body = call(json.dumps({"query": query, "variables": variables}).encode())
        if status != 200 or b'"errors"' in body:
            raise RuntimeError(f"{query}: {status} {body[:500]!r}")

    filters = [
        (graph.character_show(c.key).data.name, c.data.name.split()[0][:3])
        for c in rng.sample(characters, min(200, len(characters)))
    ]
    result["graphql"] = {
        "graphVersion": timed(lambda _: post("{ graphVersion }"), [None]),
        "node": timed(
            lambda key: post(
                "query($id: ID!) { node(id: $id) { id ... on Actor { name } } }", id=key
            ),
            [encode_key(key) for key in node_keys],
        ),
        "neighborhood_2": timed(
            lambda key: post(
                "query($id: ID!) { neighborhood(id: $id, depth: 2) { totalCount"
                " nodes { distance node { id } } } }",
                id=key,
            ),
            [encode_key(key) for key in centres],
        ),
        "path": timed(
            lambda pair: post(
                "query($a: ID!, $b: ID!) { path(from: $a, to: $b) { via node { id } } }",
                a=pair[0],
                b=pair[1],
            ),
            [(encode_key(a), encode_key(b)) for a, b in linked],
        ),
        "search": timed(
            lambda text: post(
                "query($t: String!) { search(text: $t) { score node { id } } }", t=text
            ),
            texts,
        ),
        "filtered_connection": timed(
            lambda pair: post(
                "query($show: String!, $part: String!) { characters(first: 10, where:"
                " {show: {name: {eq: $show}}, name: {contains: $part}})"
                " { totalCount nodes { name } } }",
                show=pair[0],
                part=pair[1],
            ),
            filters,
        ),
    }
    return result


def measure_phases(path: Path) -> dict[str, Any]:
    """Where start-up time goes: parse, validate and check, build, first sort."""
    from graph_data import ShowGraph, check_dataset
    from graph_data.kinds import NodeKind
    from graph_data.reading import read_data

    gc.collect()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    raw = read_data(path)  # as the loader reads it (jiter, duplicate keys refused)
    timings["json_parse"] = time.perf_counter() - started
    del raw
    gc.collect()

    started = time.perf_counter()
    dataset, problems = check_dataset(path)
    timings["check_dataset"] = time.perf_counter() - started
    if problems:
        raise SystemExit(f"{path}: {len(problems)} problem(s), first: {problems[0]}")
    rss_records = rss_kib()

    started = time.perf_counter()
    graph = ShowGraph.from_dataset(dataset)
    timings["from_dataset"] = time.perf_counter() - started
    rss_both = rss_kib()
    del dataset
    gc.collect()

    started = time.perf_counter()
    graph.nodes_of(NodeKind.ACTOR)
    timings["first_nodes_of"] = time.perf_counter() - started
    return {
        "seconds": {name: round(value, 3) for name, value in timings.items()},
        "records_rss_mib": round(rss_records / 1024, 1),
        "records_and_graph_rss_mib": round(rss_both / 1024, 1),
        "graph_only_rss_mib": round(rss_kib() / 1024, 1),
        "peak_rss_mib": round(rss_kib("VmHWM") / 1024, 1),
    }


def measure_tracemalloc(path: Path) -> dict[str, Any]:
    """Bytes the graph keeps, by the file that allocated them (slow: small sizes only)."""
    import tracemalloc

    import graph_data

    tracemalloc.start()
    graph = graph_data.load_graph(path)
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    edges = graph.graph.number_of_edges()
    by_file: dict[str, int] = {}
    for stat in snapshot.statistics("filename"):
        name = stat.traceback[0].filename
        for marker in ("site-packages/", "graph_data/", "lib/python3"):
            if marker in name:
                name = marker.split("/")[0] + "/" + name.split(marker, 1)[1]
                break
        by_file[name] = by_file.get(name, 0) + stat.size
    total = sum(by_file.values())
    top = sorted(by_file.items(), key=lambda item: -item[1])[:12]
    return {
        "traced_mib": round(total / 2**20, 1),
        "traced_bytes_per_edge": round(total / edges),
        "by_file_mib": {name: round(size / 2**20, 1) for name, size in top},
    }


def child(mode: str, path: Path, no_gc: bool) -> None:
    result = {
        "load": lambda: measure_load(path, no_gc),
        "snapshot": lambda: measure_snapshot(path),
        "latency": lambda: measure_latency(path),
        "phases": lambda: measure_phases(path),
        "tracemalloc": lambda: measure_tracemalloc(path),
    }[mode]()
    print(json.dumps(result))


# --- the parent: one fresh process per measurement ---------------------------------------


def run_child(
    mode: str, path: Path, no_gc: bool = False, script: Path | None = None
) -> dict[str, Any]:
    """One measurement in a fresh process (``script``: another checkout's bench/load.py).

    Adds ``cpu_seconds``, the child's user + system CPU time: on a shared
    machine it moves less than the wall time when other work competes.
    """
    import resource

    command = [sys.executable, str(script or __file__), "--child", mode, "--path", str(path)]
    if no_gc:
        command.append("--no-gc")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{mode} on {path} failed:\n{done.stderr}")
    result = dict(json.loads(done.stdout.splitlines()[-1]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["cpu_seconds"] = round(cpu, 2)
    return result


def compare_loads(path: Path, baseline: Path, rounds: int) -> dict[str, Any]:
    """``load_graph`` of the dataset by a baseline checkout and by this one, alternately.

    Side by side in one run, so both see the same machine; each load is a
    fresh process (the baseline's own bench/load.py, run by this Python, so
    the baseline's code is imported from its checkout).
    """
    script = baseline / "bench" / "load.py"
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "this": []}
    for _ in range(rounds):
        runs["baseline"].append(run_child("load", path, script=script))
        runs["this"].append(run_child("load", path))
    summary: dict[str, Any] = {"baseline": str(baseline), "rounds": rounds}
    for name, done in runs.items():
        summary[name] = {
            "load_seconds": [r["load_seconds"] for r in done],
            "cpu_seconds": [r["cpu_seconds"] for r in done],
        }
    best = {name: min(summary[name]["load_seconds"]) for name in runs}
    summary["ratio_best_load"] = round(best["baseline"] / best["this"], 2)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "datasets")
    parser.add_argument("--tracemalloc", action="store_true", help="attribute kept bytes")
    parser.add_argument("--output", type=Path, default=RESULTS / "load.json")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. made with git archive): its dataset load is timed "
        "alternately with this one's, side by side",
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --baseline")
    parser.add_argument(
        "--child",
        choices=["load", "snapshot", "latency", "phases", "tracemalloc"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-gc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.path, args.no_gc)
        return 0

    from run import cpu_busy, machine  # bench/run.py: one description of the machine

    # The code measured: taken before the run, as a long run may outlive a checkout.
    describe = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()

    busy = cpu_busy()
    if busy > 0.1:
        print(
            f"load: warning: {busy:.0%} of the CPUs were busy before the run started; "
            "figures will be skewed",
            file=sys.stderr,
        )
    results: list[dict[str, Any]] = []
    for nodes in args.nodes:
        path = dataset_for(nodes, args.seed, args.data_dir)
        entry: dict[str, Any] = {"target_nodes": nodes, "file_mb": path.stat().st_size / 1e6}
        entry["load"] = run_child("load", path)  # also writes the snapshot
        entry["snapshot"] = run_child("snapshot", path)
        entry["latency"] = run_child("latency", path)
        entry["load_without_gc"] = run_child("load", path, no_gc=True)
        entry["phases"] = run_child("phases", path)
        if args.tracemalloc and nodes == min(args.nodes):
            entry["tracemalloc"] = run_child("tracemalloc", path)
        if args.baseline:  # last: the baseline writes its own snapshot into the data dir
            entry["compared"] = compare_loads(path, args.baseline, args.rounds)
        results.append(entry)
        load, phases = entry["load"], entry["phases"]
        print(
            f"{load['nodes']:>9} nodes {load['edges']:>9} edges: load_graph "
            f"{load['load_seconds']:.2f} s (GC off: {entry['load_without_gc']['load_seconds']:.2f}"
            f" s), peak RSS {load['peak_rss_mib']:.0f} MiB, graph {load['graph_rss_mib']:.0f} MiB"
            f" = {load['bytes_per_edge']} B/edge, {load['bytes_per_node']} B/node"
        )
        snap, latency = entry["snapshot"], entry["latency"]
        print(
            f"{'':>10}from snapshot: {snap['load_seconds']:.2f} s (written in"
            f" {load['snapshot_write_seconds']:.2f} s, {load['snapshot_mb']} MB), peak RSS"
            f" {snap['peak_rss_mib']:.0f} MiB, graph {snap['graph_rss_mib']:.0f} MiB ="
            f" {snap['bytes_per_edge']} B/edge, {snap['bytes_per_node']} B/node"
        )
        print(f"{'':>10}phases (s): {phases['seconds']}")
        print(
            f"{'':>10}first sort {latency['first_sort_seconds']} s, search index"
            f" {latency['search_index_seconds']} s, random pairs with a path"
            f" {latency['random_pairs_with_a_path_of_50']}/50"
        )
        for level in ("model", "graphql"):
            shown = ", ".join(
                f"{name} {figures['median_ms']:.3f}/{figures['p99_ms']:.3f}"
                for name, figures in latency[level].items()
            )
            print(f"{'':>10}{level} ms (median/p99): {shown}")
        if "compared" in entry:
            compared = entry["compared"]
            print(
                f"{'':>10}load_graph side by side (s, wall / CPU): baseline"
                f" {compared['baseline']['load_seconds']} / {compared['baseline']['cpu_seconds']},"
                f" this {compared['this']['load_seconds']} / {compared['this']['cpu_seconds']};"
                f" best-to-best {compared['ratio_best_load']}x"
            )
        if "tracemalloc" in entry:
            print(f"{'':>10}tracemalloc: {entry['tracemalloc']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    body = {"git": describe, "machine": machine(busy), "sizes": results}
    args.output.write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
