"""What the format modules share: the problems they report, progress bars, the names of the
flat (GraphML/GEXF) encoding, and the checks of values that every graph file holds."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_origin

import orjson
from pydantic import BaseModel
from rapidfuzz import process
from tqdm import tqdm  # type: ignore[import-untyped]

from graph_data import integrity
from graph_data.integrity import a_kind
from graph_data.kinds import CastRole, NodeKind, Relation
from graph_data.loader import DatasetError, Problem
from graph_data.model import ShowGraph
from graph_data.reading import ReadError, read_json, short
from graph_data.records import FIELDS_OF, NODE_SECTIONS, PortrayalRecord

BAD: Any = object()  # a value already reported as undecodable


FORMATS = ("graphml", "gexf", "json", "dataset")
NODE_LINK_FORMAT = "showgraph-node-link/1"
PROGRESS_MIN_ITEMS = 10_000
"""Inputs with more nodes plus edges than this show a progress bar on stderr."""

KINDS = frozenset(NodeKind)
RELATIONS = frozenset(Relation)
ROLES = frozenset(CastRole)

# Flat (GraphML/GEXF) node attributes that are not facts; a fact with one of
# these names is written under FACT_PREFIX.
NODE_ATTRS = frozenset({"kind", "label", "sources", "fieldSources"})
FACT_PREFIX = "fields."
# Edge properties: the name the model keeps -> the flat attribute name.
FLAT_PROP = {"credited_name": "creditedName", "field_sources": "fieldSources"}
MODEL_PROP = {flat: name for name, flat in FLAT_PROP.items()}
JSON_PROPS = frozenset({"episodes", "field_sources"})
PORTRAYS_PROPS = ("show", "role", "credited_name", "episodes", "field_sources")
PROPS_OF: dict[Relation, frozenset[str]] = {
    Relation.PORTRAYS: frozenset(PORTRAYS_PROPS),
    Relation.RELATED_TO: frozenset({"kind"}),
}


def _aliases(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(info.alias or name for name, info in model.model_fields.items())


# Facts stored as lists (JSON strings in GraphML/GEXF), per kind.
JSON_FACTS = {
    kind: frozenset(
        info.alias or name
        for name, info in model.model_fields.items()
        if get_origin(info.annotation) in (tuple, list, dict)
    )
    for kind, model in FIELDS_OF.items()
}
# Fields that ``fieldSources`` may name: the record's facts and links.
_NOT_SOURCED = frozenset({"id", "sources", "fieldSources"})
SOURCED_FIELDS = {kind: _aliases(record) - _NOT_SOURCED for kind, record in NODE_SECTIONS.values()}
PORTRAYAL_FIELDS = _aliases(PortrayalRecord) - _NOT_SOURCED


class ExchangeError(DatasetError):
    """An import or export refused; ``problems`` lists every reason, each located.

    A ``DatasetError``, so callers that report a bad dataset file report this
    the same way.
    """

    def __init__(self, problems: list[Problem], what: str = "the graph") -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        Exception.__init__(self, f"{len(problems)} problem(s) in {what}:\n{lines}")


@dataclass(slots=True)
class Problems:
    """The problems found in one file, as they are found."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, record: str, where: str, message: str) -> None:
        self.found.append(Problem(self.file, record, where, message))


def _shown(total: int, show: bool | None) -> bool:
    """By default a bar only for many items, and only when stderr is a terminal (not a log)."""
    if show is not None:
        return show
    return total > PROGRESS_MIN_ITEMS and sys.stderr.isatty()


@contextmanager
def ticks(total: int, desc: str, show: bool | None) -> Iterator[Callable[[], object]]:
    """A function to call once per item, advancing a tqdm bar on stderr when there are many.

    ``show`` forces the bar on or off; by default it shows for more than
    ``PROGRESS_MIN_ITEMS`` items, where the wait is long enough to wonder, on a
    terminal: redirected to a file or a log, a bar would only be noise.
    """
    if not _shown(total, show):
        yield lambda: None
        return
    with tqdm(total=total, desc=desc, unit=" items", file=sys.stderr) as bar:
        yield bar.update


