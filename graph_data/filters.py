"""Comparisons behind the API's filters, as plain functions over values.

The GraphQL ``where`` inputs (``schema/filters.py``) only gather the user's
conditions; what "equal", "contains" and "greater than" mean lives here, once,
so names compare the same way everywhere (case- and accent-insensitive, see
``graph_data.text.fold``) and missing values never match a condition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from graph_data.text import fold

if TYPE_CHECKING:
    from graph_data.model import GraphNode


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)


def node_names(node: GraphNode[Any]) -> list[str]:
    """Every name a node answers to: its name or title (its ``label``), full name and aliases.

    What name filters test (``schema.filters``) and what the graph model's
    name table holds (``ShowGraph.named``): one function, so the two agree.
    """
    data = node.data
    has_full_name, has_aliases = _name_fields(type(data))
    full_name = data.full_name if has_full_name else None
    return [node.label, *([full_name] if full_name else []), *(data.aliases if has_aliases else ())]


_NAME_FIELDS: dict[type, tuple[bool, bool]] = {}


def _name_fields(record: type) -> tuple[bool, bool]:
    """Whether records of this type have a full name and aliases: asking a pydantic record
    for a field it lacks raises inside, which costs more than the whole name check."""
    found = _NAME_FIELDS.get(record)
    if found is None:
        fields = getattr(record, "model_fields", {})
        found = _NAME_FIELDS[record] = ("full_name" in fields, "aliases" in fields)
    return found


def name_matcher(
    *,
    eq: str | None = None,
    contains: str | None = None,
    in_: Iterable[str] | None = None,
) -> Callable[[Sequence[str]], bool]:
    """Whether some name satisfies each given condition (conditions combine with AND).

    The conditions are folded once, here: a filter tests every node it scans
    (45,000 characters for a ``contains`` at a million nodes) with the same ones.

    >>> name_matcher(eq="ÉLLE", contains="arg")(["Elle", "Elle Argent"])
    True
    >>> name_matcher(in_=["tara", "darcy"])(["Tao"])
    False
    """
    folded_eq = fold(eq) if eq is not None else None
    needle = fold(contains) if contains is not None else None
    wanted = frozenset(map(fold, in_)) if in_ is not None else None

    def matches(names: Sequence[str]) -> bool:
        folded = [fold(name) for name in names]
        if folded_eq is not None and folded_eq not in folded:
            return False
        if needle is not None and not any(needle in name for name in folded):
            return False
        return wanted is None or not wanted.isdisjoint(folded)

    return matches


def value_matches(
    value: T | None,
    *,
    eq: T | None = None,
    gt: T | None = None,
    gte: T | None = None,
    lt: T | None = None,
    lte: T | None = None,
    in_: Iterable[T] | None = None,
) -> bool:
    """True when ``value`` satisfies every given bound; a missing value matches none.

    >>> value_matches(3, gte=1, lt=4)
    True
    >>> value_matches(None, gt=0)
    False
    >>> value_matches(None)
    True
    """
    conditions = (eq, gt, gte, lt, lte, in_)
    if value is None:
        return all(condition is None for condition in conditions)
    return (
        (eq is None or value == eq)
        and (gt is None or gt < value)
        and (gte is None or gte <= value)
        and (lt is None or value < lt)
        and (lte is None or value <= lte)
        and (in_ is None or value in set(in_))
    )
