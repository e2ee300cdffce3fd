"""Replicas on one PostgreSQL database: read throughput with 1 and 2, and write visibility.

``.venv/bin/python bench/replicas.py [--seconds 10] [--writes 200] [--store postgresql://...]``

Without ``--store`` it starts a throwaway PostgreSQL cluster (``initdb`` into a
temporary directory, Unix socket only, as the tests do with
``tests/postgres.py``). It starts two ``showgraph serve --store URL``
processes on a fresh database, then measures, in this one run:

  reads_1   the small query (``bench/deep.py``'s ``SMALL_QUERY``, sent with
            ``Cache-Control: no-cache`` so every request executes) with all
            connections on replica A
  reads_2   the same load split over replicas A and B (half the connections
            each, two load tools at once); req/s is the sum
  visibility  ``--writes`` mutations, alternately through A and B; after each
            is acknowledged, the other replica's ``graphVersion`` is polled
            until it reaches the acknowledged version; p50/p99/max of that delay

It prints the figures and writes them to ``bench/results/replicas.json``
(``--output``). Load comes from wrk when installed (else ``pyload.py``), with
the same total connections in both read cases.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson
from deep import SMALL_QUERY
from loadgen import Load, Measurement, ensure_wrk, measure
from run import (  # bench/run.py: starting and stopping processes, the same way
    ROOT,
    _git_describe,
    answer,
    cpu_busy,
    free_port,
    graphql_body,
    machine,
    server_command,
    settle,
    started,
    warm_up,
)

from graph_data import BUILTIN_DATASET

TOKEN = "bench-token-0123456789abcdef"
ENV = {"SHOWGRAPH_TOKENS": f"bench={TOKEN}"}  # otherwise the defaults, as users run it
NO_CACHE = (("Cache-Control", "no-cache"),)
CREATE = (
    "mutation($name: String!) { createActor(input: {fields: {name: $name}, "
    'sources: ["U291cmNlOmFydGljbGU="]}) { userErrors { message } graphVersion } }'
)  # the id is Source:article, base64


# --- PostgreSQL ------------------------------------------------------------------------------


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A temporary cluster (the tests' helper) and a database in it; its postgresql:// URL."""
    with throwaway_cluster() as (url, _):
        yield url


