"""Turning GraphQL errors into response entries, masking anything unexpected.

Validation errors and ``UserError`` describe the request and are shown as they
are. Any other exception is a fault of ours: the client gets a generic message
and an error id, and the log gets the same id with the stack trace, so no
exception text, class name or path ever reaches a client.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import ExecutionResult, GraphQLError

logger = logging.getLogger("showgraph.errors")

MASKED_MESSAGE = "Internal server error"


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors raised by a fault in our code rather than by the request."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The response entry for one error; unexpected ones are logged and masked."""
    if not is_unexpected(error):
        return error.formatted  # type: ignore[return-value]
    assert error.original_error is not None  # is_unexpected says so
    entry = masked_entry(error.original_error, f"at {error.path}")
    if error.locations:
        entry["locations"] = [loc.formatted for loc in error.locations]
    if error.path:
        entry["path"] = error.path
    return entry


def masked_entry(exception: BaseException, where: str) -> dict[str, Any]:
    """Log ``exception`` with its stack under a new id; the entry the client gets instead."""
    error_id = uuid.uuid4().hex
    logger.error(
        "unexpected error %s %s",
        error_id,
        where,
        exc_info=(type(exception), exception, exception.__traceback__),
    )
    return {
        "message": MASKED_MESSAGE,
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    }


def result_body(result: ExecutionResult) -> dict[str, Any]:
    """A result as a client gets it, in any transport: its errors formatted (and masked)."""
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(error) for error in result.errors]
    body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body
