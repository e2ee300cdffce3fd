"""HTTP benchmarks of the real server against baselines measured in the same run.

``python bench/run.py [--quick]`` generates a small dataset, starts
``showgraph serve`` and a bare Starlette app (``raw_app.py``) as separate
processes on free ports, drives them with wrk (installed with apt-get when
missing and we are root; else ``pyload.py``), and prints one table:

  (a) raw       the bare app returning a precomputed body as large as (b)'s answer
  (b) small     ``{ actors { nodes { name characters { name } } } }`` over POST
  (c) deep      one show -> seasons -> episodes -> characters -> portrayals ->
                actor -> characters, about 1,000 leaf values
  (d) by hand   the same answer as (c) computed in this process straight from
                ``graph_data.ShowGraph`` (asserted equal to the server's)
  (e) repeated  the same request as (b) again, answered from the response cache
  (f) variables the same document each request with a new variable value
  (g) new doc   a document the server has never seen, each request (a new alias)

and the ratios small/raw, deep/by-hand, repeated/raw, variables/raw and new
document/raw next to their targets. The server runs as users run it:
``showgraph serve`` with its default settings (access log on); only case (c)
runs against a second server whose cost limit is raised, since the deep query
costs more than the default allows.
Every ratio compares figures taken in this run, on this machine, under the
same load settings: figures from different runs or machines are never mixed.
All figures go to ``bench/results/latest.json`` (see ``--output``).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.checkout import ROOT, use_project_venv  # noqa: E402

use_project_venv(__file__)

import orjson  # noqa: E402
from deep import (  # noqa: E402  (after the venv check)
    SMALL_QUERY,
    VARY,
    count_fields,
    deep_answer_json,
    deep_query,
    new_document_body,
    show_key_named,
    variables_body,
    write_bench_dataset,
)
from loadgen import Load, Measurement, ensure_wrk, measure, run_tag  # noqa: E402

from graph_data import load_graph  # noqa: E402

# The deep query (c) is meant to be big: its cost (about 140,000 by the
# server's measure) is above the default limit (50,000), so case (c) runs
# against a second server with that limit raised (and the rate-limit burst,
# which must be at least as big). Every other case runs against a server with
# the default settings. Variables a server version does not know are ignored.
DEEP_SERVER_ENV = {"SHOWGRAPH_MAX_COST": "1000000", "SHOWGRAPH_RATE_LIMIT_BURST": "1000000"}

TARGETS = {
    "small_vs_raw": (">=", 0.6),
    "deep_vs_hand_written": ("<=", 3.0),
    "repeated_vs_raw": (">=", 0.8),
    "variables_vs_raw": (">=", 0.6),
    "new_document_vs_raw": (">=", 0.2),
}


# --- processes under test -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Process:
    """A server we started: its base URL and pid (for /proc figures)."""

    url: str
    pid: int


@contextmanager
def started(
    name: str, command: list[str], port: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[Process]:
    """Run ``command`` until the block ends; wait for /healthz first.

    Output goes to a file, not a pipe: a pipe nobody reads blocks the server
    once full. The process is stopped by its own pid, never by name.
    """
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready after 120 s") from None
                time.sleep(0.1)
        yield Process(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_command(port: int, dataset: Path, log_level: str | None, extra: list[str]) -> list[str]:
    """``showgraph serve`` from this venv (the console script, else ``-m server.cli``).

    Without ``log_level`` the server keeps its default (info: the access log on).
    """
    script = Path(sys.executable).with_name("showgraph")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]
    level = ["--log-level", log_level] if log_level else []
    return [*launcher, "serve", "--port", str(port), "--dataset", str(dataset), *level, *extra]


def memory_mib(pid: int) -> dict[str, float]:
    """Resident set now and at its peak, from /proc/PID/status (no psutil needed)."""
    figures: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            figures[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mib": figures["VmRSS"], "peak_rss_mib": figures["VmHWM"]}


# --- requests ----------------------------------------------------------------------------


def graphql_body(query: str) -> bytes:
    return orjson.dumps({"query": query})


def post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return bytes(response.read())


def answer(url: str, query: str) -> tuple[bytes, Any]:
    """One query's raw response and parsed body; fails on any GraphQL error.

    An error response is cheap to produce, so benchmarking one would flatter
    the server; refuse to go on instead.
    """
    raw = post(f"{url}/graphql", graphql_body(query))
    parsed = orjson.loads(raw)
    if parsed.get("errors"):
        raise RuntimeError(
            f"the server answered with errors (a limit? see --server-args):\n"
            f"{json.dumps(parsed['errors'], indent=2)[:2000]}"
        )
    return raw, parsed


def check_varied(url: str, body: bytes, actors: int | None) -> None:
    """Refuse a varied case whose request fails (or, for (f), matches the wrong actors)."""
    parsed = orjson.loads(post(f"{url}/graphql", body.replace(VARY.encode(), run_tag().encode())))
    if parsed.get("errors"):
        raise RuntimeError(f"a varied request failed:\n{json.dumps(parsed['errors'])[:2000]}")
    if actors is not None and len(parsed["data"]["actors"]["nodes"]) != actors:
        raise AssertionError(f"(f) should match {actors} actors: {parsed}")


# --- one load case ------------------------------------------------------------------------

MIN_REQUESTS_PER_CONNECTION = 3


NO_CACHE = (("Cache-Control", "no-cache"),)


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    target: Process
    query: str
    load: Load
    # Request headers; the uncached cases send "Cache-Control: no-cache" so the
    # server runs every query instead of answering from its response cache.
    headers: tuple[tuple[str, str], ...] = ()
    # A body other than ``{"query": query}``; where it holds ``VARY``, each
    # request gets a value no other request had (cases (f) and (g)).
    body: bytes | None = None

    @property
    def vary(self) -> str | None:
        return VARY if self.body is not None and VARY.encode() in self.body else None


def run_case(case: Case, wrk: str | None) -> tuple[Measurement, float]:
    """Warm up, measure under load, then wait until the target is idle again.

    Returns the measurement and the target's CPU time per request (µs): on a
    machine where other work competes for the CPUs, req/s falls with the share
    the target gets, while its CPU time per request barely moves.

    Under N connections a request waits for about N others, so its latency is
    about N times its service time; a run shorter than that would complete
    nothing and report 0 req/s. A case therefore lasts at least long enough
    for each connection to complete ``MIN_REQUESTS_PER_CONNECTION`` requests
    at the service time seen while warming up (its actual length is recorded).
    """
    url = f"{case.target.url}/graphql"
    body = case.body if case.body is not None else graphql_body(case.query)
    service = warm_up(url, body, case.vary)
    needed = math.ceil(MIN_REQUESTS_PER_CONNECTION * case.load.connections * service)
    load = replace(case.load, seconds=max(case.load.seconds, needed))
    before = _cpu_ticks(case.target.pid)
    result = measure(url, body, load, wrk, case.headers, case.vary)
    used = (_cpu_ticks(case.target.pid) - before) / os.sysconf("SC_CLK_TCK")
    settle(case.target.pid)  # requests wrk gave up on may still be running
    return result, 1e6 * used / max(result.requests, 1)


def warm_up(
    url: str, body: bytes, vary: str | None = None, seconds: float = 1.0, least: int = 3
) -> float:
    """Send requests one at a time for a while; the median seconds one took.

    With ``vary``, each request has that marker replaced by a new token, as under load.
    """
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    tag = run_tag()
    while len(times) < least or time.perf_counter() < deadline:
        sent = body if vary is None else body.replace(vary.encode(), f"{tag}x{len(times)}".encode())
        begin = time.perf_counter()
        post(url, sent)
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def settle(pid: int, timeout: float = 300.0) -> None:
    """Wait until the process has used under 5% of a CPU for half a second.

    A server runs requests whose client has gone; measuring the next case
    while it still does would charge that case for them.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    quiet = 0
    before = _cpu_ticks(pid)
    while time.monotonic() < deadline and quiet < 2:
        time.sleep(0.25)
        now = _cpu_ticks(pid)
        quiet = quiet + 1 if (now - before) / ticks < 0.05 * 0.25 else 0
        before = now


