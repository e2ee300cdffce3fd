"""Reading a dataset file and refusing it, with every reason, when it is wrong.

``load_dataset`` returns validated records or raises ``DatasetError`` holding
every problem found (not only the first), each naming the file, the record and
the field, so a person editing a dataset can fix them all in one pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from rapidfuzz import process

from graph_data.kinds import NodeKind
from graph_data.records import (
    FORMAT,
    LINK_SECTIONS,
    NODE_SECTIONS,
    AppearanceRecord,
    CharacterRecord,
    EpisodeRecord,
    EventRecord,
    PortrayalRecord,
    RelationshipRecord,
    SceneRecord,
    SeasonRecord,
    ShowRecord,
    Sourced,
    WorkRecord,
)

BUILTIN_DATASET = Path(__file__).parent / "datasets" / "heartstopper.yaml"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader, minus its date parsing: dates stay text, so a bad one
    ("2024-13-12") is reported by the record's validation with its record and field."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a dataset file, located as precisely as we can."""

    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: field '{self.field}': {self.message}"


class DatasetError(Exception):
    """A dataset file that cannot be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in dataset:\n{lines}")


@dataclass(slots=True)
class Dataset:
    """Validated records of one file, ready to become a graph model."""

    path: str
    nodes: dict[NodeKind, list[Any]] = field(default_factory=dict)
    links: dict[str, list[Any]] = field(default_factory=dict)


def load_dataset(path: str | Path) -> Dataset:
    """Read and validate a dataset file; raise ``DatasetError`` listing all problems."""
    dataset, problems = check_dataset(path)
    if problems:
        raise DatasetError(problems)
    return dataset


def check_dataset(path: str | Path) -> tuple[Dataset, list[Problem]]:
    """Validate a dataset file, returning the valid records and every problem found."""
    name = str(path)
    dataset = Dataset(path=name)
    try:
        raw = _read(Path(path))
    except _ReadError as error:
        return dataset, [Problem(name, "(file)", "-", str(error))]
    problems = _check_top_level(name, raw)
    if problems and not isinstance(raw, dict):
        return dataset, problems
    ids_seen: dict[NodeKind, set[str]] = {}
    for section, (kind, model) in NODE_SECTIONS.items():
        records, seen = _validate_section(name, section, raw.get(section), model, problems)
        dataset.nodes[kind] = records
        ids_seen[kind] = seen
    for section, link_model in LINK_SECTIONS.items():
        records, _ = _validate_section(name, section, raw.get(section), link_model, problems)
        dataset.links[section] = records
    problems.extend(_Checker(name, dataset, ids_seen).run())
    return dataset, problems


class _ReadError(Exception):
    pass


def _read(path: Path) -> Any:
    """Parse YAML or JSON (JSON is also valid YAML, but its own parser is faster)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _ReadError("file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _ReadError(f"cannot read file: {error}") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # a safe loader (see _Loader)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _ReadError(f"invalid JSON at {where}: {error.msg}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise _ReadError(f"invalid YAML{where}: {reason}") from None


def _check_top_level(name: str, raw: Any) -> list[Problem]:
    if not isinstance(raw, dict):
        kind = type(raw).__name__ if raw is not None else "an empty file"
        return [Problem(name, "(file)", "-", f"expected a mapping of sections, got {kind}")]
    problems = []
    if raw.get("format") != FORMAT:
        problems.append(
            Problem(name, "(file)", "format", f"must be '{FORMAT}' (got {raw.get('format')!r})")
        )
    known = {"format", *NODE_SECTIONS, *LINK_SECTIONS}
    for key in raw:
        if key not in known:
            problems.append(
                Problem(name, "(file)", str(key), f"unknown section{_suggest(str(key), known)}")
            )
    return problems


def _validate_section(
    name: str, section: str, items: Any, model: type[BaseModel], problems: list[Problem]
) -> tuple[list[Any], set[str]]:
    """Validate each record on its own, so one bad record does not hide the others.

    Returns the valid records and every id that was written in the section
    (valid or not), so that a reference to a broken record is not reported a
    second time as "unknown".
    """
    if items is None:
        return [], set()
    if not isinstance(items, list):
        problems.append(Problem(name, section, "-", "a section must be a list of records"))
        return [], set()
    records: list[Any] = []
    first_seen: dict[str, str] = {}
    for index, item in enumerate(items):
        label = _label(section, index, item)
        if not isinstance(item, dict):
            problems.append(Problem(name, label, "-", "a record must be a mapping of fields"))
            continue
        record_id = item.get("id")
        if isinstance(record_id, str):
            if record_id in first_seen:
                problems.append(
                    Problem(
                        name,
                        label,
                        "id",
                        f"duplicate id '{record_id}' (first defined at {first_seen[record_id]})",
                    )
                )
                continue
            first_seen[record_id] = f"{section}[{index}]"
        try:
            records.append(model.model_validate(item))
        except ValidationError as error:
            problems.extend(_from_pydantic(name, label, model, error))
    return records, set(first_seen)


def _label(section: str, index: int, item: Any) -> str:
    """Name a record the way its author would find it: position and id."""
    if isinstance(item, dict):
        if isinstance(item.get("id"), str):
            return f"{section}[{index}] (id '{item['id']}')"
        ends = [
            f"{key} '{item[key]}'"
            for key in ("actor", "character", "from", "to")
            if isinstance(item.get(key), str)
        ]
        if ends:
            return f"{section}[{index}] ({', '.join(ends)})"
    return f"{section}[{index}]"


def _from_pydantic(
    name: str, label: str, model: type[BaseModel], error: ValidationError
) -> Iterator[Problem]:
    aliases = {info.alias or key for key, info in model.model_fields.items()}
    for detail in error.errors():
        loc = ".".join(str(part) for part in detail["loc"]) or "-"
        kind = detail["type"]
        if kind == "missing":
            message = "missing required field"
        elif kind == "extra_forbidden":
            message = f"unknown field{_suggest(str(detail['loc'][-1]), aliases)}"
        else:
            message = detail["msg"].removeprefix("Value error, ")
            if kind != "value_error" and "input" in detail:
                message += f" (got {detail['input']!r})"
        yield Problem(name, label, loc, message)


def _suggest(value: str, choices: set[str] | list[str]) -> str:
    """A "did you mean" hint from the closest choice, when one is close enough."""
    best = process.extractOne(value, list(choices), score_cutoff=60)
    return f"; did you mean '{best[0]}'?" if best else ""


@dataclass
class _Checker:
    """Cross-record checks: references resolve, numbers are unique, links fit."""

    name: str
    dataset: Dataset
    ids_seen: dict[NodeKind, set[str]]
    problems: list[Problem] = field(default_factory=list)

    def run(self) -> list[Problem]:
        nodes = self.dataset.nodes
        for section, (kind, _) in NODE_SECTIONS.items():
            for index, record in enumerate(nodes[kind]):
                label = f"{section}[{index}] (id '{record.id}')"
                if isinstance(record, Sourced):
                    self._check_sources(label, record)
                for field_name, target, value in _references(record):
                    self._ref(label, field_name, target, value)
        for section, records in self.dataset.links.items():
            for index, record in enumerate(records):
                label = _label(section, index, _ends(record))
                self._check_sources(label, record)
                for field_name, target, value in _references(record):
                    self._ref(label, field_name, target, value)
        self._check_numbering()
        self._check_scenes()
        self._check_portrayals()
        self._check_relationships()
        return self.problems

    def _ref(self, label: str, field_name: str, kind: NodeKind, value: str) -> bool:
        seen = self.ids_seen[kind]
        if value in seen:
            return True
        noun = kind.value.lower()
        hint = _suggest(value, seen)
        self.problems.append(
            Problem(self.name, label, field_name, f"unknown {noun} '{value}'{hint}")
        )
        return False

    def _check_sources(self, label: str, record: Sourced) -> None:
        for field_name, ids in [
            ("sources", record.sources),
            *((f"fieldSources.{key}", value) for key, value in record.field_sources.items()),
        ]:
            for source_id in ids:
                self._ref(label, field_name, NodeKind.SOURCE, source_id)
        if isinstance(record, SeasonRecord):
            for index, view in enumerate(record.viewership):
                for source_id in view.sources:
                    self._ref(label, f"viewership.{index}.sources", NodeKind.SOURCE, source_id)

    def _valid_ids(self, kind: NodeKind) -> dict[str, Any]:
        return {record.id: record for record in self.dataset.nodes[kind]}

    def _check_numbering(self) -> None:
        """Season numbers are unique in a show, episode numbers in a season."""
        for kind, parent in ((NodeKind.SEASON, "show"), (NodeKind.EPISODE, "season")):
            section = "seasons" if kind is NodeKind.SEASON else "episodes"
            taken: dict[tuple[str, int], str] = {}
            for index, record in enumerate(self.dataset.nodes[kind]):
                slot = (getattr(record, parent), record.number)
                if slot in taken:
                    self.problems.append(
                        Problem(
                            self.name,
                            f"{section}[{index}] (id '{record.id}')",
                            "number",
                            f"number {record.number} is already used in {parent} "
                            f"'{slot[0]}' by '{taken[slot]}'",
                        )
                    )
                else:
                    taken[slot] = record.id

    def _check_scenes(self) -> None:
        episodes = self._valid_ids(NodeKind.EPISODE)
        for index, scene in enumerate(self.dataset.nodes[NodeKind.SCENE]):
            episode = episodes.get(scene.episode or "")
            if episode is not None and scene.season is not None and episode.season != scene.season:
                self.problems.append(
                    Problem(
                        self.name,
                        f"scenes[{index}] (id '{scene.id}')",
                        "season",
                        f"episode '{scene.episode}' belongs to season '{episode.season}', "
                        f"not '{scene.season}'",
                    )
                )

    def _check_portrayals(self) -> None:
        characters = self._valid_ids(NodeKind.CHARACTER)
        episodes = self._valid_ids(NodeKind.EPISODE)
        seasons = self._valid_ids(NodeKind.SEASON)
        taken: set[tuple[str, str]] = set()
        for index, link in enumerate(self.dataset.links["portrayals"]):
            label = _label("portrayals", index, _ends(link))
            character = characters.get(link.character)
            show = link.show or (character.show if character else None)
            if (link.actor, link.character) in taken:
                self.problems.append(
                    Problem(
                        self.name,
                        label,
                        "character",
                        "this actor already has a portrayal of this character",
                    )
                )
            taken.add((link.actor, link.character))
            for number, episode_id in enumerate(link.episodes or ()):
                episode = episodes.get(episode_id)
                season = seasons.get(episode.season) if episode else None
                if season is not None and show is not None and season.show != show:
                    self.problems.append(
                        Problem(
                            self.name,
                            label,
                            f"episodes.{number}",
                            f"episode '{episode_id}' is in show '{season.show}', not '{show}'",
                        )
                    )

    def _check_relationships(self) -> None:
        for index, link in enumerate(self.dataset.links["relationships"]):
            if link.from_ == link.to:
                self.problems.append(
                    Problem(
                        self.name,
                        _label("relationships", index, _ends(link)),
                        "to",
                        "a character cannot be related to itself",
                    )
                )


def _ends(record: Any) -> dict[str, Any]:
    return record.model_dump(by_alias=True) if isinstance(record, BaseModel) else {}


def _references(record: Any) -> Iterator[tuple[str, NodeKind, str]]:
    """Every (field, target kind, id) that a record points at."""
    refs: list[tuple[str, NodeKind, str | tuple[str, ...] | None]] = []
    match record:
        case WorkRecord():
            refs = [("authors", NodeKind.CREATOR, record.authors)]
        case ShowRecord():
            refs = [
                ("basedOn", NodeKind.WORK, record.based_on),
                ("creators", NodeKind.CREATOR, record.creators),
            ]
        case SeasonRecord():
            refs = [("show", NodeKind.SHOW, record.show)]
        case EpisodeRecord():
            refs = [("season", NodeKind.SEASON, record.season)]
        case SceneRecord():
            refs = [
                ("episode", NodeKind.EPISODE, record.episode),
                ("season", NodeKind.SEASON, record.season),
                ("characters", NodeKind.CHARACTER, record.characters),
            ]
        case CharacterRecord():
            refs = [("show", NodeKind.SHOW, record.show)]
        case EventRecord():
            refs = [("revealed", NodeKind.SCENE, record.revealed)]
        case PortrayalRecord():
            refs = [
                ("actor", NodeKind.ACTOR, record.actor),
                ("character", NodeKind.CHARACTER, record.character),
                ("show", NodeKind.SHOW, record.show),
                ("episodes", NodeKind.EPISODE, record.episodes),
            ]
        case RelationshipRecord():
            refs = [
                ("from", NodeKind.CHARACTER, record.from_),
                ("to", NodeKind.CHARACTER, record.to),
            ]
        case AppearanceRecord():
            refs = [
                ("character", NodeKind.CHARACTER, record.character),
                ("episode", NodeKind.EPISODE, record.episode),
            ]
    for field_name, kind, value in refs:
        if isinstance(value, str):
            yield field_name, kind, value
        elif value:
            for index, item in enumerate(value):
                yield f"{field_name}.{index}", kind, item
