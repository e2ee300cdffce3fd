"""Reading files safely: no alias expansion, no repeated keys, plain data, lines remembered."""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from graph_data.reading import (
    QUOTE_LIMIT,
    JsonLines,
    ReadError,
    _read_json_exactly,
    field_line,
    item_line,
    line_of,
    read_data,
    read_json,
    read_yaml,
    short,
)
from tests.profiles import profile

PROFILE = profile("reading", 1500, 20000, [HealthCheck.too_slow])

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


# --- JSON texts as people and tools write them, and as they get them wrong ----------------

# A few keys, so that a key is often given twice, also spelt with an escape ("\u0061" is "a").
_KEYS = st.sampled_from(['"a"', '"b"', '"\\u0061"', '""', '"id"', '"\\u00e9"', '"é"'])
_SPACE = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n", "  "])
_CHARACTERS = st.one_of(
    st.text(st.characters(blacklist_characters='"\\', blacklist_categories=["Cs"]), max_size=4),
    st.sampled_from(
        [
            *(f"\\{c}" for c in '"\\/bfnrt'),
            "\\u0000",
            "\\u001f",
            "\\u0041",
            "\\uD83D\\uDE00",  # a pair: one character
            "\\ud800",  # lone surrogates: read by the standard library only
            "\\udc00x",
            "\\ud800\\u0041",
            "\\u12",  # cut short
            "\\x",  # no such escape
            "\t",  # a raw control character: refused by both
            "\x7f",
            "\u2028",
        ]
    ),
)
_STRINGS = st.lists(_CHARACTERS, max_size=4).map(lambda parts: '"' + "".join(parts) + '"')
_NUMBERS = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(["-0", "-0.0", "1e400", "-1e400", "1e-400", "123456789012345678901234567"]),
    st.floats(allow_nan=False).map(repr).filter(lambda text: text not in ("inf", "-inf")),
)
_WORDS = st.sampled_from(["true", "false", "null", "NaN", "Infinity", "-Infinity"])


def _json_texts() -> st.SearchStrategy[str]:
    def containers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        member = st.tuples(_SPACE, _KEYS, _SPACE, inner).map(lambda m: f"{m[0]}{m[1]}{m[2]}:{m[3]}")
        return st.one_of(
            st.lists(member, max_size=4).map(lambda members: "{" + ",".join(members) + "}"),
            st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        )

    value = st.recursive(st.one_of(_STRINGS, _NUMBERS, _WORDS), containers, max_leaves=12)
    spaced = st.tuples(_SPACE, value, _SPACE).map("".join)
    deep = st.integers(150, 400).map(lambda depth: "[" * depth + "]" * depth)
    # A byte order mark, a form feed (not JSON's space), a trailing comma, a stray brace,
    # numbers and words that are not JSON's.
    damage = st.sampled_from(
        ["\ufeff", "\x0c", ",", "}", "x", "01", "1.", ".5", "+1", "-", "0x10", "nul", "True"]
    )
    damaged = st.tuples(spaced, damage, st.integers(0, 200)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    )
    return st.one_of(spaced, spaced, spaced, damaged, deep)


def _outcome(read: Any, text: str) -> tuple[Any, ...]:
    try:
        return ("read", _exact(read(text)))
    except ReadError as error:
        return ("refused", str(error), error.line)


def _exact(value: Any) -> Any:
    """``value`` with its types spelt out, so 1, 1.0 and True differ, and NaN equals NaN."""
    if isinstance(value, dict):
        return ("dict", [(key, _exact(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_exact(item) for item in value])
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    return (type(value).__name__, value)


@PROFILE
@given(_json_texts())
def test_json_is_read_as_the_standard_library_reads_it(text: str) -> None:
    """jiter's fast path never changes what a text reads as, nor the error it gets."""
    assert _outcome(read_json, text) == _outcome(_read_json_exactly, text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "\\u0061": 2}',  # the same key, spelt two ways
        '"\\ud800"',  # a lone surrogate, which jiter refuses
        "[" * 300 + "]" * 300,  # deeper than jiter reads
        '{"id": "\\u00e9", "n": 12345678901234567890123, "x": -0.0, "y": 1e400}',  # read by both
    ],
)
def test_texts_at_the_edges_of_what_jiter_reads_read_as_before(text: str) -> None:
    assert _outcome(read_json, text) == _outcome(_read_json_exactly, text)
