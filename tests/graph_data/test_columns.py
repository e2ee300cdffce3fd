"""The loader's one-call validation of a section against pydantic's record by record.

``graph_data.columns.validate_section`` must never accept a section that
``model_validate`` refuses a record of, and must build the very records it
builds. Records come from ``graph_data.generate`` (valid), then Hypothesis
breaks some of them in the ways a hand-written file goes wrong: a value of
the wrong type, empty or padded text, a NUL or a lone surrogate, text over
its length limit, a bad id, a missing or unknown field, a snake_case name,
an empty source list, an unknown ``fieldSources`` key, a scene placed
nowhere. The whole loader is then compared with itself with the fast path
switched off: the same problems (message and location) and the same records.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from graph_data import check_dataset, columns, loader
from graph_data.generate import Shape, generate
from graph_data.records import LINK_SECTIONS, NAME_MAX, NODE_SECTIONS, SHORT_TEXT_MAX
from tests.profiles import profile

PROFILE = profile("columns", 300, 2000, [HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
# The whole loader twice per example: fewer examples, over a smaller dataset.
LOADER_PROFILE = settings(PROFILE, max_examples=PROFILE.max_examples // 8)

MODELS: dict[str, type[BaseModel]] = {
    **{section: model for section, (_, model) in NODE_SECTIONS.items()},
    **LINK_SECTIONS,
}
DATASET: dict[str, Any] = generate(3, seed=11)
# Two small shows: cross-show rules (a scene's characters, a portrayal's episodes) can break.
SMALL: dict[str, Any] = generate(2, seed=5, shape=Shape(seasons=(1, 2), scenes=(2, 4)))

# Values a hand-written record gets wrong; each replaces one field's value.
ODD_VALUES: list[Any] = [
    None,
    "",
    "   ",
    "  padded  ",
    " padded-id ",
    "bad id!",
    "-starts-with-dash",
    "nul\x00inside",
    "lone \ud800 surrogate",
    "a literal \\u0000 escape",
    "x" * (NAME_MAX + 1),
    "y" * (SHORT_TEXT_MAX + 1),
    "ok",
    "MAIN",
    "SCENE",
    "STILL",
    "DATING",
    "lower_case_kind",
    "2022",
    "2022-09",
    "2022-13",
    "2022-02-30",
    5,
    0,
    -1,
    1.5,
    2**70,
    True,
    "5",
    [],
    ["ok"],
    ["bad id!"],
    ["nul\x00"],
    [""],
    {},
    {"sources": ["x"]},
    {"name": ["article"]},
    {"colour": ["article"]},
    {"name": []},
    {1: "a"},
]


def _keys(section: str) -> list[str]:
    """Every key a record of the section can have (its aliases), and some it cannot."""
    model = MODELS[section]
    aliases = [info.alias or name for name, info in model.model_fields.items()]
    snake = [name for name in model.model_fields if name not in aliases]
    return [*aliases, *snake, "colour"]


@st.composite
def broken(draw: st.DrawFn, record: Any, section: str) -> Any:
    """The record with up to three things wrong with it (or none)."""
    if not isinstance(record, dict):
        return record
    record = copy.deepcopy(record)
    keys = _keys(section)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "set", "set", "drop", "rename"]))
        key = draw(st.sampled_from(keys))
        if action == "set":
            record[key] = draw(st.sampled_from(ODD_VALUES))
        elif action == "drop":
            record.pop(key, None)
        elif key in record:  # snake_case or unknown name for a field
            value = record.pop(key)
            record[draw(st.sampled_from(keys))] = value
    if draw(st.integers(0, 20)) == 0:
        return draw(st.sampled_from(["a string", 3, None, ["a", "list"]]))
    return record


@st.composite
def section_items(draw: st.DrawFn) -> tuple[str, list[Any]]:
    section = draw(st.sampled_from(sorted(s for s in MODELS if DATASET.get(s))))
    originals = DATASET[section]
    picked = draw(st.lists(st.sampled_from(originals), min_size=1, max_size=5))
    return section, [draw(broken(item, section)) for item in picked]


def _one_by_one(model: type[BaseModel], items: list[Any]) -> list[Any] | None:
    """What the record path makes of the section: every record, or None if one is refused."""
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError:
        return None


def _same(got: list[Any], expected: list[Any]) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert type(a) is type(b)
        assert a == b
        assert a.model_fields_set == b.model_fields_set
        assert a.model_dump() == b.model_dump()


@PROFILE
@given(drawn=section_items())
def test_a_section_is_accepted_only_as_pydantic_accepts_each_record(
    drawn: tuple[str, list[Any]],
) -> None:
    section, items = drawn
    model = MODELS[section]
    expected = _one_by_one(model, items)
    got = columns.validate_section(model, items)
    event("refused" if expected is None else "fast" if got is not None else "record path")
    if expected is None:
        assert got is None, "the fast path accepted a section pydantic refuses"
    elif got is not None:
        _same(got, expected)


@pytest.mark.parametrize("section", sorted(s for s in MODELS if DATASET.get(s)))
def test_valid_generated_sections_take_the_fast_path(section: str) -> None:
    model = MODELS[section]
    items = DATASET[section]
    got = columns.validate_section(model, items)
    assert got is not None, f"{section}: valid records fell back to the record path"
    _same(got, [model.model_validate(item) for item in items])


def test_padded_text_is_stripped_and_padded_ids_accepted_as_pydantic_does() -> None:
    model = MODELS["characters"]
    item = {**DATASET["characters"][0], "name": "  Elle  ", "id": "  elle-argent "}
    got = columns.validate_section(model, [item])
    assert got is not None
    assert (got[0].name, got[0].id) == ("Elle", "elle-argent")
    _same(got, [model.model_validate(item)])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "nul\x00"),
        ("name", "lone \udc00"),
        ("aliases", ["ok", "nul\x00"]),
        ("name", "x" * (NAME_MAX + 1)),
        ("id", "bad id"),
        ("id", "two\nlines"),
        ("sources", []),
        ("fieldSources", {"colour": ["article"]}),
    ],
)
def test_what_the_record_path_refuses_the_fast_path_leaves_to_it(field: str, value: Any) -> None:
    model = MODELS["characters"]
    item = {**DATASET["characters"][0], field: value}
    assert _one_by_one(model, [item]) is None
    assert columns.validate_section(model, [item]) is None


def test_a_scene_placed_nowhere_is_left_to_the_record_path() -> None:
    model = MODELS["scenes"]
    item = {k: v for k, v in DATASET["scenes"][0].items() if k not in ("episode", "season")}
    assert _one_by_one(model, [item]) is None
    assert columns.validate_section(model, [item]) is None


# --- the whole loader, with and without the fast path ---------------------------------------


@st.composite
def broken_datasets(draw: st.DrawFn) -> dict[str, Any]:
    """The generated dataset with a few records broken, moved or copied between sections."""
    data = copy.deepcopy(SMALL)
    sections = sorted(s for s in MODELS if data.get(s))
    for _ in range(draw(st.integers(0, 4))):
        section = draw(st.sampled_from(sections))
        items = data[section]
        index = draw(st.integers(0, len(items) - 1))
        choice = draw(st.sampled_from(["break", "break", "copy", "swap"]))
        if choice == "break":
            items[index] = draw(broken(items[index], section))
        elif choice == "copy":  # a duplicate id, or a duplicate link
            items.append(copy.deepcopy(items[index]))
        elif isinstance(items[index], dict):  # a value from another record: wrong references
            other = draw(st.sampled_from(items))
            key = draw(st.sampled_from(_keys(section)))
            if isinstance(other, dict) and key in other:
                items[index][key] = copy.deepcopy(other[key])
    return data


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("columns")) / "dataset.json"


def _check(path: Path) -> tuple[list[str], list[Any], dict[str, list[Any]]]:
    dataset, problems = check_dataset(path)
    nodes = {kind.value: records for kind, records in dataset.nodes.items()}
    return [str(p) for p in problems], problems, {**nodes, **dataset.links}


def _without_fast_path() -> Any:
    return pytest.MonkeyPatch.context()


@LOADER_PROFILE
@given(data=broken_datasets())
def test_the_loader_says_the_same_with_and_without_the_fast_path(
    dataset_file: Path, data: dict[str, Any]
) -> None:
    """Same problems, in the same order, with the same words and lines; the same records."""
    try:
        dataset_file.write_text(json.dumps(data, indent=1), encoding="utf-8")
    except UnicodeEncodeError:  # a lone surrogate cannot be written as UTF-8 text
        dataset_file.write_text(json.dumps(data, indent=1, ensure_ascii=True), encoding="utf-8")
    fast = _check(dataset_file)
    with _without_fast_path() as patch:
        patch.setattr(loader, "validate_section", lambda model, items: None)
        slow = _check(dataset_file)
    event("problems" if slow[0] else "no problem")
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    assert fast[2].keys() == slow[2].keys()
    for section in fast[2]:
        _same(fast[2][section], slow[2][section])


def test_the_generated_dataset_loads_the_same_with_and_without_the_fast_path(
    dataset_file: Path,
) -> None:
    dataset_file.write_text(json.dumps(DATASET), encoding="utf-8")
    fast_sections: list[str] = []

    def spy(model: type[BaseModel], items: list[Any]) -> list[Any] | None:
        found = columns.validate_section(model, items)
        if found is not None:
            fast_sections.append(model.__name__)
        return found

    with _without_fast_path() as patch:
        patch.setattr(loader, "validate_section", spy)
        fast = _check(dataset_file)
    assert len(fast_sections) == len([s for s in MODELS if DATASET.get(s)])
    with _without_fast_path() as patch:
        patch.setattr(loader, "validate_section", lambda model, items: None)
        slow = _check(dataset_file)
    assert fast[0] == slow[0] == []
    for section in fast[2]:
        _same(fast[2][section], slow[2][section])