@contextmanager
def throwaway_cluster() -> Iterator[tuple[str, Any]]:
    """As ``throwaway_database``, with the cluster too (so a benchmark can stop it)."""
    sys.path.insert(0, str(ROOT))
    from psycopg.conninfo import conninfo_to_dict

    from tests.postgres import PostgresCluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("bench: PostgreSQL is not installed; give --store postgresql://...")
    root = Path(tempfile.mkdtemp(prefix="showgraph-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = PostgresCluster(bin_dir=bin_dir, root=root)
    try:
        cluster.init()
        cluster.start()
        parts = conninfo_to_dict(cluster.create_database())
        dbname = quote(str(parts.pop("dbname")), safe="")
        yield f"postgresql:///{dbname}?{urlencode({k: str(v) for k, v in parts.items()})}", cluster
    finally:
        if cluster.running():
            cluster.stop("fast")
        shutil.rmtree(root, ignore_errors=True)


# --- measurements ------------------------------------------------------------------------------


def reads(urls: list[str], load: Load, wrk: str | None) -> dict[str, Any]:
    """The small query under ``load``, its connections split evenly over ``urls``."""
    share = Load(
        connections=load.connections // len(urls),
        threads=max(1, load.threads // len(urls)),
        seconds=load.seconds,
    )
    body = graphql_body(SMALL_QUERY)
    for url in urls:
        warm_up(f"{url}/graphql", body)
    results: list[Measurement] = []

    def one(url: str) -> None:
        results.append(measure(f"{url}/graphql", body, share, wrk, NO_CACHE))

    threads = [threading.Thread(target=one, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(results) != len(urls):
        raise RuntimeError("a load run failed")
    requests = sum(m.requests for m in results)
    seconds = max(m.seconds for m in results)
    return {
        "replicas": len(urls),
        "rps": round(requests / seconds, 1),
        "requests": requests,
        "errors": sum(m.errors for m in results),
        "p50_ms_per_replica": [round(m.p50_ms, 2) for m in results],
        "p99_ms_per_replica": [round(m.p99_ms, 2) for m in results],
        "load_per_replica": asdict(share),
        "tool": results[0].tool,
    }


def visibility(urls: list[str], writes: int) -> dict[str, Any]:
    """Delay from a write's acknowledgement on one replica to its version on the other."""
    delays: list[float] = []
    auth = {"authorization": f"Bearer {TOKEN}"}
    clients = [httpx.Client(base_url=url, timeout=30) for url in urls]
    version_query = {"query": "{ graphVersion }"}
    try:
        for n in range(writes):
            writer, reader = clients[n % 2], clients[(n + 1) % 2]
            body = {"query": CREATE, "variables": {"name": f"Bench Actor {n}"}}
            payload = writer.post("/graphql", json=body, headers=auth).json()
            created = payload["data"]["createActor"]
            if created["userErrors"]:
                raise RuntimeError(f"write {n} refused: {created['userErrors']}")
            acked = time.perf_counter()
            while True:
                seen = reader.post("/graphql", json=version_query).json()["data"]["graphVersion"]
                if seen >= created["graphVersion"]:
                    delays.append(time.perf_counter() - acked)
                    break
                if time.perf_counter() - acked > 30:
                    raise RuntimeError(f"write {n} not visible on the other replica after 30 s")
    finally:
        for client in clients:
            client.close()
    ordered = sorted(delays)
    return {
        "writes": writes,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


# --- the run -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    busy = cpu_busy()
    if busy > 0.1:
        print(f"bench: warning: {busy:.0%} of the CPUs were busy before the start", file=sys.stderr)
    wrk = ensure_wrk() if args.loadgen in {"auto", "wrk"} else None
    load = Load(connections=args.connections, threads=args.threads, seconds=args.seconds)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="showgraph-bench-") as scratch:
        store = args.store or stack.enter_context(throwaway_database())
        servers = []
        for name in ("a", "b"):
            port = free_port()
            extra = ["--store", store, *args.server_args]
            command = server_command(port, BUILTIN_DATASET, "warning", extra)
            log = Path(scratch) / f"replica-{name}.log"
            servers.append(stack.enter_context(started(f"replica {name}", command, port, log, ENV)))
        urls = [server.url for server in servers]
        for url in urls:
            answer(url, SMALL_QUERY)  # fails on GraphQL errors before measuring anything
        one = reads(urls[:1], load, wrk)
        print(f"bench: reads, 1 replica:  {one['rps']:>8.1f} req/s", file=sys.stderr)
        for server in servers:
            settle(server.pid)
        two = reads(urls, load, wrk)
        print(f"bench: reads, 2 replicas: {two['rps']:>8.1f} req/s", file=sys.stderr)
        for server in servers:
            settle(server.pid)
        seen = visibility(urls, args.writes)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git_describe(),
        "machine": machine(busy),
        "store": "throwaway local cluster (Unix socket)" if not args.store else "--store",
        "query": SMALL_QUERY,
        "load_total": asdict(load),
        "reads_1": one,
        "reads_2": two,
        "reads_2_vs_1": round(two["rps"] / one["rps"], 3) if one["rps"] else None,
        "visibility": seen,
    }


def report(results: dict[str, Any]) -> str:
    one, two, seen = results["reads_1"], results["reads_2"], results["visibility"]
    load = results["load_total"]
    return "\n".join(
        [
            f"replicas on one PostgreSQL ({results['machine']['cpus']} CPUs, {one['tool']}, "
            f"{load['connections']} connections in all, {load['seconds']} s per case)",
            f"  reads, 1 replica:   {one['rps']:>9.1f} req/s  p50 {one['p50_ms_per_replica']} ms",
            f"  reads, 2 replicas:  {two['rps']:>9.1f} req/s  p50 {two['p50_ms_per_replica']} ms"
            f"  ({results['reads_2_vs_1']}x)",
            f"  write -> other replica ({seen['writes']} writes): p50 {seen['p50_ms']} ms, "
            f"p99 {seen['p99_ms']} ms, max {seen['max_ms']} ms",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per read case (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="in all (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads in all (default 2)")
    parser.add_argument("--writes", type=int, default=200, help="for the delay (default 200)")
    parser.add_argument("--store", help="postgresql://... (default: a throwaway cluster)")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--server-args", type=str.split, default=[], help="more serve flags")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "replicas.json")
    args = parser.parse_args(argv)
    if args.connections < 2 or args.connections % 2:
        parser.error("--connections must be even, to split over two replicas")
    results = run(args)
    print(report(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"bench: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
