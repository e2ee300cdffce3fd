"""The ``showgraph/1`` dataset format: a graph written as records people can edit and load.

Reading is ``graph_data.loader``'s; writing rebuilds records from nodes and their links
from edges (``graph_to_dataset``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from graph_data.changes import (
    edge_to_json,
)
from graph_data.formats.checks import validate_graph
from graph_data.formats.common import ExchangeError, Problems, graph_size, ticks
from graph_data.kinds import NodeKind, Relation
from graph_data.loader import load_dataset
from graph_data.model import GraphNode, ShowGraph
from graph_data.records import FORMAT, HISTORY_SECTION, NODE_SECTIONS


def graph_to_dataset(model: ShowGraph, *, progress: bool | None = None) -> dict[str, Any]:
    """The graph as a ``showgraph/1`` dataset mapping that ``graph_data.loader`` accepts.

    Nodes become records (in their natural order) and edges the links that
    records make: ``season.show``, ``episode.season``, ``scene.episode`` or
    ``scene.season``, ``scene.characters``, ``character.show``,
    ``work.authors``, ``show.basedOn`` and ``show.creators``,
    ``event.revealed``, and the ``portrayals``, ``relationships`` and
    ``appearances`` sections.

    A record's links of one field share that field's sources. Where they cite
    other sources than the record's, the record gets ``fieldSources`` for the
    field, so nothing is lost (the node's own ``fieldSources`` entry for that
    link field then follows its links). Where links of one field cite
    different sources from each other, or a show is based on two works, the
    format cannot hold the graph: ``ExchangeError`` lists every such case
    rather than dropping any (json, graphml and gexf hold any graph).
    """
    problems = validate_graph(model, "(graph to export)", progress=progress)
    if problems:
        raise ExchangeError(problems, "the graph to export")
    with ticks(graph_size(model), "export", progress) as tick:
        return _DatasetWriter(model, tick).run()


@dataclass
class _DatasetWriter:
    model: ShowGraph
    tick: Callable[[], object]
    problems: Problems = field(default_factory=lambda: Problems("(export as dataset)"))

    def run(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT}
        for section, (kind, _) in NODE_SECTIONS.items():
            records = []
            for node in self.model.nodes_of(kind):
                self.tick()
                records.append(self._record(section, node))
            if records:
                data[section] = records
        links = self._link_sections()
        data.update({section: records for section, records in links.items() if records})
        if self.problems.found:
            raise ExchangeError(self.problems.found, "the graph to export as a dataset")
        return data

    def _record(self, section: str, node: GraphNode[Any]) -> dict[str, Any]:
        g = self.model.graph
        key, kind = node.key, node.kind
        pred, succ = g.pred[key], g.succ[key]

        def into(relation: Relation) -> list[tuple[str, tuple[str, ...]]]:
            return [(u, es[relation]["sources"]) for u, es in pred.items() if relation in es]

        def out(relation: Relation) -> list[tuple[str, tuple[str, ...]]]:
            return [(v, es[relation]["sources"]) for v, es in succ.items() if relation in es]

        # Parent links first (as people write them), then facts, then other links.
        parents: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        links: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        match kind:
            case NodeKind.SEASON:
                parents["show"] = into(Relation.HAS_SEASON)
            case NodeKind.EPISODE:
                parents["season"] = into(Relation.HAS_EPISODE)
            case NodeKind.SCENE:
                for parent in into(Relation.HAS_SCENE):
                    is_episode = g.nodes[parent[0]]["kind"] is NodeKind.EPISODE
                    parents["episode" if is_episode else "season"] = [parent]
                links["characters"] = into(Relation.APPEARS_IN)
            case NodeKind.CHARACTER:
                parents["show"] = into(Relation.HAS_CHARACTER)
            case NodeKind.WORK:
                links["authors"] = into(Relation.WROTE)
            case NodeKind.SHOW:
                links["basedOn"] = out(Relation.BASED_ON)
                links["creators"] = into(Relation.CREATED)
            case NodeKind.EVENT:
                links["revealed"] = out(Relation.REVEALED)

        record: dict[str, Any] = {"id": local_id(key)}
        record.update({name: local_id(found[0][0]) for name, found in parents.items()})
        record.update(node.data.model_dump(mode="json", by_alias=True, exclude_defaults=True))
        for name, found in links.items():
            if found:
                ids = [local_id(other) for other, _ in found]
                record[name] = ids[0] if name == "basedOn" else ids
        if kind is NodeKind.SOURCE:
            return record  # a source cites itself (validate_graph checked it)
        field_sources = {name: local_ids(keys) for name, keys in node.field_sources.items()}
        label = f"{section} (id '{local_id(key)}')"
        if len(links.get("basedOn", ())) > 1:
            self.problems.add(
                label,
                "basedOn",
                f"the show is based on {len(links['basedOn'])} works, but a dataset "
                "record names one; export json, graphml or gexf to keep them all",
            )
        for name, found in {**parents, **links}.items():
            cited = sorted({sources for _, sources in found})
            if len(cited) > 1:
                shown = ", ".join(str(local_ids(sources)) for sources in cited)
                self.problems.add(
                    label,
                    f"fieldSources.{name}",
                    f"its {len(found)} '{name}' links cite different sources ({shown}), but "
                    "a dataset record gives all links of one field the same sources; "
                    "export json, graphml or gexf to keep them",
                )
            elif cited and cited[0] != node.sources_of(name):
                field_sources[name] = local_ids(cited[0])
        record["sources"] = local_ids(node.sources)
        if field_sources:
            record["fieldSources"] = field_sources
        return record

    def _link_sections(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {
            "portrayals": [],
            "relationships": [],
            "appearances": [],
        }
        g = self.model.graph
        for u, v, relation, attrs in g.edges(keys=True, data=True):
            self.tick()
            props = edge_to_json(u, v, relation, attrs)["props"]
            sources = local_ids(attrs["sources"])
            if relation == Relation.PORTRAYS:
                record: dict[str, Any] = {"actor": local_id(u), "character": local_id(v)}
                if props.get("show"):
                    record["show"] = local_id(props["show"])
                record["role"] = props["role"]
                if props.get("credited_name") is not None:
                    record["creditedName"] = props["credited_name"]
                if props.get("episodes") is not None:
                    record["episodes"] = local_ids(props["episodes"])
                record["sources"] = sources
                if props.get("field_sources"):
                    record["fieldSources"] = {
                        name: local_ids(keys) for name, keys in props["field_sources"].items()
                    }
                found["portrayals"].append(record)
            elif relation == Relation.RELATED_TO:
                found["relationships"].append(
                    {
                        "from": local_id(u),
                        "to": local_id(v),
                        "kind": props["kind"],
                        "sources": sources,
                    }
                )
            elif relation == Relation.APPEARS_IN and g.nodes[v]["kind"] is NodeKind.EPISODE:
                found["appearances"].append(
                    {"character": local_id(u), "episode": local_id(v), "sources": sources}
                )
        return found


def local_id(key: str) -> str:
    return key.partition(":")[2]


def local_ids(keys: Iterable[str]) -> list[str]:
    return [local_id(key) for key in keys]


def dataset_bytes(data: Mapping[str, Any], *, as_json: bool = False) -> bytes:
    """A dataset mapping as file contents: YAML for people, or JSON (faster to load)."""
    if as_json:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = str(yaml.dump(dict(data), Dumper=dumper, sort_keys=False, allow_unicode=True))
    header = "# Exported by `showgraph export --format dataset`; check with `showgraph validate`.\n"
    return (header + text).encode()


def write(
    model: ShowGraph,
    *,
    as_json: bool = False,
    history: list[dict[str, Any]] | None = None,
    progress: bool | None = None,
) -> bytes:
    """The graph as a dataset file's contents (YAML, or JSON); ``ExchangeError`` if it cannot.

    ``history`` (changes as ``Change.to_dict``, oldest first) goes last, under
    ``history``, so the records people edit stay at the top of the file.
    """
    data = graph_to_dataset(model, progress=progress)
    if history is not None:
        data[HISTORY_SECTION] = history
    return dataset_bytes(data, as_json=as_json)


def read(path: Path) -> tuple[ShowGraph, list[Any]]:
    """The graph of a dataset file (checked by ``graph_data.loader``) and the history it carries."""
    loaded = load_dataset(path)
    return ShowGraph.from_dataset(loaded), loaded.history
