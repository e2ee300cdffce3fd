"""Dates as precise as their source: a year, a month, or a day.

The article says filming "began in September 2022"; storing 2022-09-01 would
invent a day nobody stated. ISO 8601 allows reduced precision (``2022``,
``2022-09``), so a date keeps exactly the precision it was published with.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """An ISO 8601 calendar date of year, month or day precision.

    Ordering compares (year, month, day) with a missing part as 0, so
    ``2022-09`` sorts before ``2022-09-15`` and after ``2022-08-31``.

    >>> PartialDate.parse("2022-09").iso()
    '2022-09'
    >>> PartialDate.parse("2022-04-22") < PartialDate.parse("2023")
    True
    """

    year: int
    month: int = 0
    day: int = 0

    @classmethod
    def parse(cls, value: str) -> PartialDate:
        """Read ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ValueError with the reason."""
        match = _ISO.match(value.strip())
        if match is None:
            raise ValueError(f"'{value}' is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = (int(part) if part else 0 for part in match.groups())
        if match.group(2) and not 1 <= month <= 12:
            raise ValueError(f"'{value}' has month {month}; months run from 01 to 12")
        if match.group(3):
            try:
                dt.date(year, month, day)
            except ValueError:
                raise ValueError(f"'{value}' is not a day of the calendar") from None
        return cls(year, month, day)

    @classmethod
    def coerce(cls, value: Any) -> PartialDate:
        """Accept what YAML and JSON give us: a string, a ``date`` or a ``PartialDate``."""
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.datetime):
            raise ValueError("expected a date, not a date and time")
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls.parse(str(value))
        raise ValueError(f"expected an ISO 8601 date string, got {type(value).__name__}")

    def iso(self) -> str:
        """The date at its own precision, as written in ISO 8601."""
        if not self.month:
            return f"{self.year:04d}"
        if not self.day:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.iso()
