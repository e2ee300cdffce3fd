"""Errors meant for the client, as opposed to bugs, which are masked.

A resolver raises ``UserError`` when the request itself is wrong (a page too
large, a malformed id); its message is shown as written and says what to change.
Any other exception is a fault of ours and reaches the client only as a
generic message with an error id (see ``server.errors``).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class UserError(GraphQLError):
    """A mistake in the request, reported to the client with a BAD_USER_INPUT code."""

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT", **extensions})
