"""Rate limiting: a token bucket per client, counting query cost.

A client's bucket holds at most ``burst`` points and regains ``per_second``
points each second. Every request takes 1 point when it arrives, so a flood of
requests that never run (malformed, invalid) still drains it; a query that is
about to run takes the rest of its cost (``server.cost``) first, and is refused
with 429 when the bucket is short. Every response says where the client
stands: ``X-RateLimit-Limit`` (the burst), ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (seconds until the bucket is full again), plus
``Retry-After`` on a 429.

A client is who the request comes from: the token name an authentication
layer stored in ``request.state.token_name`` when there is one, else the peer
address, or the address a trusted proxy says it forwarded for.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from graphql import GraphQLError
from starlette.requests import Request

from server.settings import PREFIX

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Clients remembered at once; the least recently seen are forgotten first
# (forgetting a client refills its bucket, which only errs on its side).
MAX_CLIENTS = 100_000


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of taking points from a bucket, and the bucket's state after it."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int  # seconds until the refused amount would be there; 0 when allowed

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimitedError(GraphQLError):
    """A request refused because the client's bucket is short."""

    def __init__(self, cost: int, decision: Decision) -> None:
        super().__init__(
            f"Rate limit exceeded: this request costs {cost} and {decision.remaining} of "
            f"{decision.limit} points are left; retry in {decision.retry_after} seconds.",
            extensions={
                "code": "RATE_LIMITED",
                "limit": decision.limit,
                "setting": PREFIX + "RATE_LIMIT_BURST",
                "cost": cost,
                "retryAfter": decision.retry_after,
            },
        )


class TokenBuckets:
    """Thread-safe token buckets keyed by client; the clock is injectable for tests."""

    def __init__(
        self,
        burst: int,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at
        self._lock = threading.Lock()

    def take(self, key: str, amount: int) -> Decision:
        """Take ``amount`` points from ``key``'s bucket if it holds them; never partly."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            allowed = tokens >= amount
            if allowed:
                tokens -= amount
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return Decision(
            allowed=allowed,
            limit=self.burst,
            remaining=math.floor(tokens),
            reset=math.ceil((self.burst - tokens) / self.per_second),
            retry_after=0 if allowed else math.ceil((amount - tokens) / self.per_second),
        )

    def give(self, key: str, amount: int) -> Decision:
        """Put ``amount`` points back into ``key``'s bucket, never above the burst."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second + amount)
            self._buckets[key] = (tokens, now)
        return Decision(
            allowed=True,
            limit=self.burst,
            remaining=math.floor(tokens),
            reset=math.ceil((self.burst - tokens) / self.per_second),
            retry_after=0,
        )


class RequestBudget:
    """One request's dealings with its client's bucket: 1 point now, the rest before running."""

    def __init__(self, buckets: TokenBuckets, key: str) -> None:
        self.buckets = buckets
        self.key = key
        self.decision = buckets.take(key, 1)
        self.refusal: RateLimitedError | None = (
            None if self.decision.allowed else RateLimitedError(1, self.decision)
        )

    def charge(self, cost: int) -> GraphQLError | None:
        """Take the rest of a query's ``cost``; the refusal to answer with when short."""
        if cost <= 1:
            return None
        decision = self.buckets.take(self.key, cost - 1)
        self.decision = decision
        if not decision.allowed:
            self.refusal = RateLimitedError(cost, decision)
        return self.refusal

    def refund(self, amount: int) -> None:
        """Give back what a query was charged beyond what it cost (the estimate's excess)."""
        if amount > 0:
            self.decision = self.buckets.give(self.key, amount)


def parse_networks(addresses: Sequence[str]) -> tuple[IPNetwork, ...]:
    """Trusted proxies as networks; a bare address is a network of one."""
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def client_key(request: Request, trusted_proxies: Sequence[IPNetwork]) -> str:
    """Who the request counts against: a token name if authenticated, else an address."""
    token_name = getattr(request.state, "token_name", None)
    if token_name:
        return f"token:{token_name}"
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.getlist("x-forwarded-for")
    return "ip:" + client_address(peer, forwarded, trusted_proxies)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]) -> str:
    """The client's address, believing X-Forwarded-For only as far as trusted proxies go.

    Walks from the peer back through the forwarded-for chain (right to left);
    the first hop that is not a trusted proxy is the client. A forged header
    from a client talking to us directly is ignored, since the peer itself is
    not trusted.
    """
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    address = peer
    while _is_trusted(address, trusted) and hops:
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
