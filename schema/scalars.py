"""Custom scalars, mapped from Python types in the schema config (``SCALARS``)."""

from __future__ import annotations

from typing import Any

import strawberry

from graph_data.dates import PartialDate
from schema.errors import UserError


def _parse_date(value: object) -> PartialDate:
    if not isinstance(value, str):
        raise UserError(f'Date must be a string such as "2023-08-03", got {value!r}')
    try:
        return PartialDate.parse(value)
    except ValueError as error:
        raise UserError(f"Invalid Date: {error}") from None


SCALARS: dict[object, Any] = {
    PartialDate: strawberry.scalar(
        name="Date",
        description=(
            "An ISO 8601 calendar date at the precision it was published with: "
            '"2023-08-03", "2022-09" (a month) or "2022" (a year).'
        ),
        serialize=PartialDate.iso,
        parse_value=_parse_date,
    )
}
