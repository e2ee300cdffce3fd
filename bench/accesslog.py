"""What one access line costs: the stdlib path against ``JsonLinesHandler``, in one run.

``python bench/accesslog.py [--lines 50000]`` writes access lines to a scratch
file in this process, first the way ``showgraph serve`` logged before issue 17
(a ``logging.StreamHandler`` with ``JsonFormatter``, written and flushed by the
caller), then as it logs now (``log_config``'s ``JsonLinesHandler``: the line
rendered from a template and written by the log thread). Each line follows
some CPU work standing for the rest of a request, as in a server, so that the
lines do not arrive in one burst. It prints µs of CPU per line (the run with
the work alone subtracted) for the caller's thread (the event loop, in the
server) and for the whole process (the log thread's wake-ups and writes
included), and checks that both files hold lines with the same fields.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import use_project_venv

use_project_venv(__file__)

from server.logs import (  # noqa: E402
    JsonFormatter,
    JsonLinesHandler,
    access_log,
    bound_request_id,
)


def a_request() -> None:
    """CPU work standing for the rest of a request (about 20 µs), between two access lines:
    lines logged back to back would let the writer take them in batches, which a server
    answering one request at a time never does."""
    sum(range(2000))


def per_line(handler: logging.Handler | None, lines: int) -> tuple[float, float]:
    """(caller's thread, whole process) µs of CPU per request through ``handler``: each
    request ``a_request()`` and its access line (None: no line, the baseline)."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers[:] = [] if handler is None else [handler]
    root.setLevel(logging.INFO if handler is not None else logging.WARNING)
    try:
        with bound_request_id({"headers": []}):
            for _ in range(lines // 10):  # warm up
                a_request()
                access_log(method="POST", path="/graphql", status=200, duration=1e-4, operation="A")
            thread, process = time.thread_time(), time.process_time()
            for _ in range(lines):
                a_request()
                access_log(method="POST", path="/graphql", status=200, duration=1e-4, operation="A")
            if handler is not None:
                handler.flush()
            thread, process = time.thread_time() - thread, time.process_time() - process
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
        if handler is not None:
            handler.close()
    return thread / lines * 1e6, process / lines * 1e6


def extra_per_line(
    handler: Callable[[], logging.Handler], lines: int, runs: int
) -> tuple[float, float]:
    """What a line adds to a request: the median over ``runs`` of a run with lines less
    the run just before it without (the difference of two noisy figures, so several)."""
    differences = []
    for _ in range(runs):
        baseline = per_line(None, lines)
        logged = per_line(handler(), lines)
        differences.append((logged[0] - baseline[0], logged[1] - baseline[1]))
    return (
        statistics.median(d[0] for d in differences),
        statistics.median(d[1] for d in differences),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000, help="per run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="showgraph-accesslog-") as scratch:
        before_file, after_file = Path(scratch) / "before.log", Path(scratch) / "after.log"
        with before_file.open("w") as before_stream, after_file.open("w") as after_stream:
            old = logging.StreamHandler(before_stream)
            old.setFormatter(JsonFormatter())
            before = extra_per_line(lambda: old, args.lines, args.runs)
            after = extra_per_line(lambda: JsonLinesHandler(after_stream), args.lines, args.runs)
        old_line = json.loads(before_file.read_text().splitlines()[-1])
        new_line = json.loads(after_file.read_text().splitlines()[-1])
        assert list(old_line) == list(new_line), (old_line, new_line)
    print(f"{'access line':<46}{'caller us':>10}{'process us':>11}")
    print(f"{'before: StreamHandler + JsonFormatter':<46}{before[0]:>10.2f}{before[1]:>11.2f}")
    print(f"{'now: JsonLinesHandler (template, log thread)':<46}{after[0]:>10.2f}{after[1]:>11.2f}")
    print(f"caller's cost now / before: {after[0] / before[0]:.3f}; target under 3 us a line")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
