"""Driving HTTP load: wrk when we can have it, else ``pyload.py`` in its own process.

Both report the same figures (requests, duration, errors, p50/p99 latency),
so the harness does not care which one ran; it records which in the results.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# wrk runs this after the load; it prints one JSON line the harness parses.
# The request method, body and headers are set above it for POST cases.
_DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


# Requests made new per request: the body is split at the marker and joined with a
# token no other request of the run has (the run's tag, wrk's thread, a count).
# wrk builds each request in ``request()`` (its per-request hook); each thread
# has its own Lua state, so the thread number keeps their tokens apart.
_VARY_LUA = """
local parts = {%s}
local tag = "%s"
local made = 0
local count = 0
thread_number = 0
setup = function(thread)
  made = made + 1
  thread:set("thread_number", made)
end
request = function()
  count = count + 1
  local body = table.concat(parts, tag .. "x" .. thread_number .. "x" .. count)
  return wrk.format(nil, nil, nil, body)
end
"""


def run_tag() -> str:
    """A fresh alphanumeric tag, so no two runs (nor warm-ups) send the same token."""
    return "t" + secrets.token_hex(4)


@dataclass(frozen=True, slots=True)
class Load:
    """How hard to push: the same for every case of a run, so ratios compare like with like."""

    connections: int
    threads: int
    seconds: int  # wrk takes whole seconds


@dataclass(frozen=True, slots=True)
class Measurement:
    tool: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def ensure_wrk() -> str | None:
    """The path of wrk, installing Debian's package first when we are root and it is missing."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("bench: installing wrk with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=False)
    return shutil.which("wrk")


def measure(
    url: str,
    body: bytes | None,
    load: Load,
    wrk: str | None,
    headers: tuple[tuple[str, str], ...] = (),
    vary: str | None = None,
) -> Measurement:
    """One load run against ``url`` (POSTing ``body`` as JSON when given, with ``headers``).

    With ``vary``, every occurrence of that marker in ``body`` is replaced, per
    request, by a token no other request of the run has.
    """
    if wrk:
        return _run_wrk(wrk, url, body, load, headers, vary)
    return _run_pyload(url, body, load, headers, vary)


def _run_wrk(
    wrk: str,
    url: str,
    body: bytes | None,
    load: Load,
    headers: tuple[tuple[str, str], ...],
    vary: str | None = None,
) -> Measurement:
    script = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers) + _DONE_LUA
    if body is not None:
        text = body.decode()
        if "]==]" in text:
            raise ValueError("the request body cannot be quoted as a Lua long string")
        script = (
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            'wrk.headers["Accept"] = "application/json"\n'
            f"wrk.body = [==[{text}]==]\n" + script
        )
        if vary is not None:
            parts = ", ".join(f"[==[{part}]==]" for part in text.split(vary))
            script += _VARY_LUA % (parts, run_tag())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = [
            wrk,
            f"-t{load.threads}",
            f"-c{load.connections}",
            f"-d{load.seconds}s",
            "--timeout",
            "30s",
            "-s",
            file.name,
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        os.unlink(file.name)
    return _parse("wrk", done, command)


def _run_pyload(
    url: str,
    body: bytes | None,
    load: Load,
    headers: tuple[tuple[str, str], ...],
    vary: str | None = None,
) -> Measurement:
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as file:
        file.write(body or b"")
    try:
        command = [
            sys.executable,
            str(HERE / "pyload.py"),
            "--url",
            url,
            "--connections",
            str(load.connections),
            "--seconds",
            str(load.seconds),
        ]
        if body is not None:
            command += ["--body-file", file.name]
        for name, value in headers:
            command += ["--header", f"{name}: {value}"]
        if vary is not None:
            command += ["--vary", vary, "--tag", run_tag()]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        os.unlink(file.name)
    return _parse("pyload", done, command)


def _parse(tool: str, done: subprocess.CompletedProcess[str], command: list[str]) -> Measurement:
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(lines[-1])
    return Measurement(
        tool=tool,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["errors"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )
