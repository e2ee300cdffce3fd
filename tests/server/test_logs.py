"""Structured logs: request ids, JSON lines, the access line, and no token ever logged."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from starlette.testclient import TestClient

import server.logs as logs_module
from server.app import create_app
from server.logs import (
    JsonFormatter,
    JsonLinesHandler,
    access_log,
    bound_request_id,
    log_config,
    new_request_id,
    valid_request_id,
)
from server.settings import Settings
from tests.profiles import profile
from tests.server.conftest import LiveServer

TIME_PROFILE = profile("log-time", 300, 3000, [HealthCheck.too_slow])
TOKEN = "alice-secret-token-0123456789"
WRONG_TOKEN = "mallory-guess-9876543210"
CREATE = (
    'mutation Create { createActor(input: {fields: {name: "Jenny Walser"}, '
    'newSource: {title: "Cast list"}}) { graphVersion } }'
)


class Captured:
    """Every record logged while installed, formatted as the server formats them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines()]

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "showgraph.access"]


@pytest.fixture
def logs() -> Iterator[Captured]:
    captured = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(level)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=str(tmp_path / "data"), tokens=f"alice={TOKEN}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_valid_request_id_is_echoed(client: TestClient, logs: Captured) -> None:
    response = client.post(
        "/graphql",
        json={"query": "query Version { graphVersion }"},
        headers={"X-Request-ID": "abc.DEF-123_x"},
    )
    assert response.headers["x-request-id"] == "abc.DEF-123_x"
    [line] = logs.access()
    assert line["request_id"] == "abc.DEF-123_x"


@pytest.mark.parametrize(
    "incoming", [None, "x" * 65, "has space", "a/b", "\u00fcn\u00efcode", "", "${jndi:x}"]
)
def test_a_missing_or_odd_request_id_is_replaced(
    client: TestClient, logs: Captured, incoming: str | None
) -> None:
    headers = {} if incoming is None else {"X-Request-ID": incoming.encode()}
    response = client.get("/healthz", headers=headers)
    made = response.headers["x-request-id"]
    assert made != incoming
    assert len(made) == 32
    assert int(made, 16) >= 0


