"""Tokens: parsing the settings, and naming the writer of a request."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.auth import Tokens, load_tokens, parse_tokens

ALICE = "alice-token-0123456789"
BOB = "bob-token-abcdefghijkl"


def test_the_writer_is_the_name_of_the_matching_token() -> None:
    tokens = Tokens({"alice": ALICE, "bob": BOB})
    assert tokens.writer(f"Bearer {BOB}") == "bob"
    assert tokens.writer(f"bearer  {ALICE} ") == "alice"
    for header in [None, "", ALICE, f"Basic {ALICE}", "Bearer ", f"Bearer {ALICE}x", "Bearer x"]:
        assert tokens.writer(header) is None


def test_tokens_never_show_in_their_repr() -> None:
    tokens = Tokens({"alice": ALICE})
    assert ALICE not in repr(tokens)
    assert repr(tokens) == "Tokens(names=['alice'])"


def test_inline_and_file_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"# writers\nbob = {BOB}\n\n", encoding="utf-8")
    tokens = load_tokens(f"alice={ALICE}", path)
    assert dict(tokens.by_name) == {"alice": ALICE, "bob": BOB}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["alice"], "SETTING, entry 1: expected name=token"),
        (["alice=short"], "SETTING, entry 1: the token of 'alice' is shorter than 16 characters"),
        ([f"alice={ALICE}", f"alice={BOB}"], "SETTING, entry 2: 'alice' has a token already"),
    ],
)
def test_bad_entries_say_where(lines: list[str], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(") + "$"):
        parse_tokens(lines, "SETTING")


def test_missing_tokens_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"tokens file .*absent: No such file or directory"):
        load_tokens("", tmp_path / "absent")
