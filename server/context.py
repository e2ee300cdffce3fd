"""The resolvers' Context plus what the HTTP layer knows about one request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLError

from schema.context import Context


@dataclass(slots=True)
class RequestContext(Context):
    """Per-request context for HTTP requests.

    ``operation_name`` is as the client sent it (Strawberry fills in the first
    operation's name when it is missing, which hides a missing name).
    ``charge`` takes a query's cost from the client's rate-limit bucket and
    returns the refusal when the bucket is short; ``cost`` is the cost
    estimated before execution.
    """

    operation_name: str | None = None
    charge: Callable[[int], GraphQLError | None] | None = None
    cost: int | None = None
