"""Who waits for whom: readers never wait on a writer's I/O.

Three kinds of section, from longest to shortest:

- ``reading()``: a query. Many at once, from several threads.
- ``turn()``: a writer's turn. Writers (mutations, imports, catch-ups with
  other replicas' changes) take turns, one at a time, but readers go on: the
  writer plans its change and makes it durable (journal fsync, PostgreSQL
  commit) reading the graph without the read lock, which is safe because only
  the holder of the turn ever changes the graph.
- ``writing()``: applying a durable change to the graph in memory, inside a
  turn (taken if not held), for the few milliseconds that takes. Readers
  wait for it (so none sees half a change) and it waits for the readers
  already inside.

So a reader waits at most for one change to be applied, never for a disk or
a database. The holder of the turn may re-enter both it and ``writing()``
and may read while writing; readers may not upgrade.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RWLock:
    """Shared reading, exclusive writing, turns for writers; see the module docstring.

    Writing is not starved by new readers: once it waits, new readers wait too.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())  # never taken twice by one thread
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0
        self._waiting_writers = 0
        self._turn = threading.RLock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """A writer's turn: writers one at a time; readers are not stopped."""
        with self._turn:
            yield

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
        """Apply a change: exclusive and short; part of a turn (taken here if not held)."""
        with self.turn():
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
