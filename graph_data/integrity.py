"""The integrity rules of a show graph, each stated once, with one wording.

Three paths put facts into a graph: the dataset loader (records from files),
the mutations (``graph_data.edits``) and the import of a graph file
(````graph_data.formats.checks``). Each checks the same
rules and says the same thing when one is broken, so a person who met a
message in ``showgraph validate`` recognises it in a mutation's
``userErrors``. The callers differ only in how they name things: a dataset
file uses record ids (``heartstopper-s1``), a graph uses node keys
(``season:heartstopper-s1``); each rule takes the names as its caller writes them.

The rules:

- ids are letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit;
- each relation joins the kinds ``RELATION_ENDS`` allows, and never a node to itself;
- seasons, episodes, scenes and characters have exactly one parent (``PARENT_OF``);
- season numbers are unique within a show, episode numbers within a season;
- a scene placed in both an episode and a season names the episode's season;
- an actor has at most one portrayal of a character;
- a portrayal's episodes, and a character's appearances (in episodes or scenes),
  are within the character's show: a character never crosses into another show;
- a relationship's kind is in capitals, and a character is not related to itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graph_data.kinds import NodeKind, Relation

K = NodeKind
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RELATION_KIND_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")

# Which kinds each relation joins (from -> to).
RELATION_ENDS: dict[Relation, tuple[frozenset[NodeKind], frozenset[NodeKind]]] = {
    Relation.HAS_SEASON: (frozenset({K.SHOW}), frozenset({K.SEASON})),
    Relation.HAS_EPISODE: (frozenset({K.SEASON}), frozenset({K.EPISODE})),
    Relation.HAS_SCENE: (frozenset({K.EPISODE, K.SEASON}), frozenset({K.SCENE})),
    Relation.HAS_CHARACTER: (frozenset({K.SHOW}), frozenset({K.CHARACTER})),
    Relation.APPEARS_IN: (frozenset({K.CHARACTER}), frozenset({K.SCENE, K.EPISODE})),
    Relation.PORTRAYS: (frozenset({K.ACTOR}), frozenset({K.CHARACTER})),
    Relation.BASED_ON: (frozenset({K.SHOW}), frozenset({K.WORK})),
    Relation.WROTE: (frozenset({K.CREATOR}), frozenset({K.WORK})),
    Relation.CREATED: (frozenset({K.CREATOR}), frozenset({K.SHOW})),
    Relation.RELATED_TO: (frozenset({K.CHARACTER}), frozenset({K.CHARACTER})),
    Relation.REVEALED: (frozenset({K.EVENT}), frozenset({K.SCENE})),
}
# A child has exactly one parent, through one of these relations.
PARENT_OF: dict[NodeKind, tuple[Relation, frozenset[NodeKind]]] = {
    K.SEASON: (Relation.HAS_SEASON, frozenset({K.SHOW})),
    K.EPISODE: (Relation.HAS_EPISODE, frozenset({K.SEASON})),
    K.SCENE: (Relation.HAS_SCENE, frozenset({K.EPISODE, K.SEASON})),
    K.CHARACTER: (Relation.HAS_CHARACTER, frozenset({K.SHOW})),
}
PARENT_RELATIONS = frozenset(relation for relation, _ in PARENT_OF.values())
NUMBERED = frozenset({K.SEASON, K.EPISODE})


def a_kind(kind: NodeKind) -> str:
    """The kind with its article: "a show", "an actor"."""
    name = kind.value.lower()
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def kinds_text(kinds: Iterable[NodeKind]) -> str:
    """ "a season or an episode": kinds for a sentence, in a stable order."""
    return " or ".join(a_kind(k) for k in sorted(kinds))


def id_problem(value: str) -> str | None:
    """What is wrong with an id, or None when it is a valid one."""
    if ID_PATTERN.match(value):
        return None
    return (
        f"'{value[:60]}' is not a valid id: use letters, digits, '.', '_' and '-', "
        "starting with a letter or digit"
    )


def end_problems(
    relation: Relation, tail: NodeKind, head: NodeKind, same: bool
) -> list[tuple[str, str]]:
    """(end, message) for ends the relation cannot join; ``end`` is "from" or "to"."""
    found = []
    allowed_from, allowed_to = RELATION_ENDS[relation]
    if tail not in allowed_from:
        found.append(
            (
                "from",
                f"{relation.value} starts at {kinds_text(allowed_from)}, not at {a_kind(tail)}",
            )
        )
    if head not in allowed_to:
        found.append(
            ("to", f"{relation.value} ends at {kinds_text(allowed_to)}, not at {a_kind(head)}")
        )
    if same:
        found.append(("to", "a node cannot be linked to itself"))
    return found


def parent_count_problem(kind: NodeKind, count: int) -> str | None:
    """A child with other than one parent, or None when it has exactly one."""
    if kind not in PARENT_OF or count == 1:
        return None
    relation, kinds = PARENT_OF[kind]
    return (
        f"{a_kind(kind)} needs exactly one parent ({kinds_text(kinds)}, through "
        f"{relation.value}); it has {count}"
    )


def named(kind: NodeKind, name: str) -> str:
    """A node for a sentence: "season 'x-s1'" for an id, "'season:x-s1'" for a key."""
    noun = kind.value.lower()
    return f"'{name}'" if name.startswith(f"{noun}:") else f"{noun} '{name}'"


def number_taken(number: int, parent_kind: NodeKind, parent: str, holder: str) -> str:
    """A season or episode number that a sibling already has."""
    return f"number {number} is already used in {named(parent_kind, parent)} by '{holder}'"


def scene_season_mismatch(episode: str, its_season: str, season: str) -> str:
    """A scene that names an episode and a season the episode is not in."""
    return (
        f"{named(K.EPISODE, episode)} belongs to {named(K.SEASON, its_season)}, "
        f"not {named(K.SEASON, season)}"
    )


def outside_show(kind: NodeKind, name: str, in_show: str, show: str) -> str:
    """An episode or scene of another show than the character's (or the portrayal's)."""
    return f"{named(kind, name)} is in {named(K.SHOW, in_show)}, not in {named(K.SHOW, show)}"


def duplicate_portrayal() -> str:
    return "this actor already has a portrayal of this character"


def relation_kind_problem(kind: object) -> str | None:
    """A relationship kind that is not a word in capitals, or None."""
    if isinstance(kind, str) and RELATION_KIND_PATTERN.match(kind):
        return None
    return "a relationship needs a kind in capitals, e.g. DATING"


def self_relationship() -> str:
    return "a character cannot be related to itself"
