"""Reading files safely: no alias expansion, no repeated keys, plain data, lines remembered."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from graph_data.reading import (
    QUOTE_LIMIT,
    JsonLines,
    ReadError,
    field_line,
    item_line,
    line_of,
    read_data,
    read_json,
    read_yaml,
    short,
)

# Nine levels of nine aliases: 9**9 (387 million) strings once expanded, from 400 bytes.
BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ReadError) as caught:
            read_yaml(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "alias" in str(caught.value)
    assert caught.value.line == 2  # the first alias, *a, is on line 2
    assert peak < 5_000_000  # bytes: the document composed, never expanded


def test_a_single_alias_is_refused_too() -> None:
    with pytest.raises(ReadError, match="alias"):
        read_yaml("sources: &s [a]\nshows:\n  - {id: x, sources: *s}\n")


def test_merge_keys_are_refused() -> None:
    with pytest.raises(ReadError, match="merge keys") as caught:
        read_yaml("base: &b {name: x}\nshow:\n  <<: *b\n  id: y\n")
    assert caught.value.line == 3


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['true']\n",
        "x: !!set {a, b}\n",
        "x: !!binary aGVsbG8=\n",
        "x: !custom 1\n",
    ],
)
def test_only_plain_data_is_read(text: str) -> None:
    with pytest.raises(ReadError, match="not plain data"):
        read_yaml(text)


def test_a_repeated_key_names_both_lines() -> None:
    with pytest.raises(ReadError) as caught:
        read_yaml("shows:\n  - id: a\n    name: One\n    name: Two\n")
    assert "'name' is given twice in one mapping (lines 3 and 4)" in str(caught.value)
    assert caught.value.line == 4


def test_a_repeated_key_in_json_names_both_lines() -> None:
    text = '{\n "shows": [\n  {"id": "a",\n   "name": "One",\n   "name": "Two"}\n ]\n}\n'
    with pytest.raises(ReadError) as caught:
        read_json(text)
    assert "'name' is given twice in one object (lines 4, 5)" in str(caught.value)
    assert caught.value.line == 5


def test_scalars_keep_their_written_type() -> None:
    data = read_yaml("a: '5'\nb: 5\nc: 2023-08-03\nd: 1.5\ne: true\nf: null\ng: '2023'\n")
    assert data == {
        "a": "5",
        "b": 5,
        "c": "2023-08-03",
        "d": 1.5,
        "e": True,
        "f": None,
        "g": "2023",
    }


def test_yaml_remembers_the_line_of_each_record_and_field() -> None:
    data = read_yaml("format: x\nshows:\n  - id: a\n    name: A\n  - id: b\n\n    name: B\n")
    shows = data["shows"]
    assert (line_of(shows), item_line(shows, 0), item_line(shows, 1)) == (3, 3, 5)
    assert (field_line(shows[1], "id"), field_line(shows[1], "name")) == (5, 7)


def test_json_lines_are_found_by_a_second_pass() -> None:
    text = json.dumps({"format": "x", "shows": [{"id": "a"}, {"id": "b", "name": "B"}]}, indent=1)
    located = JsonLines(text).locate()
    assert located == json.loads(text)
    lines = text.splitlines()
    second = located["shows"][1]
    assert lines[line_of(second) - 1].strip() == "{"
    assert lines[field_line(second, "name") - 1].strip() == '"name": "B"'


def test_invalid_json_and_yaml_say_where() -> None:
    with pytest.raises(ReadError) as caught:
        read_json('{"a": [1,\n 2,,]}')
    assert (str(caught.value).startswith("invalid JSON at line 2"), caught.value.line) == (True, 2)
    with pytest.raises(ReadError) as caught:
        read_yaml("a: [1,\n")
    assert str(caught.value).startswith("invalid YAML at line 2")


def test_quoted_values_are_cut_short() -> None:
    assert short("x" * 10_000) == repr("x" * (QUOTE_LIMIT - 4))[:-1] + "..."
    assert len(short("x" * 10_000)) == QUOTE_LIMIT
    assert short("ok") == "'ok'"


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="file not found"):
        read_data(tmp_path / "absent.yaml")
    with pytest.raises(ReadError, match="is a directory"):
        read_data(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: Ren\xe9e\n")
    with pytest.raises(ReadError, match="not UTF-8"):
        read_data(latin)
