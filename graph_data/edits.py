"""Edits: checking a requested write against the graph and turning it into operations.

Each public function takes the current graph and a request (create, update,
delete a node; link or unlink two nodes) and returns the operations of the
change, or raises ``EditRejectedError`` listing every problem with the path of the
input field it concerns. Nothing here writes: the store applies the
operations, so a rejected edit changes nothing.

Every edit names its sources: ids of existing Source nodes, or a new source
that is recorded as a USER_EDIT of the writer. Facts an update sets cite the
edit's sources through ``fieldSources``; the rest of the record keeps its own.

The rules an edit must keep (ids, relation ends, one parent, unique numbers,
a character within its show) and their wording are ``graph_data.integrity``'s,
shared with the dataset loader and the import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from graph_data import integrity
from graph_data.changes import (
    DeleteEdge,
    DeleteNode,
    Op,
    PutEdge,
    PutNode,
    edge_to_json,
    node_to_json,
)
from graph_data.integrity import PARENT_OF as PARENT_OF
from graph_data.integrity import PARENT_RELATIONS as _PARENT_RELATIONS
from graph_data.integrity import RELATION_ENDS as RELATION_ENDS
from graph_data.integrity import a_kind as a_kind
from graph_data.integrity import kinds_text as _kinds
from graph_data.kinds import CastRole, NodeKind, Relation, SourceKind
from graph_data.model import GraphNode, ShowGraph, node_key
from graph_data.records import FIELDS_OF

K = NodeKind
# Ids made from names are cut to this many characters (before a "-2" suffix), so a
# long name does not become a long id in every URL, key and index.
SLUG_MAX = 80


@dataclass(frozen=True, slots=True)
class EditError:
    """One reason an edit was refused: the input field it concerns and what to change."""

    field: tuple[str, ...]
    message: str


class EditRejectedError(Exception):
    def __init__(self, errors: Sequence[EditError]) -> None:
        super().__init__("; ".join(f"{'.'.join(e.field)}: {e.message}" for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class SourceRequest:
    """The sources an edit names: existing source keys and/or a new source to record."""

    keys: Sequence[str] = ()
    new_title: str | None = None
    new_url: str | None = None
    new_note: str | None = None


@dataclass(slots=True)
class Edit:
    """The operations of one edit being planned, and the sources it cites."""

    model: ShowGraph
    writer: str
    version: int
    ops: list[Op] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    errors: list[EditError] = field(default_factory=list)

    def fail(self, path: Iterable[str], message: str) -> None:
        self.errors.append(EditError(tuple(path), message))

    def done(self) -> list[Op]:
        if self.errors:
            raise EditRejectedError(self.errors)
        return self.ops

    def cite(self, request: SourceRequest, *, required: bool = True) -> None:
        """Check the named sources, recording a new USER_EDIT source when one is given.

        Only a new Source node may go without: a source is its own citation.
        """
        for index, key in enumerate(request.keys):
            node = self.model.node(key)
            if node is None or node.kind is not K.SOURCE:
                self.fail(("sources", str(index)), f"no source has the id of '{key}'")
            else:
                self.sources.append(key)
        if request.new_title is not None:
            self._new_source(request)
        if required and not request.keys and request.new_title is None:
            self.fail(
                ("sources",),
                "name at least one source (`sources` or `newSource`): "
                "every fact says where it comes from",
            )

    def _new_source(self, request: SourceRequest) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        values = {
            "title": request.new_title,
            "kind": SourceKind.USER_EDIT,
            "url": request.new_url,
            "publisher": self.writer,
            "note": request.new_note or f"Recorded by {self.writer} at {at}.",
        }
        data = _validated(self, K.SOURCE, values, ("newSource",))
        if data is None:
            return
        key = node_key(K.SOURCE, f"user-edit-{self.version}")
        self.ops.append(PutNode(key=key, kind=K.SOURCE, fields=data, sources=[key]))
        self.sources.append(key)


# --- nodes -----------------------------------------------------------------------------


def create_node(
    edit: Edit,
    kind: NodeKind,
    fields: Mapping[str, Any],
    local_id: str | None = None,
    parent: str | None = None,
) -> str:
    """Plan a new node (with its parent link, for kinds that have one); returns its key."""
    data = _validated(edit, kind, fields, ("fields",))
    local_id = local_id or _slug(edit.model, kind, data)
    key = node_key(kind, local_id)
    id_problem = integrity.id_problem(local_id)
    if id_problem is not None:
        edit.fail(("id",), id_problem)
    elif edit.model.node(key) is not None:
        edit.fail(("id",), f"{a_kind(kind)} with the id '{local_id}' already exists")
    if kind in PARENT_OF:
        _check_parent(edit, kind, parent, data, moving=None)
    elif parent is not None:
        edit.fail(("parent",), f"{a_kind(kind)} has no parent; link it instead")
    if data is not None and not edit.errors:
        sources = [key] if kind is K.SOURCE else edit.sources
        edit.ops.append(PutNode(key=key, kind=kind, fields=data, sources=sources))
        if parent is not None:
            relation = PARENT_OF[kind][0]
            edit.ops.append(
                PutEdge(source=parent, target=key, relation=relation, sources=edit.sources)
            )
    return key


def update_node(edit: Edit, key: str, fields: Mapping[str, Any]) -> None:
    """Plan new values for some facts of a node; they cite the edit's sources."""
    node = _existing(edit, key, ("id",))
    if node is None:
        return
    if not fields:
        edit.fail(("fields",), "give at least one field to change")
        return
    current = node_to_json(node)
    merged = {**current["fields"], **fields}
    data = _validated(edit, node.kind, merged, ("fields",))
    if data is None:
        return
    if node.kind in PARENT_OF and "number" in fields:
        relation = PARENT_OF[node.kind][0]
        parent = edit.model.parent(key, relation)
        _check_number(edit, node.kind, parent, data, moving=key)
    field_sources = dict(current["field_sources"])
    if node.kind is K.SOURCE:
        sources = [key]
    else:
        sources = list(node.sources)
        field_sources.update({name: list(edit.sources) for name in fields})
    if not edit.errors:
        edit.ops.append(
            PutNode(
                key=key, kind=node.kind, fields=data, sources=sources, field_sources=field_sources
            )
        )


