"""Checking a whole graph against the integrity rules, for graphs that did not come from a
dataset (imports)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from graph_data import integrity
from graph_data.changes import (
    edge_to_json,
)
from graph_data.formats.common import (
    PORTRAYAL_FIELDS,
    RELATIONS,
    SOURCED_FIELDS,
    Problems,
    check_props,
    end_problems,
    graph_size,
    ticks,
)
from graph_data.integrity import PARENT_OF, a_kind
from graph_data.kinds import NodeKind, Relation
from graph_data.loader import Problem
from graph_data.model import GraphNode, ShowGraph, node_key
from graph_data.records import FIELDS_OF


def validate_graph(
    model: ShowGraph,
    file: str = "(graph)",
    labels: Mapping[str, str] | None = None,
    *,
    partial: Iterable[str] = (),
    progress: bool | None = None,
) -> list[Problem]:
    """Every problem of a graph as a whole, located; empty when it is sound.

    The checks the dataset loader makes, for graphs that did not come from a
    dataset: keys are ``kind:id``; facts fit their kind; every node and edge
    cites existing sources (a source cites itself); each relation joins the
    kinds ``RELATION_ENDS`` allows; seasons, episodes, scenes and characters
    have exactly one parent; numbers are unique among siblings; a portrayal's
    show and episodes exist and agree. ``labels`` names nodes (by key) and
    edges ("u REL v") as the file does; ``partial`` lists nodes whose parent
    check to skip (an edge of theirs was refused, and already reported).
    """
    return _Validator(model, Problems(file), labels or {}, frozenset(partial)).run(progress)


@dataclass
class _Validator:
    model: ShowGraph
    problems: Problems
    labels: Mapping[str, str]
    partial: frozenset[str]

    def run(self, progress: bool | None) -> list[Problem]:
        g = self.model.graph
        self.sources = {
            key for key, attrs in g.nodes(data=True) if attrs.get("kind") == NodeKind.SOURCE
        }
        numbers: dict[tuple[str, int], str] = {}
        with ticks(graph_size(self.model), "check", progress) as tick:
            for key, attrs in g.nodes(data=True):
                tick()
                node = attrs.get("node")
                if not isinstance(node, GraphNode):
                    self._add_node(
                        key, "kind", "the node has no kind or facts (an edge to nowhere?)"
                    )
                    continue
                self._node(node)
                self._parent(node, numbers)
            for u, v, relation, attrs in g.edges(keys=True, data=True):
                tick()
                self._edge(u, v, relation, attrs)
        return self.problems.found

    def _add_node(self, key: str, where: str, message: str) -> None:
        self.problems.add(self.labels.get(key, f"node '{key}'"), where, message)

    def _node(self, node: GraphNode[Any]) -> None:
        key, kind = node.key, node.kind
        prefix, _, local = key.partition(":")
        if prefix != kind.value.lower():
            self._add_node(key, "id", f"the key of {a_kind(kind)} starts '{prefix}:'")
        elif (problem := integrity.id_problem(local)) is not None:
            self._add_node(key, "id", problem)
        try:
            FIELDS_OF[kind].model_validate(node.data.model_dump(by_alias=True))
        except (ValidationError, AttributeError) as error:
            self._add_node(key, "fields", f"facts that do not fit {a_kind(kind)}: {error}")
        if kind is NodeKind.SOURCE:
            if tuple(node.sources) != (key,) or node.field_sources:
                self._add_node(key, "sources", f"a source cites itself: sources must be ['{key}']")
            return
        self._cites(self._add_node, key, "sources", node.sources)
        for name, keys in node.field_sources.items():
            if name not in SOURCED_FIELDS[kind]:
                self._add_node(key, f"fieldSources.{name}", f"not a field of {a_kind(kind)}")
            self._cites(self._add_node, key, f"fieldSources.{name}", keys)
        if kind is NodeKind.SEASON:
            for index, view in enumerate(getattr(node.data, "viewership", ())):
                named = [("sources", view.sources)]
                named += [(f"fieldSources.{n}", ids) for n, ids in view.field_sources.items()]
                for where, ids in named:
                    for number, source_id in enumerate(ids):
                        if node_key(NodeKind.SOURCE, source_id) not in self.sources:
                            self._add_node(
                                key,
                                f"viewership.{index}.{where}.{number}",
                                f"no source has the id '{source_id}'",
                            )

    def _cites(
        self, add: Callable[[str, str, str], None], at: str, where: str, keys: Sequence[str]
    ) -> None:
        if not keys:
            add(at, where, "needs at least one source: every fact names where it comes from")
        for index, source in enumerate(keys):
            if source not in self.sources:
                add(at, f"{where}.{index}", f"no source has the key '{source}'")

    def _parent(self, node: GraphNode[Any], numbers: dict[tuple[str, int], str]) -> None:
        if node.kind not in PARENT_OF or node.key in self.partial:
            return
        relation, kinds = PARENT_OF[node.kind]
        parents = [
            u
            for u, edges in self.model.graph.pred[node.key].items()
            if relation in edges and self.model.graph.nodes[u].get("kind") in kinds
        ]
        problem = integrity.parent_count_problem(node.kind, len(parents))
        if problem is not None:
            self._add_node(node.key, relation.value, problem)
            return
        number = getattr(node.data, "number", None)
        if node.kind in (NodeKind.SEASON, NodeKind.EPISODE) and isinstance(number, int):
            taken = numbers.setdefault((parents[0], number), node.key)
            if taken != node.key:
                self._add_node(
                    node.key,
                    "fields.number",
                    integrity.number_taken(number, min(kinds), parents[0], taken),
                )

    def _edge(self, u: str, v: str, relation: str, attrs: Mapping[str, Any]) -> None:
        label = self.labels.get(f"{u} {relation} {v}", f"edge {u} {relation} {v}")

        def add(_: str, where: str, message: str) -> None:
            self.problems.add(label, where, message)

        if relation not in RELATIONS:
            add(label, "relation", f"unknown relation {relation!r}")
            return
        rel = Relation(relation)
        tail, head = self.model.node(u), self.model.node(v)
        if tail is None or head is None:
            return  # reported with the node
        for where, message in end_problems(rel, u, v, tail.kind, head.kind):
            add(label, where, message)
        self._cites(add, label, "sources", attrs.get("sources") or ())
        props = edge_to_json(u, v, relation, attrs)["props"]
        checked = check_props(rel, props, label, self.problems, flat=True)
        if rel is Relation.APPEARS_IN:
            self._same_show(add, label, u, head)
        if rel is not Relation.PORTRAYS or checked is None:
            return
        for name, keys in checked["field_sources"].items():
            if name not in PORTRAYAL_FIELDS:
                add(label, f"fieldSources.{name}", "not a field of a portrayal")
            self._cites(add, label, f"fieldSources.{name}", keys)
        show = checked["show"]
        if show is not None:
            found = self.model.node(show)
            if found is None or found.kind is not NodeKind.SHOW:
                add(label, "show", f"no show has the key '{show}'")
                return
        else:
            show = self.model.parent(v, Relation.HAS_CHARACTER)
        for index, episode in enumerate(checked["episodes"] or ()):
            found = self.model.node(episode)
            if found is None or found.kind is not NodeKind.EPISODE:
                add(label, f"episodes.{index}", f"no episode has the key '{episode}'")
                continue
            in_show = self._show_of(found)
            if show is not None and in_show is not None and in_show != show:
                message = integrity.outside_show(NodeKind.EPISODE, episode, in_show, show)
                add(label, f"episodes.{index}", message)

    def _show_of(self, node: GraphNode[Any] | None) -> str | None:
        """The show an episode or scene is in, up its parent links (None where one is missing).

        At most three steps (scene, episode, season): ends of the wrong kinds,
        reported elsewhere, cannot send it round in a loop.
        """
        for _ in range(3):
            if node is None or node.kind not in PARENT_OF:
                break
            parent = self.model.parent(node.key, PARENT_OF[node.kind][0])
            node = self.model.node(parent) if parent is not None else None
        return node.key if node is not None and node.kind is NodeKind.SHOW else None

    def _same_show(
        self,
        add: Callable[[str, str, str], None],
        label: str,
        character: str,
        place: GraphNode[Any],
    ) -> None:
        """A character appears only in episodes and scenes of its own show."""
        show = self.model.parent(character, Relation.HAS_CHARACTER)
        in_show = self._show_of(place)
        if show is not None and in_show is not None and in_show != show:
            add(label, "target", integrity.outside_show(place.kind, place.key, in_show, show))