def test_every_response_gets_an_id_even_a_413(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(max_body_bytes=1024))) as client:
        response = client.post(
            "/graphql", content=b"x" * 5000, headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert valid_request_id(response.headers["x-request-id"])


def test_the_access_line(client: TestClient, logs: Captured) -> None:
    response = client.get("/graphql", params={"query": "query Version { graphVersion }"})
    [line] = logs.access()
    assert line["level"] == "info"
    assert line["method"] == "GET"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert line["operation"] == "Version"
    assert line["request_id"] == response.headers["x-request-id"]
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert {"time", "message", "logger"} <= line.keys()


def test_masked_errors_are_logged_with_their_request(client: TestClient, logs: Captured) -> None:
    """A fault's log line carries the request id and the stack, for the errorId to find."""
    pipeline = client.app.state.endpoint.pipeline  # type: ignore[attr-defined]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    original = pipeline.persisted.resolve
    pipeline.persisted.resolve = broken
    try:
        response = client.post("/graphql", json={"query": "{ graphVersion }"})
    finally:
        pipeline.persisted.resolve = original
    assert response.status_code == 500
    error_id = response.json()["errors"][0]["extensions"]["errorId"]
    [line] = [line for line in logs.lines() if error_id in line["message"]]
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["level"] == "error"
    assert "RuntimeError: boom" in line["exc_info"]
    assert logs.access()[0]["status"] == 500


def test_tokens_are_never_logged(client: TestClient, logs: Captured) -> None:
    for token in (TOKEN, WRONG_TOKEN):
        client.post(
            "/graphql", json={"query": CREATE}, headers={"Authorization": f"Bearer {token}"}
        )
    client.get(
        "/graphql",
        params={"query": "{ graphVersion }"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    statuses = [line["status"] for line in logs.access()]
    assert statuses == [200, 401, 200]
    text = logs.text()
    assert TOKEN not in text
    assert WRONG_TOKEN not in text
    assert "Bearer" not in text


def test_formatter_one_line_per_record_with_exception() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    out = JsonFormatter().format(record)
    assert "\n" not in out
    entry = json.loads(out)
    assert entry["message"] == "failed here"
    assert entry["exc_type"] == "ValueError"
    assert entry["request_id"] is None


def test_log_config_names_uvicorns_loggers() -> None:
    config = log_config("warning")
    assert config["root"]["level"] == "WARNING"
    assert {"uvicorn", "uvicorn.error", "uvicorn.access"} <= config["loggers"].keys()


def test_the_server_logs_json_lines_and_no_token() -> None:
    server = LiveServer("--log-level", "info", env={"SHOWGRAPH_TOKENS": f"alice={TOKEN}"})
    try:
        server.wait_ready()
        httpx.post(
            f"{server.url}/graphql",
            json={"query": "query Version { graphVersion }"},
            headers={"Authorization": f"Bearer {WRONG_TOKEN}", "X-Request-ID": "live-1"},
        )
        output = wait_for_output(server, '"showgraph.access"')  # written by the log thread
    finally:
        server.stop()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's, as JSON
    [access] = [line for line in lines if line["logger"] == "showgraph.access"]
    assert (access["request_id"], access["operation"], access["status"]) == (
        "live-1",
        "Version",
        200,
    )
    assert TOKEN not in output
    assert WRONG_TOKEN not in output


def test_new_request_ids_are_distinct_and_valid() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(valid_request_id(i) and len(i) == 32 for i in ids)


def wait_for_output(server: LiveServer, text: str, timeout: float = 30.0) -> str:
    """The server's output once it holds ``text`` (its log lines are written by a thread)."""
    deadline = time.monotonic() + timeout
    while text not in (output := server.output()):
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise AssertionError(f"{text!r} never appeared in:\n{output}")
        time.sleep(0.05)
    return output


class Writes(io.StringIO):
    """A stream that records which threads wrote to it, and announces each write."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()
        self.written = threading.Event()

    def write(self, text: str) -> int:
        self.threads.add(threading.current_thread().name)
        count = super().write(text)
        self.written.set()
        return count


@pytest.fixture
def lines_handler() -> Iterator[tuple[JsonLinesHandler, Writes]]:
    """The only handler of ``showgraph.*`` a ``JsonLinesHandler``, as serve has it on the root.

    On ``showgraph``, not on the root, where pytest adds a capturing handler of its own;
    pytest adds one to non-propagating loggers too as the test starts, so each test
    calls ``alone`` first.
    """
    stream = Writes()
    handler = JsonLinesHandler(stream)
    logger = logging.getLogger("showgraph")
    saved = logger.handlers[:], logger.level, logger.propagate
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler, stream
    finally:
        handler.flush()
        logger.handlers, logger.level, logger.propagate = saved


def alone(handler: JsonLinesHandler) -> None:
    """Make ``handler`` the only one ``showgraph.*`` records reach (see ``lines_handler``)."""
    logging.getLogger("showgraph").handlers = [handler]


def _stdlib_line(**fields: Any) -> dict[str, Any]:
    """The access line as the ordinary record path renders it (another handler present)."""
    captured = Captured()
    logger = logging.getLogger("showgraph")
    logger.addHandler(captured.handler)
    try:
        access_log(**fields)
    finally:
        logger.removeHandler(captured.handler)
    [line] = captured.access()
    return line


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/graphql", "Version"),
        ("/graphql", "anonymous"),
        ('/gra"ph\\ql\n\u00e9', 'we"ird\\name\t'),
        ("/graphql", ""),
    ],
)
def test_the_fast_access_line_has_the_record_fields(
    lines_handler: tuple[JsonLinesHandler, Writes], path: str, operation: str
) -> None:
    """Rendered without a record when only the lines handler reads it, with the same fields."""
    handler, stream = lines_handler
    alone(handler)
    fields = {
        "method": "POST",
        "path": path,
        "status": 200,
        "duration": 0.0012345,
        "operation": operation,
    }
    scope: dict[str, Any] = {"headers": [(b"x-request-id", b"req-1")]}
    with bound_request_id(scope):
        access_log(**fields)
        handler.flush()
        fast = json.loads(stream.getvalue())
        stream.truncate(0)
        stream.seek(0)
        # With a second handler present the same line goes through a LogRecord.
        record = _stdlib_line(**fields)
    handler.flush()
    assert list(fast) == list(record)  # the same fields, in the same order
    for key in ("time", "duration_ms"):
        fast.pop(key)
        record.pop(key)
    assert fast == record
    assert record["request_id"] == "req-1"


def test_the_fast_access_line_without_a_request(
    lines_handler: tuple[JsonLinesHandler, Writes], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_record(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the access line went through a LogRecord")

    monkeypatch.setattr(logging.getLogger("showgraph.access"), "info", no_record)
    handler, stream = lines_handler
    alone(handler)
    access_log(method="GET", path="/graphql", status=400, duration=0.5, operation="anonymous")
    handler.flush()
    line = json.loads(stream.getvalue())
    assert line["request_id"] is None
    assert line["duration_ms"] == 500.0
    assert line["time"].endswith("+00:00")


def test_lines_are_written_by_the_log_thread(
    lines_handler: tuple[JsonLinesHandler, Writes],
) -> None:
    """The caller (the event loop) queues its lines; another thread writes them, in order."""
    handler, stream = lines_handler
    alone(handler)
    for status in range(200, 210):
        access_log(method="GET", path="/graphql", status=status, duration=0.0, operation="Op")
    logging.getLogger("showgraph.test").warning("after the access lines")
    deadline = time.monotonic() + 30
    while stream.getvalue().count("\n") < 11:
        assert stream.written.wait(timeout=max(0.0, deadline - time.monotonic()))
        stream.written.clear()
    assert stream.threads == {"logs"}
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line.get("status") for line in lines[:10]] == list(range(200, 210))
    assert lines[10]["message"] == "after the access lines"


def test_the_log_thread_is_woken_by_a_burst_not_by_each_line(
    lines_handler: tuple[JsonLinesHandler, Writes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waking the writer for every line cost 13-40 µs a request (a thread switch, a write
    and a flush each); it writes on a timer instead, and at once when lines pile up."""
    handler, stream = lines_handler
    alone(handler)
    monkeypatch.setattr(logs_module, "WAKE_AT_LINES", 5)
    monkeypatch.setattr(logs_module, "WRITE_EVERY_SECONDS", 3600.0)  # no timer in this test
    handler.put("{}")  # starts the writer
    handler.flush()
    stream.truncate(0)
    stream.seek(0)
    stream.written.clear()
    stream.threads.clear()
    wakes: list[bool] = []
    real_set = handler._wake.set
    monkeypatch.setattr(handler._wake, "set", lambda: wakes.append(True) or real_set())
    for status in range(200, 204):
        access_log(method="GET", path="/graphql", status=status, duration=0.0, operation="Op")
    assert wakes == []  # four lines queued, nobody woken
    access_log(method="GET", path="/graphql", status=204, duration=0.0, operation="Op")
    assert wakes == [True]
    deadline = time.monotonic() + 30
    while stream.getvalue().count("\n") < 5:  # the woken writer writes the five
        assert stream.written.wait(timeout=max(0.0, deadline - time.monotonic()))
        stream.written.clear()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["status"] for line in lines] == list(range(200, 205))
    assert stream.threads == {"logs"}


def test_the_server_app_writes_its_access_lines_through_the_handler(
    lines_handler: tuple[JsonLinesHandler, Writes], client: TestClient
) -> None:
    handler, stream = lines_handler
    alone(handler)
    response = client.post("/graphql", json={"query": "query Version { graphVersion }"})
    handler.flush()
    [line] = [json.loads(text) for text in stream.getvalue().splitlines() if "access" in text]
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["operation"], line["status"], line["method"]) == ("Version", 200, "POST")


def _formatter_time(now: float) -> str:
    """The ``time`` JsonFormatter writes for a record made at ``now``."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.created = now
    return str(json.loads(JsonFormatter().format(record))["time"])


@TIME_PROFILE
@given(st.floats(min_value=0, max_value=2**33, allow_nan=False, allow_infinity=False))
def test_the_fast_line_time_is_the_formatters(now: float) -> None:
    """Per-second cache and per-line milliseconds: the formatter's time for any moment."""
    assert logs_module._iso_time(now) == _formatter_time(now)


@pytest.mark.parametrize(
    "now",
    [
        1_764_800_000.9999996,  # rounds up into the next second
        1_764_800_000.9994999,  # stays in the millisecond below
        1_764_800_000.0005,
        1_764_800_000.0,
        0.0,
    ],
)
def test_the_fast_line_time_at_rounding_edges(now: float) -> None:
    first = logs_module._iso_time(now)
    assert first == _formatter_time(now)
    assert logs_module._iso_time(now - 1.0) == _formatter_time(now - 1.0)  # the cache moves
    assert logs_module._iso_time(now) == first


def test_a_forked_child_writes_with_a_writer_of_its_own(tmp_path: Path) -> None:
    """Threads do not survive a fork: the child's next line starts its own writer, with a
    lock of its own (here the parent holds its lock across the fork, as its writer may),
    and the child never writes what its parent had queued."""
    path = tmp_path / "lines"
    with path.open("w") as stream:
        handler = JsonLinesHandler(stream)
        handler.put("parent")  # starts the parent's writer
        handler.flush()
        with handler._write_lock:  # the parent's writer cannot write meanwhile
            handler._lines.append("queued in the parent")
            pid = os.fork()
            if pid == 0:  # the child: report by exit status, never return into pytest
                signal.alarm(10)  # a deadlock in the child ends it (and fails the test)
                try:
                    handler.put("child")
                    alive = handler._writer is not None and handler._writer.is_alive()
                    handler.flush()
                    os._exit(0 if alive else 1)
                finally:
                    os._exit(2)
            _, status = os.waitpid(pid, 0)
            handler._lines.clear()
    assert os.waitstatus_to_exitcode(status) == 0
    assert path.read_text().splitlines() == ["parent", "child"]