def delete_node(edit: Edit, key: str, cascade: bool = False) -> list[str]:
    """Plan removing a node; with ``cascade``, also its children and every link. Returns keys."""
    node = _existing(edit, key, ("id",))
    if node is None:
        return []
    if node.kind is K.SOURCE:
        citing = _citing(edit.model, key)
        if citing:
            edit.fail(
                ("id",),
                f"the source is cited by {len(citing)} node(s) or link(s), "
                f"e.g. {citing[0]}; a source that facts rely on cannot be deleted",
            )
            return []
    doomed = _descendants(edit.model, key) if cascade else [key]
    if not cascade:
        links = _links(edit.model, key)
        if links:
            shown = ", ".join(links[:3]) + (", ..." if len(links) > 3 else "")
            edit.fail(
                ("cascade",),
                f"{key} still has {len(links)} link(s) ({shown}); unlink "
                "them first, or pass cascade: true to delete it with its links"
                + (" and children" if node.kind in (K.SHOW, K.SEASON, K.EPISODE) else ""),
            )
            return []
    gone = set(doomed)
    edit.ops.extend(_prune_portrayal_episodes(edit.model, gone, edit.sources))
    edit.ops.extend(DeleteNode(key=k) for k in reversed(doomed))
    return doomed


# --- links ---------------------------------------------------------------------------------


def link(
    edit: Edit,
    source: str,
    relation: Relation,
    target: str,
    props: Mapping[str, Any] | None = None,
) -> None:
    """Plan an edge (replacing one with the same ends and relation; moving a child)."""
    ends = _ends(edit, source, relation, target)
    if ends is None:
        return
    tail, head = ends
    props = dict(props or {})
    if relation in _PARENT_RELATIONS:
        data = head.data.model_dump(mode="json", by_alias=True)
        _check_parent(edit, head.kind, source, data, moving=target)
        old = edit.model.parent(target, relation)
        if old is not None and old != source and not edit.errors:
            edit.ops.append(DeleteEdge(source=old, target=target, relation=relation))
    checked = _link_props(edit, relation, tail, head, props)
    if checked is not None and not edit.errors:
        edit.ops.append(
            PutEdge(
                source=source, target=target, relation=relation, sources=edit.sources, props=checked
            )
        )


