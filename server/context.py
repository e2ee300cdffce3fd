"""The resolvers' Context plus what the HTTP layer knows about one request."""

from __future__ import annotations

from dataclasses import dataclass

from schema.context import Context


@dataclass(slots=True)
class RequestContext(Context):
    """Per-request context for HTTP requests.

    ``operation_name`` is as the client sent it.
    """

    operation_name: str | None = None
