#!/usr/bin/env python3
"""showgraph from Python: a traversal, a listing, a persisted query and live subscriptions.

Usage::

    python examples/python/client.py [URL] [--token TOKEN] [--wait SECONDS]

URL is the server (default: ``$SHOWGRAPH_URL``, else http://127.0.0.1:8000);
the GraphQL endpoint is ``URL/graphql`` unless URL already ends in
``/graphql``. The token (default: ``$SHOWGRAPH_TOKEN``; prefer the variable,
since a command line is visible to other users of the machine) is only needed
for steps 4 and 5 to write something themselves.

1. A traversal: every actor, the characters they play, and the episodes of
   each portrayal, in one query.
2. A paginated listing: the characters two at a time, following
   ``pageInfo.endCursor`` until ``hasNextPage`` is false.
3. An automatic persisted query (Apollo's APQ): the query's sha256 alone
   (unknown at first), then with its text (the server learns it), then the
   hash alone again, over GET.
4. A subscription to ``graphChanged`` over WebSocket (the graphql-transport-ws
   protocol), printing the first change. With a token, the example makes that
   change itself: it records a new USER_EDIT source. Without one, it waits up
   to ``--wait`` seconds for somebody else's.
5. The same subscription over Server-Sent Events (graphql-sse's distinct
   connections mode: a POST with ``Accept: text/event-stream``).

Needs ``httpx`` and ``websockets`` (``pip install httpx websockets``). Exits 0
when every step worked, 1 when the server refused something (the message is
printed), 2 on a bad command line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

TRAVERSAL = """
query Traversal {
  actors(first: 10) {
    nodes {
      name
      portrayals {
        role
        character { name }
        episodes { number title season { number } }
      }
    }
  }
}
"""

# `after` is null for the first page, then the previous page's endCursor.
CHARACTER_PAGE = """
query CharacterPage($after: String) {
  characters(first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name }
  }
}
"""

SUBSCRIPTION = """
subscription Changes {
  graphChanged { graphVersion writer summary changed { id kind } }
}
"""

# A source records where facts come from; this one only says the example ran.
MUTATION = """
mutation Note($title: String!) {
  createSource(input: {fields: {title: $title, kind: USER_EDIT}}) {
    node { id }
    userErrors { field message }
    graphVersion
  }
}
"""

PROTOCOL = Subprotocol("graphql-transport-ws")


class GraphQLError(Exception):
    """The server refused a request; the message is its own explanation."""


class Client:
    """POSTs GraphQL to one endpoint; sends the token with writes only."""

    def __init__(self, endpoint: str, token: str | None) -> None:
        self.endpoint = endpoint
        self.token = token
        self.http = httpx.Client(timeout=30)

    def auth(self) -> dict[str, str]:
        """The Authorization header, when there is a token (for writes and subscriptions)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, write: bool = False
    ) -> Any:
        """``data`` of the answer; GraphQLError with the server's messages otherwise."""
        headers = {"Accept": "application/graphql-response+json, application/json"}
        if write and self.token:
            # Reads are public: the token travels only when it is needed.
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.http.post(
            self.endpoint, json={"query": query, "variables": variables or {}}, headers=headers
        )
        try:
            body = response.json()
        except ValueError:
            raise GraphQLError(f"HTTP {response.status_code} without a JSON body") from None
        if body.get("errors"):
            messages = "; ".join(error["message"] for error in body["errors"])
            raise GraphQLError(f"HTTP {response.status_code}: {messages}")
        if response.is_error:
            raise GraphQLError(f"HTTP {response.status_code}")
        return body["data"]


