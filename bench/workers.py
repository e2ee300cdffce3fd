"""Scaling with ``showgraph serve --workers N``: the same load on N = 1 and N = 2 workers.

``python bench/workers.py [--quick] [--seconds 10]`` generates the dataset of
``bench/run.py`` and, for each N, starts ``showgraph serve --workers N`` on a
free port (default settings), then measures under run.py's fixed
load (16 connections, 2 threads by default):

  small     ``bench/deep.py``'s ``SMALL_QUERY`` with ``Cache-Control: no-cache``,
            so every request executes the query
  repeated  the same request without that header, answered from each worker's
            response cache

Before each case every worker is warmed up: persistent connections are
opened until one is held by each worker (the worker that owns a connection is
read from /proc), and ``--warm-up`` requests are sent on each, so every worker
has run (and compiled, and cached) the query before the load starts. This
also waits for workers that are still starting.

It prints req/s, p50 and p99 per (N, case), the ratio N=2 / N=1 of req/s per
case and how busy the CPUs were before the run, and writes everything to
``bench/results/workers.json`` (``--output``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.checkout import use_project_venv  # noqa: E402

use_project_venv(__file__)

import orjson  # noqa: E402
from deep import SMALL_QUERY, write_bench_dataset  # noqa: E402  (after the venv check)
from loadgen import Load, Measurement, ensure_wrk, measure  # noqa: E402
from run import (  # noqa: E402  (bench/run.py: processes and requests, the same way)
    NO_CACHE,
    _git_describe,
    answer,
    cpu_busy,
    free_port,
    graphql_body,
    machine,
    memory_mib,
    server_command,
    settle,
    started,
)

CASES = {"small": NO_CACHE, "repeated": ()}
LABELS = {"small": "small, no-cache", "repeated": "repeated (cached)"}


@dataclass(frozen=True, slots=True)
class Options:
    load: Load
    workers: list[int]
    warm_up: int
    shows: int
    seed: int
    log_level: str
    loadgen: str
    output: Path


# --- which worker holds a connection ------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """``pid`` and every process below it (uvicorn's supervisor and its workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # ppid: field 4
    found = {pid}
    grew = True
    while grew:
        below = {child for child, parent in parents.items() if parent in found}
        grew = not below <= found
        found |= below
    return found


def connection_owner(server_port: int, client_port: int, candidates: set[int]) -> int | None:
    """The process holding the server end of the TCP connection from ``client_port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    if inode is None or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid in candidates:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


def request(connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> None:
    """One POST on a kept-alive connection; fails on anything but a clean 200 answer."""
    connection.request("POST", "/graphql", body, headers)
    response = connection.getresponse()
    raw = response.read()
    if response.status != 200 or orjson.loads(raw).get("errors"):
        raise RuntimeError(f"warm-up answered {response.status}: {raw[:500]!r}")


def warm_every_worker(
    port: int, server_pid: int, workers: int, body: bytes, headers: dict[str, str], count: int
) -> dict[int, int]:
    """Send at least ``count`` requests to each of ``workers`` processes; {worker pid: requests}.

    Connections are opened one at a time until one is held by each worker;
    a worker still loading accepts none, so this also waits for it (120 s at most).
    """
    all_headers = {"Content-Type": "application/json", "Accept": "application/json", **headers}
    held: dict[int, http.client.HTTPConnection] = {}
    sent: dict[int, int] = {}
    deadline = time.monotonic() + 120
    with ExitStack() as stack:
        while len(held) < workers:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(held)} of {workers} workers took a connection")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            stack.callback(connection.close)
            request(connection, body, all_headers)  # the server has accepted it now
            assert connection.sock is not None
            client_port = connection.sock.getsockname()[1]
            owner = connection_owner(port, client_port, descendants(server_pid))
            if owner is None:
                raise RuntimeError(f"no process below {server_pid} holds port {client_port}'s peer")
            sent[owner] = sent.get(owner, 0) + 1
            if owner not in held:
                held[owner] = connection
            else:
                time.sleep(0.02)
        for owner, connection in held.items():
            while sent[owner] < count:
                request(connection, body, all_headers)
                sent[owner] += 1
    return sent


# --- the run ------------------------------------------------------------------------------------


def run(options: Options) -> dict[str, Any]:
    busy = cpu_busy()
    if busy > 0.1:
        print(
            f"bench: warning: {busy:.0%} of the CPUs were busy before the run started; "
            "figures will be skewed",
            file=sys.stderr,
        )
    wrk = ensure_wrk() if options.loadgen in {"auto", "wrk"} else None
    if options.loadgen == "wrk" and wrk is None:
        raise SystemExit("bench: wrk is not installed and could not be installed")
    body = graphql_body(SMALL_QUERY)
    runs: dict[str, Any] = {}
    commands: dict[str, list[str]] = {}
    tool = "pyload"
    with tempfile.TemporaryDirectory(prefix="showgraph-bench-workers-") as scratch:
        work = Path(scratch)
        dataset = work / "bench.json"
        dataset_info = write_bench_dataset(dataset, options.shows, options.seed)
        for n in options.workers:
            port = free_port()
            command = server_command(port, dataset, options.log_level, ["--workers", str(n)])
            commands[str(n)] = command
            log = work / f"server-{n}.log"
            with started(f"showgraph serve --workers {n}", command, port, log) as server:
                small_raw, _ = answer(server.url, SMALL_QUERY)
                cases: dict[str, Any] = {}
                for name, headers in CASES.items():
                    warmed = warm_every_worker(
                        port, server.pid, n, body, dict(headers), options.warm_up
                    )
                    result: Measurement = measure(
                        f"{server.url}/graphql", body, options.load, wrk, headers
                    )
                    tool = result.tool
                    for pid in warmed:
                        settle(pid)  # requests wrk gave up on may still be running
                    cases[name] = {**result.as_dict(), "warm_up_per_worker": warmed}
                    print(f"bench: N={n} {name:<9} {_row(result)}", file=sys.stderr)
                served = sorted(
                    {pid for case in cases.values() for pid in case["warm_up_per_worker"]}
                )
                runs[str(n)] = {
                    "cases": cases,
                    "small_answer_bytes": len(small_raw),
                    "worker_pids": served,
                    # every process of the server: with N > 1 uvicorn's supervisor too
                    "memory": {
                        str(pid): memory_mib(pid) for pid in sorted(descendants(server.pid))
                    },
                }
    first = str(options.workers[0])
    ratios = {
        f"{n}_vs_{first}": {
            name: round(runs[str(n)]["cases"][name]["rps"] / runs[first]["cases"][name]["rps"], 3)
            for name in CASES
        }
        for n in options.workers[1:]
    }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git_describe(),
        "machine": machine(busy),
        "load": asdict(options.load),
        "load_tool": tool,
        "dataset": dataset_info,
        "server": {"commands": commands},
        "query": SMALL_QUERY,
        "warm_up_per_worker": options.warm_up,
        "workers": runs,
        "ratios": ratios,
    }


# --- output ------------------------------------------------------------------------------------


def _row(m: Measurement) -> str:
    figures = f"{m.rps:>10.1f} {m.p50_ms:>9.2f} {m.p99_ms:>9.2f} {m.requests:>9} {m.errors:>7}"
    return f"{figures}  ({m.tool})"


def report(results: dict[str, Any]) -> str:
    load, box = results["load"], results["machine"]
    busy = box["cpu_busy_before_start"]
    lines = [
        f"showgraph workers bench @ {results['git']}: {results['load_tool']}, "
        f"{load['connections']} connections, {load['threads']} threads, {load['seconds']} s "
        f"per case; {box['cpus']} CPUs, {busy:.0%} busy before the run"
        f"{' (figures skewed)' if busy > 0.1 else ''}",
        f"dataset: {results['dataset']['shows']} shows, {results['dataset']['nodes']} nodes, "
        f"{results['dataset']['edges']} edges; query {results['query']}",
        "",
        f"{'workers':<8}{'case':<20}{'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9}"
        f" {'errors':>7}",
    ]
    for n, figures in results["workers"].items():
        for name, label in LABELS.items():
            m = figures["cases"][name]
            lines.append(
                f"{n:<8}{label:<20}{m['rps']:>10.1f} {m['p50_ms']:>9.2f} {m['p99_ms']:>9.2f} "
                f"{m['requests']:>9} {m['errors']:>7}"
            )
    first = next(iter(results["workers"]))
    for key, values in results["ratios"].items():
        n = key.split("_vs_")[0]
        lines.append("")
        lines.append(f"scaling, req/s at N={n} / N={first} (this run only):")
        for name, label in LABELS.items():
            lines.append(f"  {label:<26}{values[name]:>7.3f}x")
    lines.append("")
    for n, figures in results["workers"].items():
        memory = figures["memory"]
        each = " + ".join(f"{memory[str(pid)]['rss_mib']:.0f}" for pid in figures["worker_pids"])
        total = sum(m["rss_mib"] for m in memory.values())
        lines.append(
            f"memory (VmRSS), N={n}: workers {each} MiB; {total:.0f} MiB over all "
            f"{len(memory)} process(es) of the server"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 s per case")
    parser.add_argument("--seconds", type=int, help="per case (default 10, 3 with --quick)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workers", default="1,2", help="worker counts, comma-separated; the first is the base"
    )
    parser.add_argument(
        "--warm-up", type=int, default=100, help="requests to each worker before each case"
    )
    parser.add_argument("--shows", type=int, default=3, help="shows in the bench dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-level", default="warning", help="for the server (default warning)")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "workers.json")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (3 if args.quick else 10)
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if not workers or min(workers) < 1:
        parser.error("--workers needs counts of at least 1, e.g. 1,2")
    if args.warm_up < 2:
        parser.error("--warm-up must be at least 2 (a query is compiled after its first run)")
    return Options(
        load=Load(args.connections, args.threads, seconds),
        workers=workers,
        warm_up=args.warm_up,
        shows=args.shows,
        seed=args.seed,
        log_level=args.log_level,
        loadgen=args.loadgen,
        output=args.output,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    results = run(options)
    print(report(results))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
