"""Memory and time bounds for big documents, against the server's own baseline in the same run.

``python bench/memory.py [--documents 300] [--size 900000]`` starts ``showgraph
serve`` with its default settings on the built-in dataset and measures:

  growth    the server's resident memory after ``--documents`` distinct
            documents of about ``--size`` bytes each (under the 1 MiB body
            limit; each is a valid query behind a long comment, so it parses,
            validates and runs), against its memory after one small query;
            target: under 150 MiB
  refusal   the time to answer one document of ``--size`` bytes holding 70,000
            tokens (refused by the 2,000-token limit while it is lexed),
            against the time to answer a small query; target: under 50 ms

The server's CPU time per request is read from /proc (utime + stime), so a
busy machine does not inflate it; wall time is printed too.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.checkout import use_project_venv  # noqa: E402

use_project_venv(__file__)

import orjson  # noqa: E402

SMALL = "{ actors { totalCount } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(connection: http.client.HTTPConnection, query: str) -> dict[str, object]:
    connection.request(
        "POST", "/graphql", orjson.dumps({"query": query}), {"content-type": "application/json"}
    )
    response = connection.getresponse()
    body: dict[str, object] = orjson.loads(response.read())
    return body


def timed(
    pid: int, connection: http.client.HTTPConnection, query: str, times: int
) -> tuple[float, float]:
    """(server CPU ms, wall ms) per request, the mean over ``times`` requests."""
    cpu, wall = cpu_seconds(pid), time.perf_counter()
    for _ in range(times):
        post(connection, query)
    return (
        (cpu_seconds(pid) - cpu) * 1000 / times,
        (time.perf_counter() - wall) * 1000 / times,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--size", type=int, default=900_000)
    args = parser.parse_args()
    port = free_port()
    script = Path(sys.executable).with_name("showgraph")
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [str(script), "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(300):
                try:
                    post(connection, SMALL)
                    break
                except OSError:
                    connection.close()
                    time.sleep(0.1)
            base_rss = rss_mib(server.pid)
            for n in range(args.documents):
                padding = "#" + "x" * (args.size - 60) + f"{n}\n"
                answer = post(connection, padding + SMALL)
                assert answer.get("data") == {"actors": {"totalCount": 6}}, answer
            growth = rss_mib(server.pid) - base_rss
            small_cpu, small_wall = timed(server.pid, connection, SMALL, 200)
            tokens = "{ " + "abcdefghijkl " * 70_000 + "}"
            refused = post(connection, tokens)
            assert "Token limit exceeded" in str(refused), refused
            big_cpu, big_wall = timed(server.pid, connection, tokens, 20)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"memory: {base_rss:.1f} MiB after one small query")
    print(
        f"growth: {growth:.1f} MiB after {args.documents} distinct documents of "
        f"{args.size:,} bytes (target < 150 MiB)"
    )
    print(f"small query:       {small_cpu:.2f} ms server CPU, {small_wall:.2f} ms wall")
    print(
        f"70,000 tokens ({len(tokens):,} bytes): {big_cpu:.2f} ms server CPU, "
        f"{big_wall:.2f} ms wall (target < 50 ms); {big_cpu / small_cpu:.1f}x the small query"
    )


if __name__ == "__main__":
    main()
