"""Rate limiting: a token bucket per client counting query cost, with headers on every answer."""

from __future__ import annotations

import ipaddress
from functools import partial

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from graph_data import ShowGraph
from server.app import create_app
from server.ratelimit import TokenBuckets, client_address, client_key, parse_networks
from server.settings import Settings

QUERY = "{ episodes(first: 10) { nodes { title } } }"  # costs 12: 10 of the 16 episodes
HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_takes_refuses_and_refills() -> None:
    clock = Clock()
    buckets = TokenBuckets(burst=10, per_second=2, clock=clock)
    first = buckets.take("a", 3)
    assert (first.allowed, first.remaining, first.reset) == (True, 7, 2)
    refused = buckets.take("a", 8)
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 7, 1)
    assert refused.headers()["Retry-After"] == "1"
    clock.now += 0.5
    assert buckets.take("a", 8).allowed  # 7 + 1 regained
    assert buckets.take("b", 10).allowed  # every client has its own bucket
    clock.now += 3600
    assert buckets.take("a", 1).remaining == 9  # never more than the burst


def test_bucket_forgets_the_least_recent_clients() -> None:
    buckets = TokenBuckets(burst=5, per_second=1, clock=Clock(), max_clients=2)
    buckets.take("a", 5)
    buckets.take("b", 1)
    buckets.take("c", 1)  # "a" is forgotten: a full bucket again
    assert buckets.take("a", 5).allowed


TRUSTED = parse_networks(["10.0.0.0/8", "192.0.2.7"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", [], "203.0.113.9"),
        # A client talking to us directly cannot claim another address.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # Through a trusted proxy: the address it forwarded for.
        ("10.1.2.3", ["198.51.100.1"], "198.51.100.1"),
        # Through two trusted proxies, whatever the client put in front.
        ("192.0.2.7", ["6.6.6.6, 198.51.100.1, 10.9.9.9"], "198.51.100.1"),
        ("192.0.2.7", ["6.6.6.6, 198.51.100.1", "10.9.9.9"], "198.51.100.1"),
        # A trusted proxy that forwarded nothing is the client.
        ("10.1.2.3", [], "10.1.2.3"),
        ("2001:db8::1", ["198.51.100.1"], "2001:db8::1"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], client: str) -> None:
    assert client_address(peer, forwarded, TRUSTED) == client


def test_a_token_name_counts_instead_of_the_address() -> None:
    request = Request({"type": "http", "headers": [], "client": ("10.0.0.1", 1), "state": {}})
    assert client_key(request, TRUSTED) == "ip:10.0.0.1"
    request.state.token_name = "reporting-app"
    assert client_key(request, TRUSTED) == "token:reporting-app"
    assert ipaddress.ip_address("10.0.0.1") in TRUSTED[0]


@pytest.fixture
def limited(graph: ShowGraph, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    # The buckets read a clock that stands still, so no point comes back while a
    # slow machine runs the test and the figures in the answers are exact.
    monkeypatch.setattr("server.app.TokenBuckets", partial(TokenBuckets, clock=Clock()))
    settings = Settings(
        rate_limit=True, rate_limit_burst=100, rate_limit_per_second=0.001, max_cost=100
    )
    return TestClient(create_app(settings, graph=graph), client=("203.0.113.9", 4000))


def test_queries_are_charged_their_cost_until_refused(limited: TestClient) -> None:
    remaining = []
    for _ in range(8):  # 8 x 12 = 96 of 100
        response = limited.post("/graphql", json={"query": QUERY})
        assert response.status_code == 200
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == [100 - 12 * n for n in range(1, 9)]

    refused = limited.post("/graphql", json={"query": QUERY})
    assert refused.status_code == 429
    assert refused.json() == {
        "errors": [
            {
                "message": "Rate limit exceeded: this request costs 12 and 3 of 100 points are "
                "left; retry in 8000 seconds.",
                "extensions": {
                    "code": "RATE_LIMITED",
                    "limit": 100,
                    "setting": "SHOWGRAPH_RATE_LIMIT_BURST",
                    "cost": 12,
                    "retryAfter": 8000,
                },
            }
        ]
    }
    assert refused.headers["retry-after"] == "8000"
    assert refused.headers["x-ratelimit-limit"] == "100"
    # A cheaper query still fits in what is left.
    assert limited.post("/graphql", json={"query": "{ __typename }"}).status_code == 200


def test_every_request_costs_at_least_one(limited: TestClient) -> None:
    for expected in (99, 98, 97):
        response = limited.post(
            "/graphql", content="{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.headers["x-ratelimit-remaining"] == str(expected)
    page = limited.get("/graphql", headers={"accept": "text/html"})
    assert page.headers["x-ratelimit-remaining"] == "96"


def test_an_empty_bucket_refuses_before_reading_the_request(limited: TestClient) -> None:
    malformed = {"content": "{", "headers": {"content-type": "application/json"}}
    for _ in range(100):
        assert limited.post("/graphql", **malformed).status_code == 400  # type: ignore[arg-type]
    empty = limited.post("/graphql", **malformed)  # type: ignore[arg-type]
    assert empty.status_code == 429  # not 400: the body was never looked at
    assert empty.json()["errors"][0]["extensions"]["cost"] == 1
    assert empty.headers["x-ratelimit-remaining"] == "0"
    assert int(empty.headers["retry-after"]) >= 1


def test_clients_are_counted_apart(graph: ShowGraph) -> None:
    settings = Settings(
        rate_limit=True, rate_limit_burst=100, rate_limit_per_second=0.001, max_cost=100
    )
    app = create_app(settings, graph=graph)
    one, two = (TestClient(app, client=(ip, 1)) for ip in ("203.0.113.1", "203.0.113.2"))
    for _ in range(8):
        one.post("/graphql", json={"query": QUERY})
    assert one.post("/graphql", json={"query": QUERY}).status_code == 429
    assert two.post("/graphql", json={"query": QUERY}).status_code == 200


def test_behind_a_trusted_proxy_clients_are_told_apart(graph: ShowGraph) -> None:
    settings = Settings(
        rate_limit=True,
        rate_limit_burst=100,
        rate_limit_per_second=0.001,
        max_cost=100,
        trusted_proxies=("10.0.0.0/8",),
    )
    proxy = TestClient(create_app(settings, graph=graph), client=("10.0.0.5", 1))
    for _ in range(8):
        proxy.post("/graphql", json={"query": QUERY}, headers={"x-forwarded-for": "198.51.100.1"})
    refused = proxy.post(
        "/graphql", json={"query": QUERY}, headers={"x-forwarded-for": "198.51.100.1"}
    )
    assert refused.status_code == 429
    other = proxy.post(
        "/graphql", json={"query": QUERY}, headers={"x-forwarded-for": "198.51.100.2"}
    )
    assert other.status_code == 200


def test_off_by_default(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": QUERY})
    assert not any(header in response.headers for header in HEADERS)