def traverse(client: Client) -> None:
    """Step 1: actor -> portrayals -> character -> episodes, in one round trip."""
    print("== Traversal: actors -> portrayals -> character -> episodes")
    for actor in client.execute(TRAVERSAL)["actors"]["nodes"]:
        for portrayal in actor["portrayals"]:
            episodes = portrayal["episodes"]
            line = (
                f"{actor['name']} plays {portrayal['character']['name']} "
                f"({portrayal['role']}) in {len(episodes)} "
                f"episode{'' if len(episodes) == 1 else 's'}"
            )
            if episodes:
                line += ": " + ", ".join(
                    f'S{e["season"]["number"]}E{e["number"]} "{e["title"]}"' for e in episodes
                )
            print(line)


def list_characters(client: Client) -> None:
    """Step 2: a connection, two items a page, until there is no next page."""
    print("== Paginated listing: characters, 2 a page")
    after: str | None = None
    pages = seen = 0
    total = 0
    while True:
        connection = client.execute(CHARACTER_PAGE, {"after": after})["characters"]
        pages += 1
        seen += len(connection["nodes"])
        total = connection["totalCount"]
        print(f"page {pages}: {', '.join(node['name'] for node in connection['nodes'])}")
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    print(f"{seen} of {total} characters in {pages} pages")


async def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    await socket.send(json.dumps(message))


async def receive(socket: ClientConnection) -> dict[str, Any]:
    """The next message, answering the server's keep-alive pings on the way."""
    while True:
        message: dict[str, Any] = json.loads(await socket.recv())
        if message["type"] == "ping":
            await send(socket, {"type": "pong"})
            continue
        return message


async def expect(socket: ClientConnection, kind: str) -> dict[str, Any]:
    message = await receive(socket)
    if message["type"] != kind:
        raise GraphQLError(f"expected {kind!r} from the server, got {message}")
    return message


async def next_event(socket: ClientConnection, operation_id: str) -> dict[str, Any]:
    """The next result of the subscription ``operation_id``."""
    while True:
        message = await receive(socket)
        if message.get("id") != operation_id:
            continue
        if message["type"] == "next":
            payload = message["payload"]
            if payload.get("errors"):
                raise GraphQLError("; ".join(e["message"] for e in payload["errors"]))
            data: dict[str, Any] = payload["data"]
            return data
        if message["type"] == "error":
            raise GraphQLError("; ".join(e["message"] for e in message["payload"]))
        raise GraphQLError("the server ended the subscription")


def persisted_query(client: Client) -> None:
    """Step 3: a query by its sha256 hash, as Apollo's persisted-queries link sends it."""
    print("== Persisted query: by hash, then with its text, then by hash over GET")
    # A comment makes this run's document (and hash) its own, so the first ask is unknown.
    query = f"query PersistedActors {{ actors {{ totalCount }} }} # run {uuid.uuid4()}"
    extensions = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    unknown = client.http.post(client.endpoint, json={"extensions": extensions}).json()
    print(f"by hash: {unknown['errors'][0]['message']}")
    learnt = client.http.post(client.endpoint, json={"query": query, "extensions": extensions})
    print(f"with its text: {learnt.json()['data']['actors']['totalCount']} actors")
    again = client.http.get(client.endpoint, params={"extensions": json.dumps(extensions)})
    if again.json().get("errors"):
        raise GraphQLError("; ".join(e["message"] for e in again.json()["errors"]))
    print(f"by hash over GET: {again.json()['data']['actors']['totalCount']} actors")


def write_note(client: Client) -> None:
    """The change a subscription will see: a new USER_EDIT source."""
    title = f"showgraph example client, {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
    data = client.execute(MUTATION, {"title": title}, write=True)
    payload = data["createSource"]
    if payload["userErrors"]:
        raise GraphQLError("; ".join(e["message"] for e in payload["userErrors"]))
    print(f'wrote: source "{title}" (graph version {payload["graphVersion"]})')


def print_event(event: dict[str, Any]) -> None:
    changed = ", ".join(f"{node['kind']} {node['id']}" for node in event["changed"])
    print(
        f'event: graph version {event["graphVersion"]}, "{event["summary"]}" '
        f"by {event['writer']}; changed {changed}"
    )


