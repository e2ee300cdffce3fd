"""The integrity rules: one wording each, whichever path (dataset, mutation, import) meets them."""

from __future__ import annotations

import pytest

from graph_data import integrity
from graph_data.kinds import NodeKind, Relation


@pytest.mark.parametrize("value", ["heartstopper", "s1e2", "a.b_c-d", "9"])
def test_valid_ids(value: str) -> None:
    assert integrity.id_problem(value) is None


@pytest.mark.parametrize("value", ["", "-x", "has space", "é", "a/b", "-" + "x" * 500])
def test_invalid_ids_are_quoted_short(value: str) -> None:
    problem = integrity.id_problem(value)
    assert problem is not None
    assert "is not a valid id" in problem
    assert len(problem) < 200


def test_relation_ends() -> None:
    assert (
        integrity.end_problems(Relation.PORTRAYS, NodeKind.ACTOR, NodeKind.CHARACTER, same=False)
        == []
    )
    assert integrity.end_problems(Relation.HAS_SEASON, NodeKind.ACTOR, NodeKind.EPISODE, True) == [
        ("from", "HAS_SEASON starts at a show, not at an actor"),
        ("to", "HAS_SEASON ends at a season, not at an episode"),
        ("to", "a node cannot be linked to itself"),
    ]


def test_one_parent() -> None:
    assert integrity.parent_count_problem(NodeKind.EPISODE, 1) is None
    assert integrity.parent_count_problem(NodeKind.ACTOR, 0) is None  # actors have none
    assert integrity.parent_count_problem(NodeKind.SCENE, 2) == (
        "a scene needs exactly one parent (an episode or a season, through HAS_SCENE); it has 2"
    )


def test_names_read_the_same_for_ids_and_keys() -> None:
    assert integrity.number_taken(2, NodeKind.SEASON, "hs-s1", "hs-s1e2") == (
        "number 2 is already used in season 'hs-s1' by 'hs-s1e2'"
    )
    assert integrity.number_taken(2, NodeKind.SEASON, "season:hs-s1", "episode:hs-s1e2") == (
        "number 2 is already used in 'season:hs-s1' by 'episode:hs-s1e2'"
    )
    assert integrity.outside_show(NodeKind.EPISODE, "o-s1e1", "other", "hs") == (
        "episode 'o-s1e1' is in show 'other', not in show 'hs'"
    )


@pytest.mark.parametrize(
    ("kind", "ok"), [("DATING", True), ("BEST_FRIENDS", True), ("dating", False), (3, False)]
)
def test_relationship_kinds(kind: object, ok: bool) -> None:
    assert (integrity.relation_kind_problem(kind) is None) is ok
