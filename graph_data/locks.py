"""A readers-writer lock: many queries at once, or one write, never a mix.

Queries read the graph from several threads; a write changes several nodes
and edges. Holding the write lock for the whole change means no reader ever
sees half of it. The writer may re-enter (a mutation holds the lock while the
store applies its change), readers may not upgrade.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RWLock:
    """Shared reading, exclusive writing; writers are not starved by new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())  # never taken twice by one thread
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0
        self._waiting_writers = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer is not None or self._waiting_writers:
                if self._writer == threading.get_ident():
                    break  # the writer may read what it is writing
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            self.release_read()

    def try_read(self) -> bool:
        """Start reading only if no writer holds or awaits the lock; never waits.

        For callers that must not block (the event loop): on False they read
        from a thread instead. A True must be paired with ``release_read``.
        """
        with self._cond:
            if self._writer is not None or self._waiting_writers:
                return False
            self._readers += 1
            return True

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers and self._waiting_writers:
                self._cond.notify_all()  # only a writer waits on readers

    @contextmanager
    def writing(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                self._waiting_writers += 1
                while self._writer is not None or self._readers:
                    self._cond.wait()
                self._waiting_writers -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._cond.notify_all()