def _cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of stat


# --- the in-process baseline ----------------------------------------------------------------


def time_hand_written(
    dataset: Path, show_name: str, expected: Any, iterations: int
) -> dict[str, Any]:
    """Case (d): the median time to compute and serialize the deep answer by hand.

    Asserts first that the hand-written JSON equals the server's answer, so
    (c)/(d) compares the same work.
    """
    # Time from a collected heap: the generator leaves garbage in this process
    # that the server process never had.
    gc.collect()
    graph = load_graph(dataset)
    key = show_key_named(graph, show_name)
    produced = orjson.loads(deep_answer_json(graph, key))
    # The server's answer also says what it cost (``extensions``); the data must agree.
    if produced["data"] != expected["data"]:
        raise AssertionError("the hand-written traversal and the server disagree on (c)")
    times = []
    for _ in range(iterations):
        begin = time.perf_counter()
        deep_answer_json(graph, key)
        times.append(time.perf_counter() - begin)
    return {
        "iterations": iterations,
        "median_ms": round(statistics.median(times) * 1000, 3),
        "min_ms": round(min(times) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
    }


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    load: Load
    shows: int
    seed: int
    iterations: int
    log_level: str | None
    loadgen: str
    server_args: list[str]
    output: Path


def cpu_busy(seconds: float = 2.0) -> float:
    """The share of all CPUs busy over a short wait, before we start anything.

    Other processes (a test suite, a build) take CPU from the servers and the
    load tool alike, and on a 2-core machine that swamps every figure; the
    harness records it and warns, so nobody trusts a run taken on a busy box.
    """

    def ticks() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + values[4]  # idle and iowait
        return sum(values) - idle, sum(values)

    busy_before, total_before = ticks()
    time.sleep(seconds)
    busy_after, total_after = ticks()
    return (busy_after - busy_before) / max(1, total_after - total_before)


def run(options: Options) -> dict[str, Any]:
    """Every measurement of one run, in a dict ready for the results file."""
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
    load = options.load
    serial = Load(connections=1, threads=1, seconds=load.seconds)
    cases: dict[str, Measurement] = {}
    cpu_us: dict[str, float] = {}  # the target's CPU time per request
    with tempfile.TemporaryDirectory(prefix="showgraph-bench-") as scratch:
        work = Path(scratch)
        dataset = work / "bench.json"
        dataset_info = write_bench_dataset(dataset, options.shows, options.seed)
        server_port, deep_port, raw_port = free_port(), free_port(), free_port()
        command = server_command(server_port, dataset, options.log_level, options.server_args)
        deep_command = server_command(deep_port, dataset, options.log_level, options.server_args)
        log, deep_log = work / "server.log", work / "deep-server.log"
        with (
            started("showgraph serve", command, server_port, log) as server,
            started("serve (c)", deep_command, deep_port, deep_log, DEEP_SERVER_ENV) as deep,
        ):
            small_raw, small_parsed = answer(server.url, SMALL_QUERY)
            _, shows = answer(server.url, "{ shows(first: 1) { nodes { id name } } }")
            show = shows["data"]["shows"]["nodes"][0]
            deep_text = deep_query(show["id"])
            deep_raw, deep_parsed = answer(deep.url, deep_text)
            fields, leaves = count_fields(deep_parsed["data"])
            names = [a["name"] for a in small_parsed["data"]["actors"]["nodes"][:2]]
            check_varied(server.url, variables_body(names), 2)
            check_varied(server.url, new_document_body(), None)
            (work / "small.json").write_bytes(small_raw)
            raw_command = [
                sys.executable,
                str(HERE / "raw_app.py"),
                "--port",
                str(raw_port),
                "--body-file",
                str(work / "small.json"),
                "--log-level",
                options.log_level or "warning",
            ]
            with started("raw app", raw_command, raw_port, work / "raw.log") as raw:
                if post(f"{raw.url}/graphql", graphql_body(SMALL_QUERY)) != small_raw:
                    raise AssertionError("the raw app must answer exactly the small query's bytes")
                plan = [
                    Case("a_raw", raw, SMALL_QUERY, load),
                    Case("b_small", server, SMALL_QUERY, load, NO_CACHE),
                    Case("c_deep", deep, deep_text, load, NO_CACHE),
                    Case("c_deep_serial", deep, deep_text, serial, NO_CACHE),
                    Case("e_repeated", server, SMALL_QUERY, load),
                    Case("f_variables", server, "", load, body=variables_body(names)),
                    Case("g_new_document", server, "", load, body=new_document_body()),
                ]
                for case in plan:
                    cases[case.name], cpu_us[case.name] = run_case(case, wrk)
                    print(f"bench: {case.name:<14} {_row(cases[case.name])}", file=sys.stderr)
                memory = {"server": memory_mib(server.pid), "raw_app": memory_mib(raw.pid)}
        hand = time_hand_written(dataset, show["name"], deep_parsed, options.iterations)
    ratios = {
        "small_vs_raw": cases["b_small"].rps / cases["a_raw"].rps,
        "deep_vs_hand_written": cases["c_deep_serial"].p50_ms / hand["median_ms"],
        "deep_loaded_vs_hand_written": cases["c_deep"].p50_ms / hand["median_ms"],
        "repeated_vs_raw": cases["e_repeated"].rps / cases["a_raw"].rps,
        "variables_vs_raw": cases["f_variables"].rps / cases["a_raw"].rps,
        "new_document_vs_raw": cases["g_new_document"].rps / cases["a_raw"].rps,
        # The same comparisons by the servers' CPU time per request (robust to other load).
        "small_vs_raw_by_cpu": cpu_us["a_raw"] / cpu_us["b_small"],
        "repeated_vs_raw_by_cpu": cpu_us["a_raw"] / cpu_us["e_repeated"],
        "variables_vs_raw_by_cpu": cpu_us["a_raw"] / cpu_us["f_variables"],
        "new_document_vs_raw_by_cpu": cpu_us["a_raw"] / cpu_us["g_new_document"],
    }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git_describe(),
        "machine": machine(busy),
        "load": asdict(load),
        "load_tool": cases["a_raw"].tool,
        "dataset": dataset_info,
        "server": {"command": command, "deep_command": deep_command, "deep_env": DEEP_SERVER_ENV},
        "queries": {
            "small": SMALL_QUERY,
            "small_answer_bytes": len(small_raw),
            "variables_body": variables_body(names).decode(),
            "new_document_body": new_document_body().decode(),
            "deep": deep_text,
            "deep_answer_bytes": len(deep_raw),
            "deep_fields": fields,
            "deep_leaf_values": leaves,
        },
        "cases": {
            name: {**m.as_dict(), "cpu_us_per_request": round(cpu_us[name], 1)}
            for name, m in cases.items()
        },
        "d_hand_written": hand,
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "targets": {name: f"{op} {value}" for name, (op, value) in TARGETS.items()},
        "memory": memory,
    }