def watch_events(client: Client, wait: float) -> bool:
    """Step 5: the subscription over Server-Sent Events, with plain httpx.

    The server sends the response's headers once the subscription listens, so
    a change made after they arrive reaches it. Each result is an
    ``event: next`` whose ``data`` line is the JSON result; lines starting
    with ``:`` are keep-alive comments.
    """
    print("== Subscription over Server-Sent Events: graphChanged")
    headers = {"Accept": "text/event-stream", **client.auth()}
    body = {"query": SUBSCRIPTION}
    deadline = time.monotonic() + wait
    with client.http.stream(
        "POST", client.endpoint, json=body, headers=headers, timeout=httpx.Timeout(30, read=wait)
    ) as stream:
        if stream.status_code != 200:
            raise GraphQLError(f"HTTP {stream.status_code}: {stream.read().decode()}")
        print(f"subscribed at {client.endpoint} (text/event-stream)")
        if client.token:
            write_note(client)
        else:
            print(f"no token: waiting up to {wait:g} s for somebody else's change")
        event = None
        try:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    result = json.loads(line[len("data: ") :])
                    if result.get("errors"):
                        raise GraphQLError("; ".join(e["message"] for e in result["errors"]))
                    event = result["data"]["graphChanged"]
                    break
                if time.monotonic() > deadline:
                    break
        except httpx.ReadTimeout:
            pass
    if event is None:
        print(f"no change within {wait:g} s")
        return client.token is None
    print_event(event)
    return True


def websocket_url(endpoint: str) -> str:
    """The endpoint with ws:// for http:// and wss:// for https://."""
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(scheme="wss" if parts.scheme == "https" else "ws"))


async def watch(client: Client, wait: float) -> bool:
    """Step 4: subscribe, make (or wait for) a change, print the first event.

    False when no change came within ``wait`` seconds although we made one.
    """
    print("== Subscription over WebSocket: graphChanged")
    url = websocket_url(client.endpoint)
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as socket:
        # With a token the events say who made each change (writers are shown only
        # to readers with one, unless the server shows them to everyone).
        await send(socket, {"type": "connection_init", "payload": client.auth()})
        await expect(socket, "connection_ack")
        await send(socket, {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        # graphql-transport-ws does not acknowledge a subscribe. The server
        # handles messages in order, so once the pong is back it has started
        # the subscription and a change made now will reach it.
        await send(socket, {"type": "ping"})
        await expect(socket, "pong")
        print(f"subscribed at {url}")

        if client.token:
            # In a thread, so that the socket keeps answering pings meanwhile.
            await asyncio.to_thread(write_note, client)
        else:
            print(f"no token: waiting up to {wait:g} s for somebody else's change")

        try:
            event = (await asyncio.wait_for(next_event(socket, "1"), wait))["graphChanged"]
        except TimeoutError:
            print(f"no change within {wait:g} s")
            return client.token is None
        await send(socket, {"id": "1", "type": "complete"})

    print_event(event)
    return True


def endpoint_of(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/graphql") else f"{url}/graphql"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "url",
        nargs="?",
        default=os.environ.get("SHOWGRAPH_URL", "http://127.0.0.1:8000"),
        help="the server (default: $SHOWGRAPH_URL or http://127.0.0.1:8000)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("SHOWGRAPH_TOKEN") or None,
        help="bearer token for the write in step 3 (default: $SHOWGRAPH_TOKEN)",
    )
    parser.add_argument(
        "--wait", type=float, default=10.0, help="seconds to wait for a change (default 10)"
    )
    args = parser.parse_args(argv)

    client = Client(endpoint_of(args.url), args.token)
    try:
        traverse(client)
        list_characters(client)
        persisted_query(client)
        received = asyncio.run(watch(client, args.wait))
        received = watch_events(client, args.wait) and received
    except (GraphQLError, httpx.HTTPError, WebSocketException, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if received else 1


if __name__ == "__main__":
    sys.exit(main())
