"""Reading dataset files and refusing them, with every reason, when they are wrong.

``load_dataset`` takes one or more paths (files, or directories whose
``*.yaml``, ``*.yml`` and ``*.json`` files are read in name order) and returns
the validated records of all of them as ONE dataset, or raises
``DatasetError`` holding every problem found (not only the first). Files
combine: ids are shared by all files (a record may refer to a record of
another file, e.g. an actor who plays in two shows, or a shared source), and
an id defined in two files is an error naming both. Each problem names the
file and line of its record (and of its field), the record and the field, so a
person editing a dataset can fix them all in one pass.

The files are read by ``graph_data.reading`` (no YAML aliases, no repeated
keys, plain data only); the rules that records must follow together are those
of ``graph_data.integrity``.

Speed: a section is first validated in one pydantic call
(``graph_data.columns``); only a section holding a record that call cannot
vouch for is validated record by record, which words every problem. The
cross-record checks likewise gather ids in bulk and walk the records one by
one only when something is wrong. At a million nodes this took the load
from 66-78 s to 20-30 s (``bench/README.md``, issue 17).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, repeat
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from rapidfuzz import process

from graph_data import integrity
from graph_data.columns import validate_section
from graph_data.kinds import NodeKind
from graph_data.reading import (
    JsonLines,
    ReadError,
    field_line,
    item_line,
    line_of,
    read_data,
    short,
)
from graph_data.records import (
    FORMAT,
    HISTORY_SECTION,
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

DATASETS_DIR = Path(__file__).parent / "datasets"
BUILTIN_DATASET = DATASETS_DIR / "heartstopper.yaml"
"""The Heartstopper file, one show of the built-in dataset."""
BUILTIN_DATASETS = DATASETS_DIR
"""The built-in dataset: every file in ``graph_data/datasets/``, so a show added there loads."""
DATASET_SUFFIXES = (".yaml", ".yml", ".json")

DatasetPaths = str | Path | Sequence[str | Path]
"""One dataset path (a file or a directory), or several that load as one graph."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a dataset, located as precisely as we can.

    ``line`` is the line of the record (or of the file's problem), and
    ``field_line`` the line of the field, when they are known.
    """

    file: str
    record: str
    field: str
    message: str
    line: int | None = None
    field_line: int | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}" if self.line else self.file
        if self.record != "(file)":
            text += f": {self.record}"
        if self.field not in ("-", ""):
            at = self.field_line
            text += f": field '{self.field}'" + (
                f" (line {at})" if at is not None and at != self.line else ""
            )
        return f"{text}: {self.message}"


class DatasetError(Exception):
    """A dataset that cannot be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in dataset:\n{lines}")


@dataclass(slots=True)
class Dataset:
    """Validated records of one or more files, ready to become a graph model."""

    path: str
    nodes: dict[NodeKind, list[Any]] = field(default_factory=dict)
    links: dict[str, list[Any]] = field(default_factory=dict)
    # The changes an export carried (graph_data.records.HISTORY_SECTION), as
    # read: the graph is built from the records alone, so they are not checked.
    history: list[Any] = field(default_factory=list)


def as_paths(paths: DatasetPaths) -> list[Path]:
    """The paths given, as a list (one path or several)."""
    if isinstance(paths, str | Path):
        return [Path(paths)]
    return [Path(path) for path in paths]


def describe_paths(paths: DatasetPaths) -> str:
    """The paths for a message: "a.yaml" or "a.yaml, shows/"."""
    return ", ".join(str(path) for path in as_paths(paths))


def dataset_files(paths: DatasetPaths) -> tuple[list[Path], list[Problem]]:
    """The files the paths name, directories expanded (in name order), each once."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in as_paths(paths):
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.suffix in DATASET_SUFFIXES and p.is_file()
            )
            if not found:
                problems.append(
                    Problem(
                        str(path),
                        "(file)",
                        "-",
                        "a directory without dataset files (*.yaml, *.yml or *.json)",
                    )
                )
            files.extend(found)
        else:
            files.append(path)
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values()), problems


def load_dataset(paths: DatasetPaths) -> Dataset:
    """Read and validate dataset files as one; raise ``DatasetError`` listing all problems."""
    dataset, problems = check_dataset(paths)
    if problems:
        raise DatasetError(problems)
    return dataset


def check_dataset(paths: DatasetPaths) -> tuple[Dataset, list[Problem]]:
    """Validate dataset files together, returning the valid records and every problem found."""
    with collector_paused():
        return _check_dataset(paths)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while files are read and validated.

    Parsing and validation make millions of long-lived objects (parsed data,
    records) and no cycles; the collector would traverse them again and again
    for nothing. At a million nodes check_dataset took 55 s with it and 38 s
    without (before the one-call validation of ``graph_data.columns``).
    ``graph_data.load_graph`` keeps it paused until the graph is built and
    frozen (``ShowGraph.bulk``): turned on in between, its first full pass
    would walk every record (about 13 s of a 36 s load at 1M nodes).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_dataset(paths: DatasetPaths) -> tuple[Dataset, list[Problem]]:
    files, problems = dataset_files(paths)
    dataset = Dataset(path=describe_paths(paths))
    checker = _Checker(dataset)
    for path in files:
        file = _File(path)
        problems.extend(file.read())
        if isinstance(file.raw, dict):
            checker.add_file(file)
    problems.extend(checker.problems)
    problems.extend(checker.run())
    order = {str(path): index for index, path in enumerate(files)}
    problems.sort(key=lambda p: (order.get(p.file, -1), p.line or 0))  # as the files read
    return dataset, problems


def load_data(data: Any, name: str) -> Dataset:
    """Validate a dataset mapping made in memory (by an importer) as if it were file ``name``."""
    dataset = Dataset(path=name)
    checker = _Checker(dataset)
    file = _File(Path(name), data)
    problems = file._top_level()
    if isinstance(data, dict):
        checker.add_file(file)
    problems += checker.problems + checker.run()
    if problems:
        raise DatasetError(problems)
    return dataset


# --- one file -------------------------------------------------------------------------------


class _File:
    """A dataset file: its data, and the lines of its records and fields when asked."""

    def __init__(self, path: Path, raw: Any = None) -> None:
        self.path = path
        self.name = str(path)
        self.raw = raw
        self.in_memory = raw is not None

    def read(self) -> list[Problem]:
        """Read the file; its whole-file problems (unreadable, not a dataset, unknown sections)."""
        try:
            self.raw = read_data(self.path)
        except ReadError as error:
            return [Problem(self.name, "(file)", "-", str(error), error.line)]
        return self._top_level()

    @cached_property
    def located(self) -> Any:
        """The data with lines: as read for YAML; read again, keeping positions, for JSON."""
        if self.in_memory or self.path.suffix != ".json":
            return self.raw
        return JsonLines(self.path.read_text(encoding="utf-8")).locate()

    def line(self, section: str, index: int | None = None, path: str = "") -> int | None:
        """The line of a section, of one of its records, or of a field (``a.0.b``) in it."""
        data = self.located
        value = data.get(section) if isinstance(data, dict) else None
        line = getattr(data, "lines", {}).get(section)
        if index is None:
            return line
        line = item_line(value, index)
        value = value[index] if isinstance(value, list) and index < len(value) else None
        for part in path.split(".") if path else ():
            if isinstance(value, dict) and part in value:
                line, value = field_line(value, part) or line, value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                line, value = item_line(value, int(part)), value[int(part)]
            else:
                break
        return line

    def problem(self, record: str, where: str, message: str, at: int | None = None) -> Problem:
        """A problem of the file itself (``at`` is its line)."""
        return Problem(self.name, record, where, message, at)

    def _top_level(self) -> list[Problem]:
        raw = self.raw
        if not isinstance(raw, dict):
            what = "is empty" if raw is None else f"holds {_a_value(raw)}"
            return [
                self.problem(
                    "(file)",
                    "-",
                    f"the file {what}, not a dataset: a dataset is a mapping that starts "
                    f"with 'format: {FORMAT}', then lists of records under section names",
                    line_of(raw),
                )
            ]
        problems = []
        if "format" not in raw:
            problems.append(
                self.problem(
                    "(file)",
                    "-",
                    f"the file does not say its format: start it with 'format: {FORMAT}'",
                    1,
                )
            )
        elif raw["format"] != FORMAT:
            problems.append(
                self.problem(
                    "(file)",
                    "format",
                    f"must be '{FORMAT}' (got {short(raw['format'])})",
                    self.line("format"),
                )
            )
        known = {"format", HISTORY_SECTION, *NODE_SECTIONS, *LINK_SECTIONS}
        for key in raw:
            if key not in known:
                problems.append(
                    self.problem(
                        "(file)",
                        short(key).strip("'"),
                        f"unknown section{_suggest(str(key), known)}",
                        self.line(key),
                    )
                )
            elif key != "format" and raw[key] is not None and not isinstance(raw[key], list):
                problems.append(
                    self.problem(
                        "(file)",
                        str(key),
                        f"a section is a list of "
                        f"{'changes' if key == HISTORY_SECTION else 'records'}, "
                        f"not {_a_value(raw[key])}",
                        self.line(key),
                    )
                )
        return problems


def _a_value(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the value {short(value)}"


class _Origin(NamedTuple):
    """Where a record was written: its file, section and position.

    A tuple, so that a section validated in one call (``_fast_section``)
    records where its records were as plain ``(file, section, index)``
    tuples, made in C, rather than one object per record made in Python
    (about 2 s at a million records); ``_Checker.origin`` wraps one on demand.
    """

    file: _File
    section: str
    position: int

    @property
    def label(self) -> str:
        """The record as its author would find it (made only for a problem)."""
        return _label(self.section, self.position, self.file.raw[self.section][self.position])

    def problem(self, where: str, message: str) -> Problem:
        """A problem of this record, at its line and the line of its field ``where``."""
        field_path = where if where != "-" else ""
        return Problem(
            self.file.name,
            self.label,
            where,
            message,
            self.file.line(self.section, self.position),
            self.file.line(self.section, self.position, field_path) if field_path else None,
        )


def _label(section: str, index: int, item: Any) -> str:
    """Name a record the way its author would find it: position and id (or ends)."""
    if isinstance(item, dict):
        if isinstance(item.get("id"), str):
            return f"{section}[{index}] (id {short(item['id'])})"
        ends = [
            f"{key} {short(item[key])}"
            for key in ("actor", "character", "episode", "from", "to")
            if isinstance(item.get(key), str)
        ]
        if ends:
            return f"{section}[{index}] ({', '.join(ends)})"
    return f"{section}[{index}]"


def _from_pydantic(
    origin: _Origin, model: type[BaseModel], error: ValidationError
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
                message += f" (got {short(detail['input'])})"
        yield origin.problem(loc, message)


def _suggest(value: str, choices: set[str] | list[str]) -> str:
    """A "did you mean" hint from the closest choice, when one is close enough."""
    best = process.extractOne(value[:100], list(choices), score_cutoff=60)
    return f"; did you mean '{best[0]}'?" if best else ""


# --- all files together -----------------------------------------------------------------------


# The kinds whose records the cross-record checks look up by id (``_Checker.valid``).
_LOOKED_UP = frozenset({NodeKind.SHOW, NodeKind.SEASON, NodeKind.EPISODE, NodeKind.CHARACTER})


@dataclass
class _Checker:
    """Validates each record as its file is added, then checks the records together."""

    dataset: Dataset
    problems: list[Problem] = field(default_factory=list)
    # Every id written per kind (valid or not), so that a reference to a broken
    # record is not reported a second time as "unknown"; the first place of each.
    ids_seen: dict[NodeKind, dict[str, tuple[_File, str, int]]] = field(default_factory=dict)
    # id(record) -> where it was, as an _Origin or its plain tuple
    origins: dict[int, tuple[_File, str, int]] = field(default_factory=dict)
    # The valid records of the kinds in _LOOKED_UP, by id, once all are in.
    valid: dict[NodeKind, dict[str, Any]] = field(default_factory=dict)
    # Sections validated in one call, whose records are not in ``origins`` yet (see ``origin``).
    spans: list[tuple[_File, str, list[Any]]] = field(default_factory=list)
    # The ids of each such section, in order (file name, section) -> ids.
    section_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, _ in NODE_SECTIONS.values():
            self.dataset.nodes[kind] = []
        for section in LINK_SECTIONS:
            self.dataset.links[section] = []

    def add_file(self, file: _File) -> None:
        for section, (kind, model) in NODE_SECTIONS.items():
            seen = self.ids_seen.setdefault(kind, {})
            self.dataset.nodes[kind].extend(self._section(file, section, model, seen))
        for section, link_model in LINK_SECTIONS.items():
            self.dataset.links[section].extend(self._section(file, section, link_model, None))
        history = file.raw.get(HISTORY_SECTION)
        if isinstance(history, list):
            self.dataset.history.extend(history)

    def _section(
        self,
        file: _File,
        section: str,
        model: type[BaseModel],
        seen: dict[str, tuple[_File, str, int]] | None,
    ) -> list[Any]:
        """Validate each record on its own, so one bad record does not hide the others."""
        items = file.raw.get(section)
        if not isinstance(items, list):
            return []  # absent, or reported with the file
        fast = self._fast_section(file, section, model, seen, items)
        if fast is not None:
            return fast
        records: list[Any] = []
        for index, item in enumerate(items):
            origin = _Origin(file, section, index)
            if not isinstance(item, dict):
                self.problems.append(
                    origin.problem("-", f"a record is a mapping of fields, not {_a_value(item)}")
                )
                continue
            record_id = item.get("id")
            if seen is not None and isinstance(record_id, str):
                first = seen.get(record_id)
                if first is not None:
                    self.problems.append(
                        origin.problem(
                            "id",
                            f"duplicate id {short(record_id)} (first defined at "
                            f"{_place(self._first_place(first, record_id), file)})",
                        )
                    )
                    continue
                seen[record_id] = origin
            try:
                record = model.model_validate(item)
            except ValidationError as error:
                self.problems.extend(_from_pydantic(origin, model, error))
                continue
            self.origins[id(record)] = origin
            records.append(record)
        return records

    def _fast_section(
        self,
        file: _File,
        section: str,
        model: type[BaseModel],
        seen: dict[str, tuple[_File, str, int]] | None,
        items: list[Any],
    ) -> list[Any] | None:
        """The section validated a column at a time (``graph_data.columns``), or None.

        None (some record is not plainly valid, or an id is taken) sends the
        section through the record-by-record loop, which words every problem.
        """
        if not items:
            return []
        records = validate_section(model, items)
        if records is None:
            return None
        if seen is not None:
            ids = [item["id"] for item in items]  # as written: duplicates compare raw ids
            if len(set(ids)) != len(ids) or not seen.keys().isdisjoint(ids):
                return None
            # One shared place for the section: the record's position is found
            # only for a duplicate's message (``_first_place``).
            seen.update(dict.fromkeys(ids, (file, section, -1)))
            self.section_ids[(file.name, section)] = ids
        self.spans.append((file, section, records))
        return records

    def _first_place(self, place: tuple[_File, str, int], record_id: str) -> _Origin:
        """Where an id was first written, from its entry in ``ids_seen``."""
        file, section, position = place
        if position < 0:  # a section validated in one call: look the id up in it
            position = self.section_ids[(file.name, section)].index(record_id)
        return _Origin(file, section, position)

    def origin(self, record: Any) -> _Origin:
        """Where a record was written; the records of one-call sections are indexed on first use
        (only a problem needs it, and a million ids cost a second to index)."""
        found = self.origins.get(id(record))
        if found is None:
            for file, section, records in self.spans:
                places = zip(repeat(file), repeat(section), range(len(records)))
                self.origins.update(zip(map(id, records), places, strict=True))
            self.spans.clear()
            found = self.origins[id(record)]
        return _Origin(*found)

    def run(self) -> list[Problem]:
        # Only the kinds the checks look up: the scenes' table alone would be most of a
        # million entries, made for nothing.
        self.valid = {
            kind: dict(zip(map(_ID, records), records, strict=True))
            for kind, records in self.dataset.nodes.items()
            if kind in _LOOKED_UP
        }
        found: list[Problem] = []
        sections = (*self.dataset.nodes.values(), *self.dataset.links.values())
        if not self._references_known(sections):
            for records in sections:
                for record in records:
                    found.extend(self._references(record))
        found.extend(self._numbering())
        found.extend(self._scenes())
        found.extend(self._portrayals())
        found.extend(self._appearances())
        found.extend(self._relationships())
        return found

    def _references_known(self, sections: Iterable[Sequence[Any]]) -> bool:
        """True when every id any record refers to was written somewhere (the usual case).

        Then no record has a reference problem and the per-record walk, which
        words them, is skipped.
        """
        for records in sections:
            for kind, ids in _referenced(records):
                if not self.ids_seen.get(kind, {}).keys() >= set(ids):
                    return False
        return True

    def _references(self, record: Any) -> Iterator[Problem]:
        origin = self.origin(record)
        refs = list(_references(record))
        if isinstance(record, Sourced):
            refs.extend(_source_references(record))
        for field_name, kind, value in refs:
            seen = self.ids_seen.get(kind, {})
            if value not in seen:
                noun = kind.value.lower()
                yield origin.problem(
                    field_name, f"unknown {noun} {short(value)}{_suggest(value, list(seen))}"
                )

    def _numbering(self) -> Iterator[Problem]:
        """Season numbers are unique in a show, episode numbers in a season."""
        for kind, parent, parent_kind in (
            (NodeKind.SEASON, "show", NodeKind.SHOW),
            (NodeKind.EPISODE, "season", NodeKind.SEASON),
        ):
            taken: dict[tuple[str, int], str] = {}
            for record in self.dataset.nodes[kind]:
                slot = (getattr(record, parent), record.number)
                if slot in taken:
                    yield self.origin(record).problem(
                        "number",
                        integrity.number_taken(record.number, parent_kind, slot[0], taken[slot]),
                    )
                else:
                    taken[slot] = record.id

    def _scenes(self) -> Iterator[Problem]:
        """A scene's season is its episode's; its characters belong to its show.

        The shows of episodes, seasons and characters are looked up once in
        dicts (``_show_of_*`` answer the same, a call each): a million scenes
        are checked here.
        """
        episodes = self.valid[NodeKind.EPISODE]
        season_show = {key: season.show for key, season in self.valid[NodeKind.SEASON].items()}
        episode_show = {
            key: season_show[episode.season]
            for key, episode in episodes.items()
            if episode.season in season_show
        }
        shows = self.valid[NodeKind.SHOW]
        character_show = {
            key: character.show
            for key, character in self.valid[NodeKind.CHARACTER].items()
            if character.show in shows
        }
        for scene in self.dataset.nodes[NodeKind.SCENE]:
            if scene.episode is not None:
                episode = episodes.get(scene.episode)
                if (
                    episode is not None
                    and scene.season is not None
                    and episode.season != scene.season
                ):
                    yield self.origin(scene).problem(
                        "season",
                        integrity.scene_season_mismatch(
                            scene.episode, episode.season, scene.season
                        ),
                    )
                show = episode_show.get(scene.episode)
            else:
                show = season_show.get(scene.season or "")
            if show is None:
                continue
            for index, character_id in enumerate(scene.characters):
                own = character_show.get(character_id)
                if own is not None and own != show:
                    yield self.origin(scene).problem(
                        f"characters.{index}",
                        integrity.outside_show(NodeKind.SCENE, scene.id, show, own),
                    )

    def _show_of_character(self, character_id: str) -> str | None:
        """The character's show, when both are valid records (else reported elsewhere)."""
        character = self.valid[NodeKind.CHARACTER].get(character_id)
        show = character.show if character is not None else None
        return show if show in self.valid[NodeKind.SHOW] else None

    def _show_of_episode(self, episode_id: str) -> str | None:
        episode = self.valid[NodeKind.EPISODE].get(episode_id)
        season = self.valid[NodeKind.SEASON].get(episode.season) if episode else None
        return season.show if season else None

    def _show_of_scene(self, scene: SceneRecord) -> str | None:
        if scene.episode is not None:
            return self._show_of_episode(scene.episode)
        season = self.valid[NodeKind.SEASON].get(scene.season or "")
        return season.show if season else None

    def _portrayals(self) -> Iterator[Problem]:
        taken: set[tuple[str, str]] = set()
        for link in self.dataset.links["portrayals"]:
            # ``origin`` only for a problem: the first call indexes every record (a second
            # at a million nodes).
            show = link.show or self._show_of_character(link.character)
            if (link.actor, link.character) in taken:
                yield self.origin(link).problem("character", integrity.duplicate_portrayal())
            taken.add((link.actor, link.character))
            for number, episode_id in enumerate(link.episodes or ()):
                in_show = self._show_of_episode(episode_id)
                if in_show is not None and show is not None and in_show != show:
                    yield self.origin(link).problem(
                        f"episodes.{number}",
                        integrity.outside_show(NodeKind.EPISODE, episode_id, in_show, show),
                    )

    def _appearances(self) -> Iterator[Problem]:
        for link in self.dataset.links["appearances"]:
            own = self._show_of_character(link.character)
            in_show = self._show_of_episode(link.episode)
            if own is not None and in_show is not None and in_show != own:
                yield self.origin(link).problem(
                    "episode", integrity.outside_show(NodeKind.EPISODE, link.episode, in_show, own)
                )

    def _relationships(self) -> Iterator[Problem]:
        for link in self.dataset.links["relationships"]:
            if link.from_ == link.to:
                yield self.origin(link).problem("to", integrity.self_relationship())


def _place(origin: _Origin, seen_from: _File) -> str:
    """Where a record is, for a message about another record: its file only if another one."""
    line = origin.file.line(origin.section, origin.position)
    record = f"{origin.section}[{origin.position}]"
    if origin.file is not seen_from:
        return f"{origin.file.name}:{line}, {record}" if line else f"{origin.file.name}, {record}"
    return f"{record}, line {line}" if line else record


def _source_references(record: Sourced) -> Iterator[tuple[str, NodeKind, str]]:
    for field_name, ids in [
        ("sources", record.sources),
        *((f"fieldSources.{key}", value) for key, value in record.field_sources.items()),
    ]:
        for index, source_id in enumerate(ids):
            yield f"{field_name}.{index}", NodeKind.SOURCE, source_id
    if isinstance(record, SeasonRecord):
        for index, view in enumerate(record.viewership):
            for number, source_id in enumerate(view.sources):
                yield f"viewership.{index}.sources.{number}", NodeKind.SOURCE, source_id


_ID = attrgetter("id")

# What each kind of record refers to: (attribute, field as written, kind of the target).
_REFERENCES: dict[type, tuple[tuple[str, str, NodeKind], ...]] = {
    WorkRecord: (("authors", "authors", NodeKind.CREATOR),),
    ShowRecord: (
        ("based_on", "basedOn", NodeKind.WORK),
        ("creators", "creators", NodeKind.CREATOR),
    ),
    SeasonRecord: (("show", "show", NodeKind.SHOW),),
    EpisodeRecord: (("season", "season", NodeKind.SEASON),),
    SceneRecord: (
        ("episode", "episode", NodeKind.EPISODE),
        ("season", "season", NodeKind.SEASON),
        ("characters", "characters", NodeKind.CHARACTER),
    ),
    CharacterRecord: (("show", "show", NodeKind.SHOW),),
    EventRecord: (("revealed", "revealed", NodeKind.SCENE),),
    PortrayalRecord: (
        ("actor", "actor", NodeKind.ACTOR),
        ("character", "character", NodeKind.CHARACTER),
        ("show", "show", NodeKind.SHOW),
        ("episodes", "episodes", NodeKind.EPISODE),
    ),
    RelationshipRecord: (
        ("from_", "from", NodeKind.CHARACTER),
        ("to", "to", NodeKind.CHARACTER),
    ),
    AppearanceRecord: (
        ("character", "character", NodeKind.CHARACTER),
        ("episode", "episode", NodeKind.EPISODE),
    ),
}


def _references(record: Any) -> Iterator[tuple[str, NodeKind, str]]:
    """Every (field, target kind, id) that a record points at."""
    for attribute, field_name, kind in _REFERENCES.get(type(record), ()):
        value = getattr(record, attribute)
        if isinstance(value, str):
            yield field_name, kind, value
        elif value:
            for index, item in enumerate(value):
                yield f"{field_name}.{index}", kind, item


def _referenced(records: Sequence[Any]) -> Iterator[tuple[NodeKind, Iterable[str]]]:
    """The ids records of one kind refer to, by target kind, without their fields.

    What ``_references`` and ``_source_references`` yield, gathered in C
    (``attrgetter``, ``chain``) rather than one generator per record: at a
    million records the per-record walk took seconds, and it is only needed
    to word a problem.
    """
    if not records:
        return
    model = type(records[0])
    for attribute, _, kind in _REFERENCES.get(model, ()):
        present = [v for v in map(attrgetter(attribute), records) if v is not None]
        if present and isinstance(present[0], str):
            yield kind, present
        else:  # tuples of ids
            yield kind, chain.from_iterable(present)
    if issubclass(model, Sourced):
        yield NodeKind.SOURCE, chain.from_iterable(map(attrgetter("sources"), records))
        yield (
            NodeKind.SOURCE,
            chain.from_iterable(
                chain.from_iterable(r.field_sources.values()) for r in records if r.field_sources
            ),
        )
    if model is SeasonRecord:
        yield NodeKind.SOURCE, (s for r in records for v in r.viewership for s in v.sources)
