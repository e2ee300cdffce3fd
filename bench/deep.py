"""The benchmark's dataset and its deep query, with the hand-written traversal to compare.

Case (c) sends ``DEEP_SELECTION`` for one show through the server; case (d)
computes the same answer by walking ``graph_data.ShowGraph`` directly, the
least work any resolver layer could do with today's graph model. Their ratio
is what GraphQL execution costs on top of the model; the harness asserts
that both answers are equal, so the comparison is honest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from graph_data import ShowGraph
from graph_data.generate import Shape, count_graph, generate, write_dataset
from graph_data.kinds import NodeKind

SMALL_QUERY = "{ actors { nodes { name characters { name } } } }"

# Where a request body holds this marker, the load tools put a value no other
# request of the run had (``loadgen.py``, ``pyload.py``), so that every request
# is new to the server: cases (f) and (g).
VARY = "VARY"

# (f) the same document each time, a new variable value each request. The list
# also names two real actors, so the answer is not empty.
VARIABLES_QUERY = (
    "query Actors($n: String!) { actors(where: {name: {in: [$n, NAMES]}}) "
    "{ nodes { name characters { name } } } }"
)

# (g) a document the server has never seen, each request: the small query under
# a new alias.
NEW_DOCUMENT_QUERY = "{ a" + VARY + ": actors { nodes { name characters { name } } } }"


def variables_body(names: list[str]) -> bytes:
    """(f)'s request body: a fixed document naming ``names``, ``$n`` a new value (``VARY``)."""
    listed = ", ".join(orjson.dumps(name).decode() for name in names)
    query = VARIABLES_QUERY.replace("NAMES", listed)
    return orjson.dumps({"query": query, "variables": {"n": "Nobody " + VARY}})


def new_document_body() -> bytes:
    """(g)'s request body: the small query under an alias made new per request (``VARY``)."""
    return orjson.dumps({"query": NEW_DOCUMENT_QUERY})


# show -> seasons -> episodes -> characters -> portrayals -> actor -> characters
DEEP_SELECTION = (
    "name seasons { number episodes { number title characters { name "
    "portrayals { role actor { name characters { name } } } } } }"
)

# Two released seasons of ten episodes, ten main characters: the first show
# answers the deep query with about 1,000 leaf values (the harness prints the
# exact count). Other shows only make the graph less trivial.
BENCH_SHAPE = Shape(
    seasons=(2, 2),
    unreleased_seasons=(0, 0),
    episodes=(10, 10),
    main_cast=(10, 10),
    recurring=(6, 6),
    guests=(3, 3),
)


def write_bench_dataset(path: Path, shows: int, seed: int) -> dict[str, Any]:
    """Generate the benchmark dataset; returns a summary for the results file."""
    data = generate(shows, seed=seed, shape=BENCH_SHAPE)
    write_dataset(data, path)
    nodes, edges = count_graph(data)
    return {
        "shows": shows,
        "seed": seed,
        "nodes": nodes,
        "edges": edges,
    }


def deep_query(show_id: str) -> str:
    """The deep query for one show, addressed by its global id."""
    return f'{{ node(id: "{show_id}") {{ ... on Show {{ {DEEP_SELECTION} }} }} }}'


def deep_answer(graph: ShowGraph, show_key: str) -> dict[str, Any]:
    """``deep_query``'s response body, computed by walking the graph model directly."""

    def actor(key: str) -> dict[str, Any]:
        return {
            "name": graph.require(key).data.name,
            "characters": [
                {"name": graph.require(link.character).data.name}
                for link in graph.portrayals_of_actor(key)
            ],
        }

    def character(key: str, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "portrayals": [
                {"role": link.role.value, "actor": actor(link.actor)}
                for link in graph.portrayals_of_character(key)
            ],
        }

    show = graph.require(show_key)
    return {
        "data": {
            "node": {
                "name": show.data.name,
                "seasons": [
                    {
                        "number": season.data.number,
                        "episodes": [
                            {
                                "number": episode.data.number,
                                "title": episode.data.title,
                                "characters": [
                                    character(c.key, c.data.name)
                                    for c in graph.episode_characters(episode.key)
                                ],
                            }
                            for episode in graph.episodes(season.key)
                        ],
                    }
                    for season in graph.seasons(show_key)
                ],
            }
        }
    }


def deep_answer_json(graph: ShowGraph, show_key: str) -> bytes:
    """The hand-written answer serialized as the server does (orjson), for timing."""
    return orjson.dumps(deep_answer(graph, show_key))


def show_key_named(graph: ShowGraph, name: str) -> str:
    """The key of the one show with this name (bench datasets keep names unique)."""
    keys = [n.key for n in graph.nodes_of(NodeKind.SHOW) if n.data.name == name]
    if len(keys) != 1:
        raise ValueError(f"{len(keys)} shows are named {name!r}; pick another seed")
    return keys[0]


def count_fields(value: Any) -> tuple[int, int]:
    """(fields, leaf values) in a JSON value: every object key, and every scalar."""
    if isinstance(value, dict):
        fields, leaves = len(value), 0
        for item in value.values():
            more_fields, more_leaves = count_fields(item)
            fields, leaves = fields + more_fields, leaves + more_leaves
        return fields, leaves
    if isinstance(value, list):
        fields = leaves = 0
        for item in value:
            more_fields, more_leaves = count_fields(item)
            fields, leaves = fields + more_fields, leaves + more_leaves
        return fields, leaves
    return 0, 1
