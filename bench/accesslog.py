"""What one access line costs: the stdlib path against ``JsonLinesHandler``, in one run.

``python bench/accesslog.py [--lines 50000]`` writes access lines to a scratch
file in this process, first the way ``showgraph serve`` logged before issue 17
(a ``logging.StreamHandler`` with ``JsonFormatter``, written and flushed by the
caller), then as it logs now (``log_config``'s ``JsonLinesHandler``: the line
rendered from a template and written by the log thread). It prints µs of CPU
per line for the caller's thread (the event loop, in the server) and for the
whole process (the log thread's writes included), and checks that both files
hold lines with the same fields.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
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


def per_line(handler: logging.Handler, lines: int) -> tuple[float, float]:
    """(caller's thread, whole process) µs of CPU per access line through ``handler``."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        with bound_request_id({"headers": []}):
            for _ in range(lines // 10):  # warm up
                access_log(method="POST", path="/graphql", status=200, duration=1e-4, operation="A")
            thread, process = time.thread_time(), time.process_time()
            for _ in range(lines):
                access_log(method="POST", path="/graphql", status=200, duration=1e-4, operation="A")
            handler.flush()
            thread, process = time.thread_time() - thread, time.process_time() - process
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
        handler.close()
    return thread / lines * 1e6, process / lines * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="showgraph-accesslog-") as scratch:
        before_file, after_file = Path(scratch) / "before.log", Path(scratch) / "after.log"
        with before_file.open("w") as before_stream, after_file.open("w") as after_stream:
            old = logging.StreamHandler(before_stream)
            old.setFormatter(JsonFormatter())
            before = per_line(old, args.lines)
            after = per_line(JsonLinesHandler(after_stream), args.lines)
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