def unlink(edit: Edit, source: str, relation: Relation, target: str) -> None:
    """Plan removing an edge; a child's link to its parent cannot be removed, only moved."""
    ends = _ends(edit, source, relation, target)
    if ends is None:
        return
    if edit.model.edge(source, target, relation) is None:
        edit.fail(("to",), f"there is no {relation.value} link from {source} to {target}")
    elif relation in _PARENT_RELATIONS:
        edit.fail(
            ("relation",),
            f"{target} cannot be left without its parent: link it to "
            "another one (which moves it), or delete it",
        )
    else:
        edit.ops.append(DeleteEdge(source=source, target=target, relation=relation))


# --- checks --------------------------------------------------------------------------------


def _validated(
    edit: Edit, kind: NodeKind, values: Mapping[str, Any], path: tuple[str, ...]
) -> dict[str, Any] | None:
    """The facts in their JSON form, or None after recording each problem."""
    try:
        data = FIELDS_OF[kind].model_validate(dict(values))
    except ValidationError as error:
        for detail in error.errors():
            where = tuple(str(part) for part in detail["loc"])
            message = (
                "missing required field"
                if detail["type"] == "missing"
                else (detail["msg"].removeprefix("Value error, "))
            )
            edit.fail((*path, *where), message)
        return None
    return data.model_dump(mode="json", by_alias=True, exclude_none=True)


def _existing(edit: Edit, key: str, path: tuple[str, ...]) -> GraphNode[Any] | None:
    node = edit.model.node(key)
    if node is None:
        edit.fail(path, f"no node has the id of '{key}'")
    return node


def _ends(
    edit: Edit, source: str, relation: Relation, target: str
) -> tuple[GraphNode[Any], GraphNode[Any]] | None:
    tail = _existing(edit, source, ("from",))
    head = _existing(edit, target, ("to",))
    if tail is None or head is None:
        return None
    for end, message in integrity.end_problems(relation, tail.kind, head.kind, source == target):
        edit.fail((end,), message)
    return None if edit.errors else (tail, head)


def _check_parent(
    edit: Edit,
    kind: NodeKind,
    parent: str | None,
    data: Mapping[str, Any] | None,
    moving: str | None,
) -> None:
    kinds = PARENT_OF[kind][1]
    if parent is None:
        edit.fail(("parent",), f"{a_kind(kind)} needs a parent: {_kinds(kinds)}")
        return
    node = _existing(edit, parent, ("parent",))
    if node is None:
        return
    if node.kind not in kinds:
        edit.fail(
            ("parent",),
            f"the parent of {a_kind(kind)} is {_kinds(kinds)}, not {a_kind(node.kind)}",
        )
    elif data is not None:
        _check_number(edit, kind, parent, data, moving)


def _check_number(
    edit: Edit, kind: NodeKind, parent: str | None, data: Mapping[str, Any], moving: str | None
) -> None:
    """Seasons are numbered uniquely within a show, episodes within a season."""
    if kind not in (K.SEASON, K.EPISODE) or parent is None:
        return
    relation = PARENT_OF[kind][0]
    for sibling in edit.model.out(parent, relation):
        if sibling.key != moving and sibling.data.number == data.get("number"):
            parent_kind = PARENT_OF[kind][1]
            edit.fail(
                ("fields", "number"),
                integrity.number_taken(data["number"], min(parent_kind), parent, sibling.key),
            )


