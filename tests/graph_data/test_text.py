"""Tests for graph_data.text: the fold that makes names comparable."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_data import text
from graph_data.text import fold, tokens


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Charlie Spring", "charlie spring"),
        ("ÉLLE", "elle"),
        ("Crème  Brûlée", "creme brulee"),
        ("Truth/Dare", "truth dare"),
        ("heartstopper-s2e6", "heartstopper s2e6"),
        ("O'Brien", "obrien"),
        ("Netflix\u2019s", "netflixs"),
        ("Straße", "strasse"),
        ("\ufb01ne", "fine"),  # the "fi" ligature
        ("snake_case", "snake case"),
        ("  a \t b\n", "a b"),
        ("", ""),
        (" \t ", ""),
        ("-/-!", ""),
    ],
)
def test_fold_examples(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_tokens_are_the_folded_words() -> None:
    assert tokens("Heartstopper 2: Truth/Dare") == ["heartstopper", "2", "truth", "dare"]
    assert tokens("Nick nick NICK") == ["nick", "nick", "nick"]
    assert tokens("  ") == []


def test_docstring_examples_run() -> None:
    assert doctest.testmod(text).failed == 0


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fold_is_idempotent_and_tidy(raw: str) -> None:
    folded = fold(raw)
    assert fold(folded) == folded
    assert folded == folded.strip()
    assert "  " not in folded
    assert "_" not in folded
    assert all(ch.isalnum() for word in folded.split() for ch in word)
    assert tokens(raw) == folded.split()


_LATIN = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzàéîõüçñ -/'"), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_LATIN)
def test_fold_ignores_case_for_latin_text(raw: str) -> None:
    assert fold(raw.upper()) == fold(raw) == fold(raw.title())
