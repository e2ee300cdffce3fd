"""Reads under writes: does a reader ever wait for a writer? (issue 14)

``.venv/bin/python bench/writers.py [--seconds 8] [--nodes 100000] [--store postgresql://...]``

Every case runs ``showgraph serve`` with its default settings (access log on;
only tokens are added) and, in this one run, measures the latency of reads
(the small query, ``Cache-Control: no-cache`` so each executes) from
``--readers`` client threads, each sending one request after another and
timing every answer:

  journal, no writers      the read baseline on a data directory
  journal, 4 writers       the same reads while 4 threads create actors non-stop
  snapshots, none / 4      a generated ``--nodes`` graph with ``--snapshot-every 50``,
                           read with a query whose answer does not grow with the
                           graph: with 4 writers it is snapshotted every 50 writes,
                           and the longest read is the one that would wait for one;
                           the same with no snapshots at all is the control
  2 replicas, no writers   two replicas on one PostgreSQL, reads split over both
  2 replicas, 4 writers    4 writers per replica
  PostgreSQL stopped       the same, with PostgreSQL stopped: reads keep going,
                           writes answer 503; their latency is printed too

It prints p50/p99/max read latency per case and the targets: p99 with 4
writers at most 3x p99 with none (both stores), no read over 100 ms during
snapshots, reads p99 under 200 ms with PostgreSQL stopped; and writes each
case completed. Writes to ``bench/results/writers.json`` (``--output``).
Client threads share this process, so compare ratios within the run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from deep import SMALL_QUERY
from replicas import CREATE, TOKEN, throwaway_cluster
from run import ROOT, _git_describe, cpu_busy, free_port, machine, server_command, started

from graph_data import BUILTIN_DATASET

ENV = {"SHOWGRAPH_TOKENS": f"bench={TOKEN}"}  # nothing else: the server as users run it
AUTH = {"authorization": f"Bearer {TOKEN}"}
READ = orjson.dumps({"query": SMALL_QUERY})
# On the big graph the small query answers every actor (tens of thousands): this
# one answers the same few values on a graph of any size.
BOUNDED_QUERY = "{ graphVersion shows(first: 3) { nodes { name seasons { number } } } }"
READ_HEADERS = {"content-type": "application/json", "cache-control": "no-cache"}
TARGETS = {
    "journal_p99_ratio": ("<=", 3.0),
    "replicas_p99_ratio": ("<=", 3.0),
    "snapshot_max_read_ms": ("<=", 100.0),
    "outage_read_p99_ms": ("<=", 200.0),
}


# --- load ----------------------------------------------------------------------------------------


class Writers:
    """Threads creating actors through ``urls`` until stopped; counts what each answer was."""

    def __init__(self, urls: list[str], per_url: int) -> None:
        self.answers: dict[str, int] = {}
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._write, args=(url, f"{i}-{n}"), daemon=True)
            for i, url in enumerate(urls)
            for n in range(per_url)
        ]

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _write(self, url: str, label: str) -> None:
        with httpx.Client(base_url=url, timeout=30, headers=AUTH) as client:
            n = 0
            while not self._stop.is_set():
                body = {"query": CREATE, "variables": {"name": f"Bench Writer {label}-{n}"}}
                n += 1
                start = time.perf_counter()
                try:
                    status = client.post("/graphql", json=body).status_code
                except httpx.HTTPError:
                    status = 0
                with self._lock:
                    self.latencies.append(time.perf_counter() - start)
                    self.answers[str(status)] = self.answers.get(str(status), 0) + 1


def read_for(urls: list[str], readers: int, seconds: float, body: bytes = READ) -> list[float]:
    """``readers`` threads (spread over ``urls``) reading back to back; every latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    until = time.perf_counter() + seconds

    def reader(url: str) -> None:
        mine = []
        with httpx.Client(base_url=url, timeout=30, headers=READ_HEADERS) as client:
            while time.perf_counter() < until:
                start = time.perf_counter()
                response = client.post("/graphql", content=body)
                mine.append(time.perf_counter() - start)
                if response.status_code != 200 or b'"errors"' in response.content:
                    raise RuntimeError(f"a read failed: {response.status_code} {response.text}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=reader, args=(urls[i % len(urls)],)) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def summary(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    if not ordered:
        return {"requests": 0}

    def ms(value: float) -> float:
        return round(value * 1000, 2)

    return {
        "requests": len(ordered),
        "p50_ms": ms(statistics.median(ordered)),
        "p99_ms": ms(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]),
        "max_ms": ms(ordered[-1]),
    }


def case(
    name: str,
    urls: list[str],
    options: argparse.Namespace,
    writers: int = 0,
    query: str = SMALL_QUERY,
) -> dict[str, Any]:
    """Reads for ``--seconds``, with ``writers`` writer threads per URL going on meanwhile."""
    body = orjson.dumps({"query": query})
    read_for(urls, options.readers, 1.0, body)  # warm up: compiled plans, connections
    with ExitStack() as stack:
        load = stack.enter_context(Writers(urls, writers)) if writers else None
        found = summary(read_for(urls, options.readers, options.seconds, body))
    if load is not None:
        found["writes"] = dict(sorted(load.answers.items()))
        found["write_latency"] = summary(load.latencies)
    print(f"bench: {name}: {found}", file=sys.stderr)
    return found


# --- servers -------------------------------------------------------------------------------------


