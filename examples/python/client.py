#!/usr/bin/env python3
"""showgraph from Python: a traversal, a paginated listing and a live subscription.

Usage::

    python examples/python/client.py [URL] [--token TOKEN] [--wait SECONDS]

URL is the server (default: ``$SHOWGRAPH_URL``, else http://127.0.0.1:8000);
the GraphQL endpoint is ``URL/graphql`` unless URL already ends in
``/graphql``. The token (default: ``$SHOWGRAPH_TOKEN``; prefer the variable,
since a command line is visible to other users of the machine) is only needed
for step 3 to write something itself.

1. A traversal: every actor, the characters they play, and the episodes of
   each portrayal, in one query.
2. A paginated listing: the characters two at a time, following
   ``pageInfo.endCursor`` until ``hasNextPage`` is false.
3. A subscription to ``graphChanged`` over WebSocket (the graphql-transport-ws
   protocol), printing the first change. With a token, the example makes that
   change itself: it records a new USER_EDIT source. Without one, it waits up
   to ``--wait`` seconds for somebody else's.

Needs ``httpx`` and ``websockets`` (``pip install httpx websockets``). Exits 0
when every step worked, 1 when the server refused something (the message is
printed), 2 on a bad command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
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


def websocket_url(endpoint: str) -> str:
    """The endpoint with ws:// for http:// and wss:// for https://."""
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(scheme="wss" if parts.scheme == "https" else "ws"))


async def watch(client: Client, wait: float) -> bool:
    """Step 3: subscribe, make (or wait for) a change, print the first event.

    False when no change came within ``wait`` seconds although we made one.
    """
    print("== Subscription: graphChanged")
    url = websocket_url(client.endpoint)
    async with connect(url, subprotocols=[PROTOCOL], open_timeout=10) as socket:
        await send(socket, {"type": "connection_init", "payload": {}})
        await expect(socket, "connection_ack")
        await send(socket, {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        # graphql-transport-ws does not acknowledge a subscribe. The server
        # handles messages in order, so once the pong is back it has started
        # the subscription and a change made now will reach it.
        await send(socket, {"type": "ping"})
        await expect(socket, "pong")
        print(f"subscribed at {url}")

        if client.token:
            title = f"showgraph example client, {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
            # In a thread, so that the socket keeps answering pings meanwhile.
            data = await asyncio.to_thread(client.execute, MUTATION, {"title": title}, write=True)
            payload = data["createSource"]
            if payload["userErrors"]:
                raise GraphQLError("; ".join(e["message"] for e in payload["userErrors"]))
            print(f'wrote: source "{title}" (graph version {payload["graphVersion"]})')
        else:
            print(f"no token: waiting up to {wait:g} s for somebody else's change")

        try:
            event = (await asyncio.wait_for(next_event(socket, "1"), wait))["graphChanged"]
        except TimeoutError:
            print(f"no change within {wait:g} s")
            return client.token is None
        await send(socket, {"id": "1", "type": "complete"})

    changed = ", ".join(f"{node['kind']} {node['id']}" for node in event["changed"])
    print(
        f'event: graph version {event["graphVersion"]}, "{event["summary"]}" '
        f"by {event['writer']}; changed {changed}"
    )
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
        received = asyncio.run(watch(client, args.wait))
    except (GraphQLError, httpx.HTTPError, WebSocketException, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if received else 1


if __name__ == "__main__":
    sys.exit(main())
