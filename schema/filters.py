"""`where` inputs for connections, and how they match graph nodes.

Name matching is case- and accent-insensitive ("ELLE", "élle" and "Elle" are
equal); the fields of one filter combine with AND. For characters, "name"
means any of their names: name, full name or an alias.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry

from graph_data import GraphNode
from graph_data.text import fold


@strawberry.input(description="Case- and accent-insensitive name filter; fields combine with AND.")
class NameFilter:
    eq: str | None = strawberry.field(default=None, description="Equal to this name.")
    contains: str | None = strawberry.field(default=None, description="Contains this text.")
    in_: list[str] | None = strawberry.field(
        default=None, name="in", description="Equal to one of these names."
    )

    def matches(self, names: Sequence[str]) -> bool:
        """True when one of ``names`` satisfies every condition given."""
        folded = [fold(name) for name in names]
        if self.eq is not None and fold(self.eq) not in folded:
            return False
        if self.contains is not None:
            needle = fold(self.contains)
            if not any(needle in name for name in folded):
                return False
        if self.in_ is not None:
            wanted = {fold(value) for value in self.in_}
            if not wanted.intersection(folded):
                return False
        return True


@strawberry.input(description="Conditions on actors; fields combine with AND.")
class ActorWhere:
    name: NameFilter | None = strawberry.field(default=None, description="The actor's name.")


@strawberry.input(description="Conditions on characters; fields combine with AND.")
class CharacterWhere:
    name: NameFilter | None = strawberry.field(
        default=None, description="Any of the character's names: name, full name or alias."
    )


@strawberry.input(description="Conditions on shows; fields combine with AND.")
class ShowWhere:
    name: NameFilter | None = strawberry.field(default=None, description="The show's name.")


def names_of(node: GraphNode[Any]) -> list[str]:
    """Every name a node answers to."""
    data = node.data
    names = [node.label]
    full_name = getattr(data, "full_name", None)
    if full_name:
        names.append(full_name)
    names.extend(getattr(data, "aliases", ()))
    return names


def filter_by_name(
    nodes: Sequence[GraphNode[Any]], where: ActorWhere | CharacterWhere | ShowWhere | None
) -> Sequence[GraphNode[Any]]:
    """The nodes that satisfy ``where`` (all of them when it is empty), in order."""
    if where is None or where.name is None:
        return nodes
    name_filter = where.name
    return [node for node in nodes if name_filter.matches(names_of(node))]
