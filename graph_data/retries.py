"""Safe retries: a mutation sent again with the same ``clientMutationId`` writes nothing.

A client whose request timed out cannot tell whether the write committed. As
with Stripe's idempotency keys, it sends the same request again with the same
``clientMutationId``; if the first attempt was written, the retry is answered
as that attempt was (its version and result) and nothing is written twice.

Keys are per writer (token name) and kept for ``RETRY_WINDOW`` seconds after
the change, at most ``MAX_KEYS`` of them (the oldest go first), so memory is
bounded. They are noted as every change is applied (a live write, a replay at
start-up, another replica's change caught up), so every replica knows every
key: a writer looks them up in its turn, after catching up with the store, so
two replicas cannot both accept the same key. Snapshots carry the keys still
in the window, so a restart forgets none.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graph_data.records import text_problem

RETRY_WINDOW = 24 * 3600  # seconds a clientMutationId is remembered (Stripe keeps 24 hours)
MAX_KEYS = 100_000  # remembered keys at most, about 20 MB at worst
KEY_MAX = 255  # characters in a clientMutationId: what keeps MAX_KEYS keys within that


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a retry is answered with: the first attempt's version, summary and result."""

    version: int
    at: str
    summary: str
    result: Any


class RecentRequests:
    """The attempts made with a clientMutationId in the retry window, by (writer, id)."""

    def __init__(self, window: float = RETRY_WINDOW, limit: int = MAX_KEYS) -> None:
        self.window = timedelta(seconds=window)
        self.limit = limit
        self._attempts: OrderedDict[tuple[str, str], Attempt] = OrderedDict()

    def note(self, writer: str, client_mutation_id: str, attempt: Attempt) -> None:
        """Remember an applied change's key; forget the oldest beyond the limit."""
        key = (writer, client_mutation_id)
        self._attempts.pop(key, None)
        self._attempts[key] = attempt
        while len(self._attempts) > self.limit:
            self._attempts.popitem(last=False)

    def find(self, writer: str, client_mutation_id: str) -> Attempt | None:
        """The earlier attempt with this key, if it is still within the window."""
        attempt = self._attempts.get((writer, client_mutation_id))
        if attempt is None or _age(attempt.at) > self.window:
            return None
        return attempt

    def to_json(self) -> list[list[Any]]:
        """The keys still in the window, oldest first, for a snapshot."""
        return [
            [writer, request, a.version, a.at, a.summary, a.result]
            for (writer, request), a in self._attempts.items()
            if _age(a.at) <= self.window
        ]

    def load(self, rows: list[Any]) -> None:
        """Keys from a snapshot (``to_json``'s rows); ValueError when a row is malformed."""
        for row in rows:
            try:
                writer, request, version, at, summary, result = row
                attempt = Attempt(int(version), str(at), str(summary), result)
            except (TypeError, ValueError):
                raise ValueError(f"requests: bad entry {row!r}") from None
            self.note(str(writer), str(request), attempt)


def key_problem(client_mutation_id: str) -> str | None:
    """Why a clientMutationId cannot be kept (as a record's text could not), or None."""
    if len(client_mutation_id) > KEY_MAX:
        return f"is {len(client_mutation_id)} characters long; at most {KEY_MAX} are kept"
    return text_problem(client_mutation_id)


def _age(at: str) -> timedelta:
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return timedelta.max
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return datetime.now(UTC) - when
