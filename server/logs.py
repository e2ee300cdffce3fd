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

Every line is written by ``JsonLinesHandler``, which queues it and lets a
thread of its own write it, so the event loop never waits on a write to
stderr. Where that handler is the only one an access line would reach (as
``showgraph serve`` configures logging), ``access_log`` renders the line from
a kept template itself and queues it, skipping the ``LogRecord`` and the
formatter: the stdlib path cost about 20 µs a line, this one about 2.5 µs
(``bench/accesslog.py``, both in one run). Any other handler (a test
capturing records, a custom configuration) gets the ordinary record
with the same fields.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import secrets
import threading
import time
import traceback
import weakref
from collections import deque
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any, TypeGuard

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


# The writer thread wakes this often rather than for each line: woken per line (a
# futex wake, a thread switch, a write and a flush per request), it cost 13-40 µs a
# request in process, against about 3 for the line itself (bench/inprocess.py's (f)
# at --log-level info: 113 µs against 100 with the access log stubbed out).
WRITE_EVERY_SECONDS = 0.05
# ... or as soon as this many lines wait, so a burst is written at once.
WAKE_AT_LINES = 1000


class JsonLinesHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes from a thread of its own, never from the caller's.

    ``emit`` formats the record where it was made (its context variables are
    there) and queues the text; the writer thread takes every queued line
    every ``WRITE_EVERY_SECONDS`` (sooner past ``WAKE_AT_LINES``) and writes
    them with one write and one flush, so a line reaches the stream within
    about 50 ms. ``flush`` (called by ``logging.shutdown`` at exit, and by
    tests) writes whatever is queued at once.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self.setFormatter(JsonFormatter())
        self._lines: deque[str] = deque()  # appends and pops are atomic: no lock to queue
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._write_lock = threading.Lock()
        _HANDLERS.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.put(self.format(record))
        except Exception:  # logging must never break the caller
            self.handleError(record)

    def put(self, line: str) -> None:
        """Queue one formatted line (no newline) for the writer thread."""
        if self._writer is None:
            self._start_writer()
        lines = self._lines
        lines.append(line)
        if len(lines) >= WAKE_AT_LINES:
            self._wake.set()

    def _start_writer(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                return
            self._writer = threading.Thread(target=self._write_forever, daemon=True, name="logs")
            self._writer.start()

    def _forget_writer(self) -> None:
        """In a forked child: no writer (threads do not survive a fork), a lock the parent's
        writer cannot have held, and none of the parent's queued lines."""
        self._writer = None
        self._write_lock = threading.Lock()
        self._lines = deque()
        self._wake = threading.Event()

    def _write_forever(self) -> None:
        wake = self._wake
        while True:
            wake.wait(WRITE_EVERY_SECONDS)
            wake.clear()
            self._write()

    def _write(self) -> None:
        """Write every queued line, in order, then flush."""
        with self._write_lock:
            queued = self._lines
            lines = []
            while queued:
                lines.append(queued.popleft())  # only writers pop, under the lock
            if not lines:
                return
            try:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or gone: nowhere left to write
                pass

    def flush(self) -> None:
        """Write every line queued so far, from this thread."""
        self._write()

    def close(self) -> None:
        self.flush()
        super().close()


# Every lines handler, so a forked child starts over once, at the fork (``_forget_writer``),
# rather than every line comparing ``os.getpid()`` (a system call, 0.18 µs a line).
_HANDLERS: weakref.WeakSet[JsonLinesHandler] = weakref.WeakSet()


def _forget_writers() -> None:
    for handler in list(_HANDLERS):
        handler._forget_writer()


os.register_at_fork(after_in_child=_forget_writers)


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
                "()": f"{__name__}.JsonLinesHandler",
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
    """The one access line of a GraphQL request: these fields only, never headers.

    Rendered here and queued when ``JsonLinesHandler`` is its only reader
    (``_sole_lines_handler``), else logged as an ordinary record.
    """
    if not access_logger.isEnabledFor(logging.INFO):
        return  # spare building the record's fields
    handler = _sole_lines_handler()
    if handler is not None:
        request_id = request_id_var.get()
        head, tail = _access_parts(method, path, status, operation or operation_var.get())
        handler.put(
            f'{{"time":"{_iso_time(time.time())}",{head}'
            # A request id is [A-Za-z0-9._-] only (``valid_request_id``): no escaping.
            f"{'null' if request_id is None else f'{chr(34)}{request_id}{chr(34)}'}"
            # Milliseconds to 3 places, as the record's round(..., 3), for a third the cost.
            f"{tail}{duration * 1000:.3f}}}"
        )
        return
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


_ACCESS_PARTS: dict[tuple[str, str, int, str | None], tuple[str, str]] = {}


def _access_parts(method: str, path: str, status: int, operation: str | None) -> tuple[str, str]:
    """The access line's JSON around its request id, made once per kind of request.

    Building the whole line with ``orjson.dumps`` took 2.6 µs on the bench
    machine; a kept template and one f-string take about 1. The fields and
    their order are ``JsonFormatter``'s for the same record. Operation names
    come from clients, so the kept templates are bounded (dropped when full).
    """
    key = (method, path, status, operation)
    found = _ACCESS_PARTS.get(key)
    if found is None:
        dump = orjson.dumps
        head = (
            '"level":"info","logger":"showgraph.access",'
            f'"message":{dump(f"{method} {path} {status}").decode()},"request_id":'
        )
        tail = (
            f',"operation":{dump(operation).decode()},"method":{dump(method).decode()},'
            f'"path":{dump(path).decode()},"status":{status},"duration_ms":'
        )
        if len(_ACCESS_PARTS) >= 1024:
            _ACCESS_PARTS.clear()
        found = _ACCESS_PARTS[key] = (head, tail)
    return found


def _sole_lines_handler() -> JsonLinesHandler | None:
    """The one handler an access record would reach, if it is a plain ``JsonLinesHandler``.

    Anything else on the way (another handler, a filter, a handler level above
    INFO) makes the access line an ordinary record, so nothing is skipped.
    """
    if access_logger.filters:
        return None
    found: JsonLinesHandler | None = None
    logger: logging.Logger | None = access_logger
    while logger is not None:
        for handler in logger.handlers:
            if (
                found is not None
                or type(handler) is not JsonLinesHandler
                or handler.filters
                or handler.level > logging.INFO
                or type(handler.formatter) is not JsonFormatter
            ):
                return None
            found = handler
        logger = logger.parent if logger.propagate else None
    return found


_second = -1.0
_second_text = ""
_MILLISECONDS = [f".{millisecond:03d}+00:00" for millisecond in range(1000)]


def _iso_time(now: float) -> str:
    """``now`` as ``JsonFormatter`` writes it (ISO 8601, UTC, milliseconds), cheaply.

    The date and time of day are made once per second, the milliseconds
    looked up per line: 0.3 µs a line, where ``datetime.isoformat`` costs
    1.5 µs (a one-millisecond cache of it averaged 0.6 µs at 10,000 lines a
    second, and 1.5 µs on a quieter server). The fraction is rounded as
    ``datetime.fromtimestamp`` rounds it (to the microsecond, half to even,
    carrying into the second), so the two never differ; the millisecond
    cache did, just below a second (``tests/server/test_logs.py``).
    """
    global _second, _second_text  # a one-entry cache
    fraction, second = math.modf(now)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    if second != _second:
        stamp = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")
        _second_text = stamp.removesuffix("+00:00")
        _second = second
    return _second_text + _MILLISECONDS[micro // 1000]
