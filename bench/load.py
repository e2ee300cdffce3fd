"""Start-up cost of a big graph: load time, peak memory and memory kept per node and edge.

Run ``python bench/load.py`` (default sizes ~10k, ~100k, ~1M nodes; JSON
datasets from ``graph_data.generate``, cached under ``bench/results/datasets``).
Each size is measured in fresh child processes, so one size's garbage and
import state never inflates another's figures:

- ``load``: ``graph_data.load_graph(path)`` end to end, the call the server
  makes at start-up, with its wall time and peak RSS (VmHWM);
- ``phases``: the same work split into JSON parsing, ``check_dataset``
  (parsing again, pydantic validation and cross-record checks) and
  ``ShowGraph.from_dataset``, then the first ``nodes_of`` call (it sorts every
  node once), and the RSS kept once only the graph is alive.

``--tracemalloc`` adds, for the smallest size, where the kept bytes were
allocated (by file), which says what the graph is made of.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))  # run as a script from a checkout, like bench/run.py

try:
    import graph_data  # noqa: F401  (only to see whether we run in the project's venv)
except ImportError:  # started with a bare python: use the project's venv if there is one
    VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    raise


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


def measure_load(path: Path, no_gc: bool) -> dict[str, Any]:
    """``load_graph`` end to end: the start-up cost the server pays today."""
    import graph_data

    gc.collect()
    base = rss_kib()
    if no_gc:
        gc.disable()
    started = time.perf_counter()
    graph = graph_data.load_graph(path)
    seconds = time.perf_counter() - started
    gc.enable()
    gc.collect()
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


def measure_phases(path: Path) -> dict[str, Any]:
    """Where start-up time goes: parse, validate and check, build, first sort."""
    from graph_data import ShowGraph, check_dataset
    from graph_data.kinds import NodeKind

    gc.collect()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    raw = json.loads(path.read_text(encoding="utf-8"))
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
        "phases": lambda: measure_phases(path),
        "tracemalloc": lambda: measure_tracemalloc(path),
    }[mode]()
    print(json.dumps(result))


# --- the parent: one fresh process per measurement ---------------------------------------


def run_child(mode: str, path: Path, no_gc: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode, "--path", str(path)]
    if no_gc:
        command.append("--no-gc")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} on {path} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "datasets")
    parser.add_argument("--tracemalloc", action="store_true", help="attribute kept bytes")
    parser.add_argument("--output", type=Path, default=RESULTS / "load.json")
    parser.add_argument(
        "--child", choices=["load", "phases", "tracemalloc"], help=argparse.SUPPRESS
    )
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-gc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.path, args.no_gc)
        return 0

    results: list[dict[str, Any]] = []
    for nodes in args.nodes:
        path = dataset_for(nodes, args.seed, args.data_dir)
        entry: dict[str, Any] = {"target_nodes": nodes, "file_mb": path.stat().st_size / 1e6}
        entry["load"] = run_child("load", path)
        entry["load_without_gc"] = run_child("load", path, no_gc=True)
        entry["phases"] = run_child("phases", path)
        if args.tracemalloc and nodes == min(args.nodes):
            entry["tracemalloc"] = run_child("tracemalloc", path)
        results.append(entry)
        load, phases = entry["load"], entry["phases"]
        print(
            f"{load['nodes']:>9} nodes {load['edges']:>9} edges: load_graph "
            f"{load['load_seconds']:.2f} s (GC off: {entry['load_without_gc']['load_seconds']:.2f}"
            f" s), peak RSS {load['peak_rss_mib']:.0f} MiB, graph {load['graph_rss_mib']:.0f} MiB"
            f" = {load['bytes_per_edge']} B/edge, {load['bytes_per_node']} B/node"
        )
        print(f"{'':>10}phases (s): {phases['seconds']}")
        if "tracemalloc" in entry:
            print(f"{'':>10}tracemalloc: {entry['tracemalloc']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    describe = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    args.output.write_text(json.dumps({"git": describe, "sizes": results}, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