def machine(busy: float) -> dict[str, Any]:
    """What a result file says about the machine it was measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "cpu_busy_before_start": round(busy, 3),
        "load_average_at_end": os.getloadavg(),
    }


def _git_describe() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


# --- output ------------------------------------------------------------------------------------


def _row(m: Measurement) -> str:
    figures = f"{m.rps:>10.1f} {m.p50_ms:>9.2f} {m.p99_ms:>9.2f} {m.requests:>9} {m.errors:>7}"
    return f"{figures}  ({m.tool})"


def report(results: dict[str, Any]) -> str:
    """The human-readable table of one run's results."""
    cases, hand, ratios = results["cases"], results["d_hand_written"], results["ratios"]
    load = results["load"]
    labels = {
        "a_raw": "(a) raw Starlette",
        "b_small": "(b) small query",
        "c_deep": "(c) deep query",
        "c_deep_serial": "(c) deep, 1 connection",
        "e_repeated": "(e) repeated small",
        "f_variables": "(f) new variables",
        "g_new_document": "(g) new document",
    }
    queries = results["queries"]
    lines = [
        f"showgraph bench @ {results['git']}: {results['load_tool']}, "
        f"{load['connections']} connections, {load['threads']} threads, {load['seconds']} s "
        f"per case; {results['machine']['cpus']} CPUs, "
        f"{results['machine']['cpu_busy_before_start']:.0%} busy before the run"
        f"{' (figures skewed)' if results['machine']['cpu_busy_before_start'] > 0.1 else ''}",
        f"dataset: {results['dataset']['shows']} shows, {results['dataset']['nodes']} nodes, "
        f"{results['dataset']['edges']} edges; small answer {queries['small_answer_bytes']} B; "
        f"deep answer {queries['deep_leaf_values']} leaf values, {queries['deep_fields']} fields, "
        f"{queries['deep_answer_bytes']} B",
        "",
        f"{'case':<26}{'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9} {'errors':>7}"
        f" {'secs':>6} {'cpu us/req':>10}",
    ]
    for name, label in labels.items():
        m = cases[name]
        lines.append(
            f"{label:<26}{m['rps']:>10.1f} {m['p50_ms']:>9.2f} {m['p99_ms']:>9.2f} "
            f"{m['requests']:>9} {m['errors']:>7} {m['seconds']:>6.1f} "
            f"{m['cpu_us_per_request']:>10.1f}"
        )
    lines.append(
        f"{'(d) by hand, in process':<26}{'':>10} {hand['median_ms']:>9.2f} {'':>9} "
        f"{hand['iterations']:>9}   (median of {hand['iterations']} runs)"
    )
    lines += ["", f"{'ratio (this run only)':<44}{'measured':>10}  {'target':<8}"]
    shown = [
        ("small_vs_raw", "(b)/(a) req/s", "x"),
        ("deep_vs_hand_written", "(c) p50 at 1 conn / (d) median", "x"),
        ("deep_loaded_vs_hand_written", f"(c) p50 at {load['connections']} conns / (d)", "x"),
        ("repeated_vs_raw", "(e)/(a) req/s", "x"),
        ("variables_vs_raw", "(f)/(a) req/s", "x"),
        ("new_document_vs_raw", "(g)/(a) req/s", "x"),
        ("small_vs_raw_by_cpu", "(b)/(a) by server CPU per request", "x"),
        ("repeated_vs_raw_by_cpu", "(e)/(a) by server CPU per request", "x"),
        ("variables_vs_raw_by_cpu", "(f)/(a) by server CPU per request", "x"),
        ("new_document_vs_raw_by_cpu", "(g)/(a) by server CPU per request", "x"),
    ]
    for key, label, unit in shown:
        value = ratios[key]
        target = TARGETS.get(key)
        if target is None:
            verdict, goal = "", "(info)"
        else:
            op, limit = target
            met = value >= limit if op == ">=" else value <= limit
            verdict, goal = ("met" if met else "MISSED"), f"{op} {limit}{unit}"
        lines.append(f"{label:<44}{value:>9.3f}{unit}  {goal:<8} {verdict}")
    memory = results["memory"]
    lines += [
        "",
        "memory (VmRSS now / peak): "
        f"server {memory['server']['rss_mib']:.0f} / {memory['server']['peak_rss_mib']:.0f} MiB, "
        f"raw app {memory['raw_app']['rss_mib']:.0f} / {memory['raw_app']['peak_rss_mib']:.0f} MiB",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 s per case, fewer iterations")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, help="per case (default 10, 2 with --quick)")
    parser.add_argument("--shows", type=int, default=3, help="shows in the bench dataset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, help="runs of (d) (default 30, 5 with --quick)")
    parser.add_argument(
        "--log-level",
        help="for the servers (default: serve's own, info, access log on; raw app: warning)",
    )
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--server-args", default="", help="extra `showgraph serve` flags, e.g. '--max-depth 20'"
    )
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (2 if args.quick else 10)
    iterations = args.iterations if args.iterations is not None else (5 if args.quick else 30)
    return Options(
        load=Load(args.connections, args.threads, seconds),
        shows=args.shows,
        seed=args.seed,
        iterations=iterations,
        log_level=args.log_level,
        loadgen=args.loadgen,
        server_args=shlex.split(args.server_args),
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
