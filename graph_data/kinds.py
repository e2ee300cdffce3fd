"""The vocabularies of the graph: what kinds of node exist and how they link.

They are plain string enums so that the same names appear in dataset files, in
the networkx graph (node attribute ``kind``, edge key) and in the GraphQL
schema, and a reader never has to translate between three spellings.
"""

from enum import StrEnum


class NodeKind(StrEnum):
    """Every kind of node the graph holds; also the prefix of a node's key."""

    SHOW = "SHOW"
    SEASON = "SEASON"
    EPISODE = "EPISODE"
    SCENE = "SCENE"
    CHARACTER = "CHARACTER"
    ACTOR = "ACTOR"
    CREATOR = "CREATOR"
    WORK = "WORK"
    SOURCE = "SOURCE"
    EVENT = "EVENT"


class Relation(StrEnum):
    """Edge labels: the key of each edge in the MultiDiGraph, read as "u REL v"."""

    HAS_SEASON = "HAS_SEASON"  # show -> season
    HAS_EPISODE = "HAS_EPISODE"  # season -> episode
    HAS_SCENE = "HAS_SCENE"  # episode -> scene, or season -> still without an episode
    HAS_CHARACTER = "HAS_CHARACTER"  # show -> character
    APPEARS_IN = "APPEARS_IN"  # character -> scene, or character -> episode
    PORTRAYS = "PORTRAYS"  # actor -> character (the Portrayal edge)
    BASED_ON = "BASED_ON"  # show -> work
    WROTE = "WROTE"  # creator -> work
    CREATED = "CREATED"  # creator -> show
    RELATED_TO = "RELATED_TO"  # character -> character (a Relationship)
    REVEALED = "REVEALED"  # event -> scene


class SourceKind(StrEnum):
    """Where a fact comes from: the article, general reference knowledge, or a user's edit."""

    ARTICLE = "ARTICLE"
    REFERENCE = "REFERENCE"
    USER_EDIT = "USER_EDIT"


class SeasonStatus(StrEnum):
    IN_DEVELOPMENT = "IN_DEVELOPMENT"
    FILMING = "FILMING"
    ANNOUNCED = "ANNOUNCED"
    RELEASED = "RELEASED"


class CastRole(StrEnum):
    MAIN = "MAIN"
    RECURRING = "RECURRING"
    GUEST = "GUEST"


class SceneKind(StrEnum):
    """A scene of an episode, or a published still that may not be placed in one yet."""

    SCENE = "SCENE"
    STILL = "STILL"
