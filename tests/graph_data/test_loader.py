"""Loading dataset files: every kind of mistake is reported with file, record and field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph_data import BUILTIN_DATASET, DatasetError, Problem, check_dataset, load_dataset, loader
from graph_data.kinds import NodeKind
from graph_data.loader import BUILTIN_DATASETS

BASE: dict[str, Any] = {
    "format": "showgraph/1",
    "sources": [{"id": "src", "kind": "ARTICLE", "title": "An article"}],
    "shows": [{"id": "show", "name": "A Show", "sources": ["src"]}],
    "seasons": [
        {"id": "show-s1", "show": "show", "number": 1, "status": "RELEASED", "sources": ["src"]}
    ],
    "episodes": [
        {"id": "show-s1e1", "season": "show-s1", "number": 1, "title": "Pilot", "sources": ["src"]}
    ],
    "characters": [{"id": "nick-nelson", "show": "show", "name": "Nick", "sources": ["src"]}],
    "actors": [{"id": "kit-connor", "name": "Kit Connor", "sources": ["src"]}],
    "portrayals": [
        {"actor": "kit-connor", "character": "nick-nelson", "role": "MAIN", "sources": ["src"]}
    ],
}


def write(tmp_path: Path, data: Any, name: str = "show.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, data: Any) -> list[Problem]:
    _, problems = check_dataset(write(tmp_path, data))
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_builtin_dataset_is_valid() -> None:
    dataset = load_dataset(BUILTIN_DATASET)
    assert dataset.nodes


def test_a_valid_minimal_file_loads(tmp_path: Path) -> None:
    assert problems_for(tmp_path, BASE) == []


def test_unknown_reference_names_the_id_and_suggests_the_closest(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["portrayals"][0]["character"] = "nick-nelsen"
    problem = only(problems_for(tmp_path, data))
    assert problem.file.endswith("show.yaml")
    assert problem.record == "portrayals[0] (actor 'kit-connor', character 'nick-nelsen')"
    assert problem.field == "character"
    assert problem.message == "unknown character 'nick-nelsen'; did you mean 'nick-nelson'?"


def test_duplicate_id_points_at_the_first_definition(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["actors"].append({"id": "kit-connor", "name": "Someone", "sources": ["src"]})
    problem = only(problems_for(tmp_path, data))
    assert problem.record == "actors[1] (id 'kit-connor')"
    assert problem.field == "id"
    assert problem.message == "duplicate id 'kit-connor' (first defined at actors[0], line 32)"


def test_wrong_type_names_the_field_and_the_value(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["episodes"][0]["number"] = "one"
    problem = only(problems_for(tmp_path, data))
    assert problem.record == "episodes[0] (id 'show-s1e1')"
    assert problem.field == "number"
    assert "valid integer" in problem.message
    assert "'one'" in problem.message


def test_missing_required_field(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    del data["episodes"][0]["number"]
    problem = only(problems_for(tmp_path, data))
    assert (problem.record, problem.field, problem.message) == (
        "episodes[0] (id 'show-s1e1')",
        "number",
        "missing required field",
    )


def test_record_without_a_source(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["actors"][0]["sources"] = []
    problem = only(problems_for(tmp_path, data))
    assert problem.record == "actors[0] (id 'kit-connor')"
    assert problem.field == "sources"
    assert "at least one source" in problem.message


def test_link_without_a_source(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    del data["portrayals"][0]["sources"]
    problem = only(problems_for(tmp_path, data))
    assert problem.record == "portrayals[0] (actor 'kit-connor', character 'nick-nelson')"
    assert (problem.field, problem.message) == ("sources", "missing required field")


def test_unknown_source_is_an_unknown_reference(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["shows"][0]["fieldSources"] = {"name": ["scr"]}
    problem = only(problems_for(tmp_path, data))
    assert (problem.field, problem.message) == (
        "fieldSources.name.0",
        "unknown source 'scr'; did you mean 'src'?",
    )


def test_field_sources_must_name_a_real_field(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["shows"][0]["fieldSources"] = {"nmae": ["src"]}
    problem = only(problems_for(tmp_path, data))
    assert "fieldSources names 'nmae'" in problem.message


def test_unknown_field_suggests_the_intended_one(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["seasons"][0]["premierDate"] = "2022-04-22"
    problem = only(problems_for(tmp_path, data))
    assert problem.field == "premierDate"
    assert problem.message == "unknown field; did you mean 'premiereDate'?"


def test_bad_date_and_enum(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["seasons"][0]["premiereDate"] = "2022-13"
    data["seasons"][0]["status"] = "AIRED"
    problems = problems_for(tmp_path, data)
    assert {p.field for p in problems} == {"premiereDate", "status"}
    assert any("month 13" in p.message for p in problems)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["episodes"][0]["season"] = "nope"
    data["actors"][0]["sources"] = []
    data["portrayals"][0]["role"] = "STAR"
    problems = problems_for(tmp_path, data)
    assert [(p.record.split(" ")[0], p.field) for p in problems] == [  # in file order
        ("episodes[0]", "season"),
        ("actors[0]", "sources"),
        ("portrayals[0]", "role"),
    ]


def test_numbers_are_unique_within_their_parent(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["episodes"].append(
        {"id": "show-s1e1b", "season": "show-s1", "number": 1, "title": "Again", "sources": ["src"]}
    )
    problem = only(problems_for(tmp_path, data))
    assert problem.record == "episodes[1] (id 'show-s1e1b')"
    assert problem.message == "number 1 is already used in season 'show-s1' by 'show-s1e1'"


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("format: showgraph/1\nshows: [\n", encoding="utf-8")
    problem = only(check_dataset(path)[1])
    assert problem.file == str(path)
    assert problem.message.startswith("invalid YAML at line 3")


def test_missing_file(tmp_path: Path) -> None:
    problem = only(check_dataset(tmp_path / "absent.yaml")[1])
    assert problem.message == "file not found"


def test_json_files_load_too(tmp_path: Path) -> None:
    import json

    path = tmp_path / "show.json"
    path.write_text(json.dumps(BASE), encoding="utf-8")
    assert check_dataset(path)[1] == []


def test_load_dataset_raises_with_every_problem(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["format"] = "other/9"
    data["extra"] = []
    with pytest.raises(DatasetError) as caught:
        load_dataset(write(tmp_path, data))
    assert len(caught.value.problems) == 2
    assert "unknown section" in str(caught.value)


def test_an_impossible_date_is_a_problem_of_its_record(tmp_path: Path) -> None:
    path = tmp_path / "show.yaml"
    text = yaml.safe_dump(BASE, sort_keys=False).replace(
        "status: RELEASED", "status: RELEASED\n  premiereDate: 2024-13-12"
    )
    path.write_text(text, encoding="utf-8")
    problem = only(check_dataset(path)[1])
    assert (problem.record, problem.field) == ("seasons[0] (id 'show-s1')", "premiereDate")
    assert problem.message == "'2024-13-12' has month 13; months run from 01 to 12"


# --- lines, strict values, whole-file problems ---------------------------------------------


def test_a_problem_names_the_line_of_its_record_and_its_field(tmp_path: Path) -> None:
    path = tmp_path / "show.yaml"
    text = yaml.safe_dump(BASE, sort_keys=False).replace("role: MAIN", "role: REGULAR")
    path.write_text(text, encoding="utf-8")
    problem = only(check_dataset(path)[1])
    lines = text.splitlines()
    assert lines[problem.line - 1].startswith("- actor: kit-connor")
    assert lines[problem.field_line - 1].strip() == "role: REGULAR"
    assert str(problem).startswith(
        f"{path}:{problem.line}: portrayals[0] (actor 'kit-connor', character 'nick-nelson'): "
        f"field 'role' (line {problem.field_line}): Input should be"
    )


def test_json_problems_name_their_lines_too(tmp_path: Path) -> None:
    import json

    data = copy.deepcopy(BASE)
    data["seasons"][0]["number"] = -1
    path = tmp_path / "show.json"
    text = json.dumps(data, indent=2)
    path.write_text(text, encoding="utf-8")
    problem = only(check_dataset(path)[1])
    assert text.splitlines()[problem.field_line - 1].strip() == '"number": -1,'
    assert text.splitlines()[problem.line - 1].strip() == "{"


def test_a_quoted_number_is_text_not_a_number(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["episodes"][0]["number"] = "5"
    problem = only(problems_for(tmp_path, data))
    assert (problem.field, problem.message) == (
        "number",
        "Input should be a valid integer (got '5')",
    )


@pytest.mark.parametrize(
    ("field", "value"), [("releasedAllAtOnce", "yes"), ("episodeCount", "8"), ("number", 1.5)]
)
def test_numbers_and_flags_are_not_converted(tmp_path: Path, field: str, value: Any) -> None:
    data = copy.deepcopy(BASE)
    data["seasons"][0][field] = value
    assert only(problems_for(tmp_path, data)).field == field


def test_a_long_value_is_quoted_short(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["seasons"][0]["status"] = "X" * 100_000
    problem = only(problems_for(tmp_path, data))
    assert len(str(problem)) < 400
    assert "XXX..." in problem.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty, not a dataset"),
        ("- a\n- b\n", "the file holds a list, not a dataset"),
        ("shows: []\n", "the file does not say its format: start it with 'format: showgraph/1'"),
        ("format: showgraph/1\nshows: {id: x}\n", "a section is a list of records, not a mapping"),
    ],
)
def test_a_whole_file_problem_says_what_is_wrong_in_words(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "show.yaml"
    path.write_text(text, encoding="utf-8")
    problem = only(check_dataset(path)[1])
    assert words in problem.message
    assert "field '-'" not in str(problem)
    assert "None" not in str(problem)


def test_an_unknown_episode_title_stays_unknown(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    del data["episodes"][0]["title"]
    dataset = load_dataset(write(tmp_path, data))
    assert dataset.nodes[NodeKind.EPISODE][0].title is None


# --- a character stays in its show -------------------------------------------------------------

OTHER_SHOW: dict[str, Any] = {
    "format": "showgraph/1",
    "shows": [{"id": "other", "name": "Other", "sources": ["src"]}],
    "seasons": [
        {"id": "other-s1", "show": "other", "number": 1, "status": "RELEASED", "sources": ["src"]}
    ],
    "episodes": [{"id": "other-s1e1", "season": "other-s1", "number": 1, "sources": ["src"]}],
}


def test_an_appearance_in_another_shows_episode_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    for section in ("shows", "seasons", "episodes"):
        data[section] += OTHER_SHOW[section]
    data["appearances"] = [
        {"character": "nick-nelson", "episode": "other-s1e1", "sources": ["src"]}
    ]
    problem = only(problems_for(tmp_path, data))
    assert (problem.field, problem.message) == (
        "episode",
        "episode 'other-s1e1' is in show 'other', not in show 'show'",
    )


def test_a_scene_with_a_character_of_another_show_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    for section in ("shows", "seasons", "episodes"):
        data[section] += OTHER_SHOW[section]
    data["scenes"] = [
        {
            "id": "crossover",
            "episode": "other-s1e1",
            "summary": "Nick walks into the wrong show.",
            "characters": ["nick-nelson"],
            "sources": ["src"],
        }
    ]
    problem = only(problems_for(tmp_path, data))
    assert (problem.field, problem.message) == (
        "characters.0",
        "scene 'crossover' is in show 'other', not in show 'show'",
    )


# --- several files, one graph ------------------------------------------------------------------


def test_files_load_as_one_dataset_with_references_across_them(tmp_path: Path) -> None:
    first = write(tmp_path, BASE, "a.yaml")
    other = copy.deepcopy(OTHER_SHOW)  # cites 'src', a source of the first file
    other["portrayals"] = []
    other["characters"] = [{"id": "tom", "show": "other", "name": "Tom", "sources": ["src"]}]
    other["portrayals"] = [  # kit-connor is an actor of the first file
        {"actor": "kit-connor", "character": "tom", "role": "GUEST", "sources": ["src"]}
    ]
    second = write(tmp_path, other, "b.yaml")
    dataset = load_dataset([first, second])
    assert [show.id for show in dataset.nodes[NodeKind.SHOW]] == ["show", "other"]
    assert len(dataset.links["portrayals"]) == 2
    _, alone = check_dataset(second)
    assert {p.message for p in alone} >= {"unknown source 'src'", "unknown actor 'kit-connor'"}


def test_an_id_defined_in_two_files_names_both(tmp_path: Path) -> None:
    first = write(tmp_path, BASE, "a.yaml")
    again = {
        "format": "showgraph/1",
        "actors": [{"id": "kit-connor", "name": "K", "sources": ["src"]}],
    }
    second = write(tmp_path, again, "b.yaml")
    problem = only(check_dataset([first, second])[1])
    assert problem.file == str(second)
    assert problem.message.startswith(f"duplicate id 'kit-connor' (first defined at {first}:")


def test_a_directory_loads_its_dataset_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, OTHER_SHOW, "2-other.yml")
    write(tmp_path, BASE, "1-base.yaml")
    (tmp_path / "notes.txt").write_text("not a dataset", encoding="utf-8")
    dataset = load_dataset(tmp_path)
    assert [show.id for show in dataset.nodes[NodeKind.SHOW]] == ["show", "other"]


def test_a_directory_without_dataset_files_is_a_problem(tmp_path: Path) -> None:
    problem = only(check_dataset(tmp_path)[1])
    assert problem.message == "a directory without dataset files (*.yaml, *.yml or *.json)"


def test_the_builtin_dataset_is_a_directory_a_second_show_can_join() -> None:
    assert BUILTIN_DATASETS.is_dir()
    assert BUILTIN_DATASET.parent == BUILTIN_DATASETS
    assert load_dataset(BUILTIN_DATASETS).nodes == load_dataset(BUILTIN_DATASET).nodes


def test_text_no_store_can_keep_is_refused_as_in_an_edit(tmp_path: Path) -> None:
    """The loader applies the edits' rule: a NUL (YAML's "\\0") is named, not loaded."""
    data = copy.deepcopy(BASE)
    data["actors"][0]["name"] = "Kit\x00Connor"
    problem = only(problems_for(tmp_path, data))
    assert (problem.record, problem.field) == ("actors[0] (id 'kit-connor')", "name")
    assert "NUL character" in problem.message


def test_a_valid_dataset_never_asks_where_a_record_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a record was is found only for a problem: the first ask indexes every record
    (a second at a million nodes), so a valid load must not ask for any."""

    def never(self: Any, record: Any) -> None:
        raise AssertionError(f"asked where {record!r} was, though nothing is wrong")

    monkeypatch.setattr(loader._Checker, "origin", never)
    dataset, problems = check_dataset(BUILTIN_DATASETS)
    assert problems == []
    assert dataset.links["portrayals"], "the built-in dataset has portrayals to check"
