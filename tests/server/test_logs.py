"""Structured logs: request ids, JSON lines, the access line, and no token ever logged."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.logs import JsonFormatter, log_config, new_request_id, valid_request_id
from server.settings import Settings
from tests.server.conftest import LiveServer

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
        output = server.output()  # the access line is written before the answer is sent
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