def serve(stack: ExitStack, scratch: Path, name: str, extra: list[str], dataset: Path) -> str:
    """``showgraph serve``, default settings plus ``extra``, until ``stack`` closes; its URL."""
    port = free_port()
    command = server_command(port, dataset, "info", extra)
    return stack.enter_context(started(name, command, port, scratch / f"{name}.log", ENV)).url


def generated(scratch: Path, nodes: int) -> Path:
    """A generated dataset of about ``nodes`` nodes (the ``generate`` command's own code)."""
    from graph_data.generate import generate_nodes, write_dataset

    return write_dataset(generate_nodes(nodes, seed=0), scratch / f"generated-{nodes}.json")


def run(options: argparse.Namespace) -> dict[str, Any]:
    busy = cpu_busy()
    if busy > 0.1:
        print(f"bench: warning: {busy:.0%} of the CPUs were busy before the start", file=sys.stderr)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git_describe(),
        "machine": machine(busy),
        "query": SMALL_QUERY,
        "readers": options.readers,
        "seconds": options.seconds,
    }
    with tempfile.TemporaryDirectory(prefix="showgraph-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        with ExitStack() as stack:
            journal = ["--data-dir", str(scratch / "j")]
            url = serve(stack, scratch, "journal", journal, BUILTIN_DATASET)
            results["journal_none"] = case("journal, no writers", [url], options)
            results["journal_4"] = case("journal, 4 writers", [url], options, writers=4)
        dataset = generated(scratch, options.nodes)
        snapshotting = ["--data-dir", str(scratch / "s"), "--snapshot-every", "50"]
        with ExitStack() as stack:
            url = serve(stack, scratch, "snapshots", snapshotting, dataset)
            big = f"{options.nodes} nodes"
            results["snapshots_none"] = case(f"{big}, no writers", [url], options, 0, BOUNDED_QUERY)
            results["snapshots_4"] = case(
                f"{big}, snapshot every 50, 4 writers", [url], options, 4, BOUNDED_QUERY
            )
        with ExitStack() as stack:  # the control: the same writes, no snapshot at all
            never = ["--data-dir", str(scratch / "n"), "--snapshot-every", "100000000"]
            url = serve(stack, scratch, "no-snapshots", never, dataset)
            results["no_snapshots_4"] = case(
                f"{big}, no snapshots, 4 writers", [url], options, 4, BOUNDED_QUERY
            )
        results.update(replica_cases(scratch, options))
    return results


def replica_cases(scratch: Path, options: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with ExitStack() as stack:
        store, cluster = options.store, None
        if store is None:
            store, cluster = stack.enter_context(throwaway_cluster())
        urls = [
            serve(stack, scratch, f"replica-{n}", ["--store", store], BUILTIN_DATASET)
            for n in ("a", "b")
        ]
        found["replicas_none"] = case("2 replicas, no writers", urls, options)
        found["replicas_4"] = case("2 replicas, 4 writers each", urls, options, writers=4)
        if cluster is None:
            return found
        cluster.stop("fast")
        try:
            found["outage_4"] = case("PostgreSQL stopped, 4 writers each", urls, options, writers=4)
        finally:
            cluster.start()
    return found


# --- report --------------------------------------------------------------------------------------


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    def ratio(a: str, b: str) -> float | None:
        if a not in results or b not in results:
            return None
        return round(results[a]["p99_ms"] / results[b]["p99_ms"], 2)

    return {
        "journal_p99_ratio": ratio("journal_4", "journal_none"),
        "replicas_p99_ratio": ratio("replicas_4", "replicas_none"),
        "snapshot_max_read_ms": results.get("snapshots_4", {}).get("max_ms"),
        "outage_read_p99_ms": results.get("outage_4", {}).get("p99_ms"),
    }


def report(results: dict[str, Any]) -> str:
    lines = [
        f"reads under writes ({results['machine']['cpus']} CPUs, {results['readers']} readers, "
        f"{results['seconds']} s per case)",
        f"  {'case':<34} {'reads':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  writes",
    ]
    keys = ("journal_none", "journal_4", "snapshots_none", "snapshots_4", "no_snapshots_4")
    for key in (*keys, "replicas_none", "replicas_4"):
        if key in results:
            lines.append(_row(key, results[key]))
    if "outage_4" in results:
        lines.append(_row("outage_4", results["outage_4"]))
        writes = results["outage_4"]["write_latency"]
        lines.append(
            f"  {'':<34} writes answered in p50 {writes['p50_ms']} ms, p99 {writes['p99_ms']} ms"
        )
    for name, value in ratios(results).items():
        sign, target = TARGETS[name]
        met = value is not None and (value <= target if sign == "<=" else value >= target)
        lines.append(
            f"  {name:<26} {value!s:>8}  target {sign} {target:g}  {'ok' if met else 'MISSED'}"
        )
    return "\n".join(lines)


def _row(key: str, found: dict[str, Any]) -> str:
    writes = found.get("writes", "")
    return (
        f"  {key:<34} {found['requests']:>7} {found['p50_ms']:>8} {found['p99_ms']:>8} "
        f"{found['max_ms']:>8}  {writes}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="per case (default 8)")
    parser.add_argument("--readers", type=int, default=4, help="reader threads (default 4)")
    parser.add_argument("--nodes", type=int, default=100_000, help="snapshot case graph size")
    parser.add_argument("--store", help="postgresql:// URL (default: a throwaway cluster)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/writers.json")
    options = parser.parse_args(argv)
    results = run(options)
    results["ratios"] = ratios(results)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(report(results))
    print(f"bench: wrote {options.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
