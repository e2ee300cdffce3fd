"""A small HTTP/1.1 load generator, the fallback when ``wrk`` cannot be installed.

Run in its own process (never in the harness's, so it does not share a GIL
with anything measured): ``pyload.py --url URL [--body-file F] --connections
16 --seconds 10``. It keeps that many keep-alive connections busy for that
long, one request in flight per connection, and prints one JSON line in the
same shape as the harness's wrk script: requests, duration, errors, p50 and
p99 latency in microseconds. It is slower than wrk, so with it the absolute
req/s figures are lower; ratios stay meaningful because every case uses it.

With ``--vary MARKER`` every occurrence of MARKER in the body is replaced, per
request, by a token no other request has (``--tag``, the connection, a count),
as the harness's wrk script does in its ``request()`` hook.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit


def build_request(url: str, body: bytes | None, headers: list[str] | None = None) -> bytes:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    method = "POST" if body is not None else "GET"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: application/json"]
    lines += headers or []
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response (Content-Length bodies only, which is all uvicorn sends here)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


Requests = Callable[[], bytes]


def request_maker(
    url: str, body: bytes | None, headers: list[str], vary: str | None, token: str
) -> Requests:
    """The next request's bytes: always the same ones, or (``vary``) a new token in each."""
    if vary is None or body is None:
        fixed = build_request(url, body, headers)
        return lambda: fixed
    parts = body.split(vary.encode())
    counter = itertools.count(1)
    return lambda: build_request(url, f"{token}x{next(counter)}".encode().join(parts), headers)


async def connection(
    host: str,
    port: int,
    requests: Requests,
    deadline: float,
    latencies: list[int],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            request = requests()
            started = time.perf_counter_ns()
            writer.write(request)
            status = await read_response(reader)
            latencies.append(time.perf_counter_ns() - started)
            if status >= 400:
                errors.append(status)
    finally:
        writer.close()


async def run(
    url: str,
    body: bytes | None,
    connections: int,
    seconds: float,
    headers: list[str],
    vary: str | None = None,
    tag: str = "t",
) -> dict[str, int]:
    parts = urlsplit(url)
    latencies: list[int] = []
    errors: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            connection(
                parts.hostname or "127.0.0.1",
                parts.port or 80,
                request_maker(url, body, headers, vary, f"{tag}x{number}"),
                deadline,
                latencies,
                errors,
            )
            for number in range(connections)
        )
    )
    duration = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> int:
        if not latencies:
            return 0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] // 1000

    return {
        "requests": len(latencies),
        "duration_us": int(duration * 1e6),
        "errors": len(errors),
        "p50_us": percentile(50),
        "p99_us": percentile(99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", type=Path, help="POST this JSON body (else GET)")
    parser.add_argument("--header", action="append", default=[], help="an extra 'Name: value'")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--vary", help="a marker in the body replaced by a new token per request")
    parser.add_argument("--tag", default="t", help="alphanumeric start of those tokens")
    args = parser.parse_args()
    body = args.body_file.read_bytes() if args.body_file else None
    loop_factory = None
    try:  # the same event loop uvicorn uses, when installed
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(
            run(
                args.url,
                body,
                args.connections,
                args.seconds,
                args.header,
                args.vary,
                args.tag,
            )
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
