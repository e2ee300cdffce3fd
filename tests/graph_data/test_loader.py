"""Loading dataset files: every kind of mistake is reported with file, record and field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph_data import BUILTIN_DATASET, DatasetError, Problem, check_dataset, load_dataset

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
    assert problem.message == "duplicate id 'kit-connor' (first defined at actors[0])"


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
    del data["episodes"][0]["title"]
    problem = only(problems_for(tmp_path, data))
    assert (problem.record, problem.field, problem.message) == (
        "episodes[0] (id 'show-s1e1')",
        "title",
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
        "fieldSources.name",
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
    assert [(p.record.split(" ")[0], p.field) for p in problems] == [
        ("actors[0]", "sources"),
        ("portrayals[0]", "role"),
        ("episodes[0]", "season"),
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
