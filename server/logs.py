"""Structured logs: one JSON object per line, each tied to the request that caused it.

Log collectors (Loki, CloudWatch, journald with a JSON parser...) index
fields, not prose, so every record is a JSON object with ``time``, ``level``,
``logger``, ``message``, the ``request_id`` and GraphQL ``operation`` of the
request being served (from context variables, so code deep in a resolver need
not pass them along) and the stack trace when there is one.

``RequestIdMiddleware`` gives every request an id: the caller's
``X-Request-ID`` when it is a sane one (a proxy or client can then follow a
request through several services), else a new one. The id is sent back in
``X-Request-ID``, so a client reporting a problem can quote it.

``access_log`` writes one line per GraphQL request. It is built from an
explicit list of fields, never from headers, so the ``Authorization`` header
and its token cannot reach the logs.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeGuard

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_HEADER_RAW = REQUEST_ID_HEADER.lower().encode()
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The request being served, for every log record made while serving it.
request_id_var: ContextVar[str | None] = ContextVar("showgraph_request_id", default=None)
operation_var: ContextVar[str | None] = ContextVar("showgraph_operation", default=None)

access_logger = logging.getLogger("showgraph.access")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message", "request_id", "operation"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (tracebacks included, escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            # Set on the record by a handler running elsewhere, else read here.
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "operation": getattr(record, "operation", None) or operation_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc_info"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return orjson.dumps(entry, default=str).decode()


def log_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: every logger, uvicorn's too, as JSON on stderr.

    Given to uvicorn as ``log_config``, so each worker process applies it at
    start-up, before the app is built; ``level`` is ``--log-level``.
    """
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": upper},
        "loggers": {
            # uvicorn's own loggers come with handlers of their own: send them to the root.
            "uvicorn": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": upper, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": upper, "propagate": True},
        },
    }


def configure_logging(level: str) -> None:
    """Apply ``log_config`` in this process (for running the app without the CLI)."""
    import logging.config

    logging.config.dictConfig(log_config(level))


# A new id is this process's random prefix and a count: unique like a uuid4 across
# processes and restarts (64 random bits), and far cheaper to make per request.
_ID_PREFIX = secrets.token_hex(8)
_ids = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):016x}"


def valid_request_id(value: str | None) -> TypeGuard[str]:
    """An id safe to echo and log: at most 64 characters of ``[A-Za-z0-9._-]``."""
    return value is not None and _VALID_REQUEST_ID.fullmatch(value) is not None


class RequestIdMiddleware:
    """Pure ASGI: an id for each request, in the context and in ``X-Request-ID``.

    Not ``BaseHTTPMiddleware``: that runs the app in another task, where
    context variables set here would not be seen, and it buffers streaming.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        with bound_request_id(scope) as request_id:
            header = (REQUEST_ID_HEADER_RAW, request_id.encode("latin-1"))

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            await self.app(scope, receive, send_with_id)


class bound_request_id:  # noqa: N801  (used like a function: ``with bound_request_id(scope)``)
    """The request's id (the caller's when sane, else a new one), in scope and context.

    Every log record made inside carries it; the caller sends it back in
    ``X-Request-ID``. A class rather than a ``@contextmanager`` generator,
    which costs a few times more on every request.
    """

    __slots__ = ("_tokens", "request_id")

    def __init__(self, scope: Scope) -> None:
        incoming = _header(scope, b"x-request-id")
        self.request_id = incoming if valid_request_id(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = self.request_id

    def __enter__(self) -> str:
        self._tokens = (request_id_var.set(self.request_id), operation_var.set(None))
        return self.request_id

    def __exit__(self, *exc_info: object) -> None:
        id_token, operation_token = self._tokens
        operation_var.reset(operation_token)
        request_id_var.reset(id_token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:  # ASGI servers give header names in lower case
            return bytes(value).decode("latin-1")
    return None


def access_log(*, method: str, path: str, status: int, duration: float, operation: str) -> None:
    """The one access line of a GraphQL request: these fields only, never headers."""
    if not access_logger.isEnabledFor(logging.INFO):
        return  # spare building the record's fields
    access_logger.info(
        "%s %s %d",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(duration * 1000, 3),
            "operation": operation,
        },
    )
