"""The client examples, run as a user would run them, against a real server with writes on.

Each example (Python and Node.js) does a traversal, a paginated listing, an
APQ round trip and a ``graphChanged`` subscription over WebSocket and over
Server-Sent Events; with a token it makes a change itself for each and must
print the event for it. The server is ``showgraph serve`` with a
token in ``SHOWGRAPH_TOKENS`` and a throw-away ``--data-dir``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import LiveServer, free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TOKEN = "examples-token-0123456789abcdef"
WRITER = "examples"
LANGUAGES = ["python", "javascript"]

TRAVERSAL = [
    "== Traversal: actors -> portrayals -> character -> episodes",
    "Corinna Brown plays Tara (MAIN) in 0 episodes",
    'Joe Locke plays Charlie Spring (MAIN) in 1 episode: S2E1 "Out"',
    'Kit Connor plays Nick Nelson (MAIN) in 1 episode: S2E1 "Out"',
    "Kizzy Edgell plays Darcy (MAIN) in 0 episodes",
    "William Gao plays Tao (MAIN) in 0 episodes",
    "Yasmin Finney plays Elle (MAIN) in 0 episodes",
]
LISTING = [
    "== Paginated listing: characters, 2 a page",
    "page 1: Charlie Spring, Darcy",
    "page 2: Elle, Nick Nelson",
    "page 3: Tao, Tara",
    "6 of 6 characters in 3 pages",
]
PERSISTED = [
    "== Persisted query: by hash, then with its text, then by hash over GET",
    "by hash: PersistedQueryNotFound",
    "with its text: 6 actors",
    "by hash over GET: 6 actors",
]
READS = TRAVERSAL + LISTING + PERSISTED
WROTE = re.compile(r'^wrote: source "(?P<title>[^"]+)" \(graph version (?P<version>\d+)\)$')
EVENT = re.compile(
    r'^event: graph version (?P<version>\d+), "create source" by (?P<writer>\S+); '
    r"changed SOURCE (?P<id>\S+)$"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that takes writes from the token TOKEN, into a fresh data directory."""
    data_dir = tmp_path_factory.mktemp("data")
    live = LiveServer("--data-dir", str(data_dir), env={"SHOWGRAPH_TOKENS": f"{WRITER}={TOKEN}"})
    try:
        live.wait_ready()
        yield live
    finally:
        live.stop()


def command(language: str) -> list[str]:
    if language == "python":
        return [sys.executable, str(EXAMPLES / "python" / "client.py")]
    node = shutil.which("node")
    if node is None:
        pytest.fail("the JavaScript example needs Node.js 20 or newer", pytrace=False)
    if not (EXAMPLES / "javascript" / "node_modules" / "ws").is_dir():
        pytest.fail(
            "the JavaScript example's packages are missing: run "
            "`npm ci --prefix examples/javascript` (scripts/test.sh does)",
            pytrace=False,
        )
    return [node, str(EXAMPLES / "javascript" / "client.mjs")]


def run_example(
    language: str, url: str, token: str | None, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run one example like a user: URL on the command line, the token in SHOWGRAPH_TOKEN."""
    env = {k: v for k, v in os.environ.items() if k not in ("SHOWGRAPH_TOKEN", "SHOWGRAPH_URL")}
    if token is not None:
        env["SHOWGRAPH_TOKEN"] = token
    return subprocess.run(
        [*command(language), url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def decode(global_id: str) -> str:
    return base64.b64decode(global_id).decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_example_traverses_pages_and_prints_the_change_it_made(
    server: LiveServer, language: str
) -> None:
    result = run_example(language, server.url, TOKEN, "--wait", "30")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[: len(READS)] == READS
    over_socket = lines[len(READS) : len(READS) + 4]
    over_events = lines[len(READS) + 4 :]
    assert over_socket[:2] == [
        "== Subscription over WebSocket: graphChanged",
        f"subscribed at ws://127.0.0.1:{server.port}/graphql",
    ]
    assert over_events[:2] == [
        "== Subscription over Server-Sent Events: graphChanged",
        f"subscribed at {server.url}/graphql (text/event-stream)",
    ]
    assert len(over_events) == 4, over_events
    for subscription in (over_socket, over_events):
        check_event_of_own_write(server, subscription)


def check_event_of_own_write(server: LiveServer, subscription: list[str]) -> None:
    """The event printed is the change the example made: same version, our writer, a source."""
    wrote = WROTE.match(subscription[2])
    event = EVENT.match(subscription[3])
    assert wrote is not None, subscription[2]
    assert event is not None, subscription[3]
    assert event["version"] == wrote["version"]
    assert event["writer"] == WRITER
    assert decode(event["id"]).startswith("Source:")
    answer = httpx.post(
        f"{server.url}/graphql",
        json={
            "query": "query($id: ID!) { node(id: $id) { ... on Source { title kind } } }",
            "variables": {"id": event["id"]},
        },
    ).json()
    assert answer["data"] == {"node": {"title": wrote["title"], "kind": "USER_EDIT"}}


@pytest.mark.parametrize("language", LANGUAGES)
def test_example_without_a_token_only_reads_and_waits(server: LiveServer, language: str) -> None:
    version = httpx.post(f"{server.url}/graphql", json={"query": "{ graphVersion }"}).json()

    result = run_example(language, server.url, None, "--wait", "1")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[: len(READS)] == READS
    waited = [
        "no token: waiting up to 1 s for somebody else's change",
        "no change within 1 s",
    ]
    assert lines[len(READS) + 2 : len(READS) + 4] == waited  # over WebSocket
    assert lines[-2:] == waited  # over Server-Sent Events
    after = httpx.post(f"{server.url}/graphql", json={"query": "{ graphVersion }"}).json()
    assert after == version


@pytest.mark.parametrize("language", LANGUAGES)
def test_example_with_a_wrong_token_fails_with_the_servers_reason(
    server: LiveServer, language: str
) -> None:
    result = run_example(language, server.url, "not-the-token-0123456789", "--wait", "1")

    assert result.returncode == 1, result.stdout + result.stderr
    # The reads worked; the write was refused, and the example says why.
    assert result.stdout.splitlines()[: len(TRAVERSAL)] == TRAVERSAL
    assert result.stderr.startswith("error: HTTP "), result.stderr
    assert "token" in result.stderr.lower()
    assert "wrote:" not in result.stdout


@pytest.mark.parametrize("language", LANGUAGES)
def test_example_reports_an_unreachable_server(language: str) -> None:
    # A port that was free a moment ago: nothing answers; the example says so and exits 1.
    result = run_example(language, f"http://127.0.0.1:{free_port()}", None, "--wait", "1")

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: "), result.stderr
