"""Global ids: every node of every kind round-trips through `node` and `nodes`."""

from __future__ import annotations

import base64

from graph_data import GraphNode, ShowGraph, load_graph
from graph_data.records import ActorFields
from schema.actors import Actor
from schema.relay import TYPE_NAMES, encode_id, shared_object, shared_objects
from tests.conftest import GraphQL


def test_every_node_resolves_by_its_global_id(gql: GraphQL, graph: ShowGraph) -> None:
    kinds_seen = set()
    for key in graph.graph.nodes:
        node = graph.require(key)
        global_id = encode_id(node)
        data = gql("query($id: ID!) { node(id: $id) { __typename id } }", id=global_id)
        assert data["node"] == {"__typename": TYPE_NAMES[node.kind], "id": global_id}
        kinds_seen.add(node.kind)
    assert len(kinds_seen) == len(TYPE_NAMES)  # the built-in data has every kind


def test_ids_are_opaque_base64_of_type_and_local_id(gql: GraphQL) -> None:
    data = gql('{ actors(where: {name: {eq: "Kit Connor"}}) { nodes { id } } }')
    global_id = data["actors"]["nodes"][0]["id"]
    assert base64.b64decode(global_id).decode() == "Actor:kit-connor"


def test_nodes_keeps_order_and_nulls_for_missing(gql: GraphQL) -> None:
    ids = [
        base64.b64encode(b"Actor:joe-locke").decode(),
        base64.b64encode(b"Actor:nobody").decode(),
        base64.b64encode(b"Show:heartstopper").decode(),
    ]
    data = gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Actor { name } ... on Show { name } } }",
        ids=ids,
    )
    assert data["nodes"] == [{"name": "Joe Locke"}, None, {"name": "Heartstopper"}]


def test_malformed_ids_are_refused_clearly(gql: GraphQL) -> None:
    for bad in ["not-base64!", base64.b64encode(b"Planet:1").decode(), ""]:
        messages = gql.errors("query($id: ID!) { node(id: $id) { id } }", id=bad)
        assert messages == [f"'{bad}' is not a valid id: use the `id` field of a node"]


def test_nodes_is_capped(gql: GraphQL) -> None:
    ids = [base64.b64encode(b"Actor:joe-locke").decode()] * 101
    messages = gql.errors("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids)
    assert messages == ["`ids` is limited to 100 ids per request (got 101)"]


def test_shared_objects_wrap_the_very_node_asked_about_and_go_with_a_change() -> None:
    graph = load_graph()
    kit = graph.require("actor:kit-connor")
    first = shared_object(graph, Actor, kit)
    assert first.graph_node is kit
    assert shared_objects(graph, Actor)(kit) is first  # made once per node and state
    renamed = GraphNode(kit.key, kit.kind, ActorFields(name="Kit C"), kit.sources)
    other = shared_object(graph, Actor, renamed)  # same key, not the node remembered
    assert other.graph_node is renamed
    graph.add_node(renamed)
    assert shared_object(graph, Actor, renamed) is not other  # a change forgets them all
