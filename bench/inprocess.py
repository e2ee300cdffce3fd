"""The HTTP cases of ``run.py`` without sockets: CPU time per request, in process.

``python bench/inprocess.py`` builds the real app (``server.app.create_app``)
and the bare Starlette baseline (``raw_app.py``) in this process and calls
each as ASGI applications with a prepared request, many times, measuring the
process's CPU time per request. Without sockets, a load tool and other
processes in the way, the figures hardly move between runs even on a busy
machine, so they show what each change to the code gained; ``run.py`` says
what a client sees. Cases, all on ``run.py``'s dataset:

| case | what |
|---|---|
| raw | the bare app answering a body as large as (b)'s |
| (b) small | the small query, ``Cache-Control: no-cache`` (run every time, from its plan) |
| (e) repeated | the small query again, answered from the response cache |
| (c) deep | the deep query, ``Cache-Control: no-cache`` |
| (d) by hand | the deep answer computed from the graph model and serialized, in process |
| (f) new variables | one document, a new value of its variable each request |
| (g) new document | a document never seen before each request (the small query, a new alias) |

The app is built with the default settings, its logging configured as
``showgraph serve`` configures it (JSON lines, the access log on), written to a
scratch file instead of stderr; only the deep query runs on a second app whose
``max_cost`` is raised, since it costs more than the default allows. It prints
µs per request and the ratios (b)/raw, (e)/raw, (f)/raw and (g)/raw as
throughput and (c)/(d) as time, with their targets; the network and HTTP
parsing that ``run.py`` also counts are not in them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import use_project_venv

use_project_venv(__file__)

from bench.deep import (  # noqa: E402
    SMALL_QUERY,
    VARY,
    deep_answer_json,
    deep_query,
    new_document_body,
    show_key_named,
    variables_body,
    write_bench_dataset,
)
from bench.raw_app import create_app as raw_app  # noqa: E402
from graph_data import load_graph  # noqa: E402
from graph_data.kinds import NodeKind  # noqa: E402
from schema.relay import encode_key  # noqa: E402
from server.app import create_app, freeze_heap  # noqa: E402
from server.logs import configure_logging  # noqa: E402
from server.settings import Settings  # noqa: E402

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
NO_CACHE = [(b"cache-control", b"no-cache")]

TARGETS = {"small": 0.6, "repeated": 0.8, "variables": 0.6, "new_document": 0.2}


@contextmanager
def logging_to(path: Path, level: str) -> Iterator[None]:
    """Logging as ``showgraph serve`` sets it up, its stderr stream a file for the block."""
    saved = sys.stderr
    with path.open("w") as stream:
        sys.stderr = stream
        try:
            configure_logging(level)  # the handler takes sys.stderr as it is now
            yield
        finally:
            sys.stderr = saved
            configure_logging("warning")


def varied(body: bytes, count: int) -> list[bytes]:
    """``count`` bodies, each with ``VARY`` replaced by a token no other has."""
    marker = VARY.encode()
    return [body.replace(marker, f"v{time.time_ns()}x{i}".encode()) for i in range(count)]


def request_scope(body: bytes, extra: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """A POST to /graphql as uvicorn would pass it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"accept", b"application/json"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def cpu_per_request(
    app: App, body: bytes | Sequence[bytes], extra: list[tuple[bytes, bytes]], requests: int
) -> tuple[float, bytes]:
    """Microseconds of process CPU time per request, and the last answer's body.

    ``body`` is the one body every request sends, or one body per request
    (warm-up included: ``requests`` plus a tenth, at least 20 more).
    """
    warm = max(requests // 10, 20)
    bodies = [body] * (warm + requests) if isinstance(body, bytes) else list(body)
    assert len(bodies) >= warm + requests, "one body per request, warm-up included"
    current = [b""]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": current[0], "more_body": False}

    answer: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    scopes = [request_scope(b, extra) for b in bodies]
    for i in range(warm):  # warm up: the first runs compile the plan
        current[0] = bodies[i]
        await app(scopes[i], receive, send)
    started = time.process_time()
    for i in range(warm, warm + requests):
        current[0] = bodies[i]
        await app(scopes[i], receive, send)
    return (time.process_time() - started) / requests * 1e6, answer[-1]


def hand_written_us(dataset: Path, show: str, runs: int) -> float:
    graph = load_graph(dataset)
    key = show_key_named(graph, show)
    for _ in range(3):
        deep_answer_json(graph, key)
    started = time.process_time()
    for _ in range(runs):
        deep_answer_json(graph, key)
    return (time.process_time() - started) / runs * 1e6


async def measure(
    requests: int, shows: int, seed: int, log_level: str = "info"
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="showgraph-inprocess-") as scratch:
        dataset = Path(scratch) / "bench.json"
        write_bench_dataset(dataset, shows, seed)
        with logging_to(Path(scratch) / "server.log", log_level):
            app = create_app(Settings(dataset=(dataset,)))  # the defaults
            deep_app = create_app(Settings(dataset=(dataset,), max_cost=10**7))
            freeze_heap()  # as showgraph serve does once the app is built
            graph = app.state.graph
            show = graph.nodes_of(NodeKind.SHOW)[0]
            small = b'{"query": "' + SMALL_QUERY.encode() + b'"}'
            deep_text = deep_query(encode_key(show.key)).replace('"', '\\"')
            deep = b'{"query": "' + deep_text.encode() + b'"}'
            small_us, small_answer = await cpu_per_request(app, small, NO_CACHE, requests)
            raw_us, _ = await cpu_per_request(raw_app(small_answer), small, [], requests)
            repeated_us, repeated_answer = await cpu_per_request(app, small, [], requests)
            assert repeated_answer == small_answer, "cached and uncached answers differ"
            names = [a.data.name for a in graph.nodes_of(NodeKind.ACTOR)[:2]]
            count = requests + max(requests // 10, 20)
            variables_us, answer = await cpu_per_request(
                app, varied(variables_body(names), count), [], requests
            )
            assert b"errors" not in answer, answer
            assert answer.count(b'"name"') > 2, answer
            new_us, answer = await cpu_per_request(
                app, varied(new_document_body(), count), [], requests
            )
            assert b"errors" not in answer, answer
            deep_us, _ = await cpu_per_request(deep_app, deep, NO_CACHE, max(requests // 50, 20))
        hand_us = hand_written_us(dataset, show.data.name, max(requests // 50, 20))
    return {
        "raw_us": raw_us,
        "small_us": small_us,
        "repeated_us": repeated_us,
        "variables_us": variables_us,
        "new_document_us": new_us,
        "deep_us": deep_us,
        "hand_us": hand_us,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="per case (deep: 1/50)")
    parser.add_argument("--shows", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--log-level", default="info", help="the server's (default info: access log on)"
    )
    args = parser.parse_args(argv)
    f = asyncio.run(measure(args.requests, args.shows, args.seed, args.log_level))
    print(f"{'case':<28}{'CPU us/request':>15}")
    for label, key in [
        ("raw Starlette", "raw_us"),
        ("(b) small, uncached", "small_us"),
        ("(e) small, repeated", "repeated_us"),
        ("(f) new variables", "variables_us"),
        ("(g) new document", "new_document_us"),
        ("(c) deep, uncached", "deep_us"),
        ("(d) deep, by hand", "hand_us"),
    ]:
        print(f"{label:<28}{f[key]:>15.1f}")
    for label, key in [
        ("(b)/raw", "small"),
        ("(e)/raw", "repeated"),
        ("(f)/raw", "variables"),
        ("(g)/raw", "new_document"),
    ]:
        ratio = f["raw_us"] / f[f"{key}_us"]
        verdict = "met" if ratio >= TARGETS[key] else "MISSED"
        print(f"{label} throughput  {ratio:.3f}x  target >= {TARGETS[key]}x  {verdict}")
    print(f"(c)/(d) time        {f['deep_us'] / f['hand_us']:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
