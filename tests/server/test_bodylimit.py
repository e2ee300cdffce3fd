"""The body size limit: 413 above 1 MiB, decided while the body arrives."""

from __future__ import annotations

import socket
from typing import Any

import anyio
import httpx
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from server.bodylimit import BodySizeLimit
from tests.server.conftest import LiveServer

MIB = 1024 * 1024
CHUNK = 64 * 1024
MESSAGE = (
    "Body size limit exceeded: the request body is larger than 1048576 bytes; "
    "the limit is 1048576 bytes."
)


def test_a_50_mb_body_is_refused(client: TestClient) -> None:
    body = b'{"query": "{ __typename }", "pad": "' + b"x" * (50 * MIB) + b'"}'
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": MESSAGE,
                "extensions": {
                    "code": "LIMIT_EXCEEDED",
                    "limit": MIB,
                    "setting": "SHOWGRAPH_MAX_BODY_BYTES",
                },
            }
        ]
    }
    normal = client.post("/graphql", json={"query": "{ actors { totalCount } }"})
    assert normal.json()["data"] == {"actors": {"totalCount": 6}}


def test_a_body_just_under_the_limit_is_read(client: TestClient) -> None:
    padding = " " * (MIB - 100)
    body = f'{{"query": "{{ __typename }}"{padding}}}'
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.json()["data"] == {"__typename": "Query"}


class Reader:
    """An app that reads the whole body, like the GraphQL endpoint does."""

    def __init__(self) -> None:
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})


def run(app: Any, headers: list[tuple[bytes, bytes]], endless: bool) -> tuple[int, list[Message]]:
    """Drive ``app`` with a body of 64 KiB chunks; returns chunks pulled and messages sent."""
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": endless}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}
    anyio.run(app, scope, receive, send)
    return pulled, sent


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    # No Content-Length and a body that never ends: reading stops right after 1 MiB.
    pulled, sent = run(BodySizeLimit(Reader(), MIB), [], endless=True)
    assert pulled == MIB // CHUNK + 1
    assert sent[0]["status"] == 413


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    reader = Reader()
    pulled, sent = run(
        BodySizeLimit(reader, MIB), [(b"content-length", str(50 * MIB).encode())], endless=True
    )
    assert (pulled, reader.called, sent[0]["status"]) == (0, False, 413)


def test_small_bodies_pass() -> None:
    pulled, sent = run(BodySizeLimit(Reader(), MIB), [], endless=False)
    assert (pulled, sent[0]["status"], sent[1]["body"]) == (1, 200, b"read it all")


def raw_request(server: LiveServer, head: str, body: bytes) -> bytes:
    """Send a request head and part of a body, then read what the server answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:  # the server closed with our bytes unread: keep the answer
            pass
        return answer


def test_live_a_declared_50_mb_body_is_refused_before_it_is_sent(live_server: LiveServer) -> None:
    head = (
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {50 * MIB}\r\n\r\n"
    )
    answer = raw_request(live_server, head, b"")  # the body is never sent
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert MESSAGE.encode() in answer
    normal = httpx.post(
        f"{live_server.url}/graphql", json={"query": "{ actors { totalCount } }"}, timeout=5
    )
    assert normal.json()["data"] == {"actors": {"totalCount": 6}}


def test_live_a_chunked_body_is_refused_once_past_the_limit(live_server: LiveServer) -> None:
    head = (
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n"
    # Just past 1 MiB, and no last chunk: the body never ends, yet the answer comes.
    answer = raw_request(live_server, head, chunk * (MIB // CHUNK + 1))
    assert answer.startswith(b"HTTP/1.1 413 ")
    normal = httpx.post(
        f"{live_server.url}/graphql", json={"query": "{ actors { totalCount } }"}, timeout=5
    )
    assert normal.json()["data"] == {"actors": {"totalCount": 6}}