def graph_size(model: ShowGraph) -> int:
    return int(model.graph.number_of_nodes() + model.graph.number_of_edges())


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def suggest(value: str, choices: Iterable[str]) -> str:
    """A "did you mean" hint from the closest choice, when one is close enough."""
    best = process.extractOne(value[:100], list(choices), score_cutoff=60)
    return f"; did you mean '{best[0]}'?" if best else ""


def read_json_file(path: Path) -> Any:
    """A JSON file's data, read strictly (a key given twice is an error); ``ReadError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReadError(f"cannot read the file: {error}") from None
    return read_json(text)


def end_problems(
    relation: Relation, u: str, v: str, tail: NodeKind, head: NodeKind
) -> list[tuple[str, str]]:
    """(field, message) for ends the relation cannot join, named as graph files do."""
    ends = {"from": "source", "to": "target"}
    return [
        (ends[end], message)
        for end, message in integrity.end_problems(relation, tail, head, same=u == v)
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_kind(value: Any) -> bool:
    return isinstance(value, str) and value in KINDS


def strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def string_lists(value: Any) -> dict[str, list[str]] | None:
    if isinstance(value, dict) and all(strings(item) is not None for item in value.values()):
        return value
    return None


def prop_where(prop: str, flat: bool) -> str:
    """Where a property or field sits in the file: its flat attribute or JSON path."""
    return FLAT_PROP.get(prop, prop) if flat else f"props.{prop}"


def fact_where(loc: str, flat: bool) -> str:
    if not flat:
        return f"fields.{loc}"
    return FACT_PREFIX + loc if loc.split(".")[0] in NODE_ATTRS else loc


def fact_message(detail: Any, kind: NodeKind) -> str:
    if detail["type"] == "missing":
        return "missing required field"
    if detail["type"] == "extra_forbidden":
        return f"{a_kind(kind)} has no such fact"
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] != "value_error" and "input" in detail:
        message += f" (got {short(detail['input'])})"
    return message


def check_props(
    relation: Relation, props: Mapping[str, Any], label: str, problems: Problems, flat: bool
) -> dict[str, Any] | None:
    """An edge's properties (JSON form), checked; with PORTRAYS defaults filled in."""
    before = len(problems.found)
    allowed = PROPS_OF.get(relation, frozenset())
    for name in props:
        if name not in allowed:
            what = f"no property '{name}'" if allowed else "no properties"
            problems.add(label, prop_where(name, flat), f"{relation.value} links have {what}")
    if relation is Relation.RELATED_TO:
        kind = props.get("kind")
        problem = integrity.relation_kind_problem(kind)
        if problem is not None:
            problems.add(label, prop_where("kind", flat), f"{problem} (got {short(kind)})")
    elif relation is Relation.PORTRAYS:
        role = props.get("role")
        if not isinstance(role, str) or role not in ROLES:
            problems.add(
                label,
                prop_where("role", flat),
                f"must be MAIN, RECURRING or GUEST (got {short(role)})",
            )
        for name in ("show", "credited_name"):
            if props.get(name) is not None and not isinstance(props[name], str):
                problems.add(label, prop_where(name, flat), "must be a string")
        episodes = props.get("episodes")
        if episodes is not None and strings(episodes) is None:
            problems.add(label, prop_where("episodes", flat), "must be a list of episode keys")
        field_sources = props.get("field_sources", {})
        if string_lists(field_sources) is None:
            problems.add(label, prop_where("field_sources", flat), "must map fields to source keys")
    if len(problems.found) > before:
        return None
    if relation is Relation.PORTRAYS:
        return {name: props.get(name) for name in PORTRAYS_PROPS} | {
            "field_sources": props.get("field_sources", {})
        }
    return dict(props)