def _link_props(
    edit: Edit,
    relation: Relation,
    tail: GraphNode[Any],
    head: GraphNode[Any],
    props: dict[str, Any],
) -> dict[str, Any] | None:
    """The properties an edge of this relation keeps, checked."""
    if relation is Relation.RELATED_TO:
        kind = props.get("kind")
        problem = integrity.relation_kind_problem(kind)
        if problem is not None:
            edit.fail(("kind",), problem)
            return None
        return {"kind": kind}
    if relation is Relation.APPEARS_IN:
        _check_same_show(edit, tail, head)
    if relation is not Relation.PORTRAYS:
        if props:
            edit.fail(("properties",), f"{relation.value} links have no properties")
        return {}
    if props.get("role") is None:
        edit.fail(("role",), "a portrayal needs a `role`: MAIN, RECURRING or GUEST")
        return None
    show = props.get("show") or edit.model.character_show(head.key).key
    episodes = props.get("episodes")
    for index, episode in enumerate(episodes or ()):
        node = _existing(edit, episode, ("episodes", str(index)))
        if node is None:
            continue
        if node.kind is not K.EPISODE:
            edit.fail(("episodes", str(index)), f"{episode} is {a_kind(node.kind)}, not an episode")
            continue
        in_show = edit.model.season_show(edit.model.episode_season(episode).key).key
        if in_show != show:
            edit.fail(
                ("episodes", str(index)), integrity.outside_show(K.EPISODE, episode, in_show, show)
            )
    return {
        "show": props.get("show"),
        "role": CastRole(props["role"]).value,
        "credited_name": props.get("credited_name"),
        "episodes": None if episodes is None else list(episodes),
        "field_sources": {},
    }


def _check_same_show(edit: Edit, character: GraphNode[Any], place: GraphNode[Any]) -> None:
    """A character appears only in episodes and scenes of its own show."""
    show = edit.model.character_show(character.key).key
    if place.kind is K.EPISODE:
        season = edit.model.episode_season(place.key)
    else:
        episode = edit.model.scene_episode(place.key)
        season = (
            edit.model.episode_season(episode.key)
            if episode is not None
            else edit.model.scene_season(place.key)
        )
    in_show = edit.model.season_show(season.key).key
    if in_show != show:
        edit.fail(("to",), integrity.outside_show(place.kind, place.key, in_show, show))


def _links(model: ShowGraph, key: str) -> list[str]:
    """Every edge touching ``key``, described for a person."""
    out = [f"{r} -> {v}" for v, edges in model.graph.succ[key].items() for r in edges]
    into = [f"{r} <- {u}" for u, edges in model.graph.pred[key].items() for r in edges]
    return sorted(out + into)


def _descendants(model: ShowGraph, key: str) -> list[str]:
    """``key`` and, depth first, everything that hangs from it through parent links."""
    found = [key]
    for child, edges in model.graph.succ[key].items():
        if _PARENT_RELATIONS.intersection(edges):
            found.extend(_descendants(model, child))
    return found


def _prune_portrayal_episodes(model: ShowGraph, gone: set[str], sources: list[str]) -> list[Op]:
    """Portrayals that list deleted episodes keep the rest."""
    ops: list[Op] = []
    for u, v, relation, attrs in model.graph.edges(keys=True, data=True):
        episodes = attrs.get("episodes") if relation == Relation.PORTRAYS else None
        if episodes and gone.intersection(episodes) and u not in gone and v not in gone:
            raw = edge_to_json(u, v, relation, attrs)
            raw["props"]["episodes"] = [e for e in episodes if e not in gone]
            ops.append(PutEdge(**raw))
    return ops


def _citing(model: ShowGraph, source: str) -> list[str]:
    found = [
        key
        for key, attrs in model.graph.nodes(data=True)
        if key != source and _cites(attrs["node"].sources, attrs["node"].field_sources, source)
    ]
    found += [
        f"{u} {r} {v}"
        for u, v, r, attrs in model.graph.edges(keys=True, data=True)
        if _cites(attrs["sources"], attrs.get("field_sources") or {}, source)
    ]
    return found


def _cites(sources: Sequence[str], field_sources: Mapping[str, Sequence[str]], key: str) -> bool:
    return key in sources or any(key in keys for keys in field_sources.values())


def _slug(model: ShowGraph, kind: NodeKind, data: Mapping[str, Any] | None) -> str:
    """An id made from the name or title, unique within its kind."""
    label = str((data or {}).get("name") or (data or {}).get("title") or kind.value.lower())
    base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:SLUG_MAX].rstrip("-")
    base = base or kind.value.lower()
    candidate, n = base, 1
    while model.node(node_key(kind, candidate)) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
