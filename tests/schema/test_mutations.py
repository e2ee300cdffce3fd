"""Mutations through GraphQL: every kind can be created and updated, and every refusal
comes back as userErrors with the path of the input field, changing nothing."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from graph_data import BUILTIN_DATASET, ShowGraph, load_graph
from graph_data.changes import edges_to_json, node_to_json
from graph_data.kinds import NodeKind
from graph_data.store import JournalStore
from schema import build_schema
from schema.context import Context

SCHEMA = build_schema()


def gid(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


class Writer:
    """Runs mutations as the writer "alice" against a fresh graph and journal."""

    def __init__(self, tmp_path: Path) -> None:
        self.store = JournalStore(tmp_path, BUILTIN_DATASET)
        self.graph = self.store.open()
        self.changes: list[Any] = []

    def run(self, query: str, writer: str | None = "alice", **variables: Any) -> Any:
        context = Context(
            graph=self.graph, store=self.store, writer=writer, published=self.changes.extend
        )
        result = SCHEMA.execute_sync(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        return result.data

    def state(self) -> Any:
        return (
            self.graph.version,
            sorted((node_to_json(self.graph.require(k)) for k in self.graph.graph.nodes), key=str),
            sorted(edges_to_json(self.graph), key=str),
        )


@pytest.fixture
def writer(tmp_path: Path) -> Writer:
    return Writer(tmp_path)


CREATE_ACTOR = """mutation($input: CreateActorInput!) { createActor(input: $input) {
  node { id ... on Actor { name sources { kind title } } }
  userErrors { field message } graphVersion clientMutationId } }"""


def test_create_an_actor_citing_a_new_source(writer: Writer) -> None:
    data = writer.run(
        CREATE_ACTOR,
        input={
            "fields": {"name": "Jenny Walser"},
            "newSource": {"title": "Netflix cast announcement"},
            "clientMutationId": "m1",
        },
    )["createActor"]
    assert data["userErrors"] == []
    assert data["graphVersion"] == 1
    assert data["clientMutationId"] == "m1"
    assert data["node"] == {
        "id": gid("Actor:jenny-walser"),
        "name": "Jenny Walser",
        "sources": [{"kind": "USER_EDIT", "title": "Netflix cast announcement"}],
    }
    assert [c.version for c in writer.changes] == [1]
    assert JournalStore(writer.store.data_dir, BUILTIN_DATASET).open().version == 1


@pytest.mark.parametrize(
    ("kind", "fields", "parent"),
    [
        ("Show", {"name": "Solitaire", "genres": ["Drama"]}, None),
        (
            "Season",
            {"number": 4, "status": "ANNOUNCED", "premiereDate": "2025"},
            "Show:heartstopper",
        ),
        ("Episode", {"number": 9, "title": "Bonus"}, "Season:heartstopper-s2"),
        ("Scene", {"summary": "A new still.", "kind": "STILL"}, "Season:heartstopper-s2"),
        ("Character", {"name": "Isaac", "fullName": "Isaac Henderson"}, "Show:heartstopper"),
        ("Actor", {"name": "Tobie Donovan"}, None),
        ("Creator", {"name": "Euros Lyn"}, None),
        ("Work", {"title": "Solitaire", "kind": "novel"}, None),
        ("Event", {"name": "Tudum 2024", "location": "Online"}, None),
        ("Source", {"title": "A press kit", "kind": "ARTICLE", "url": "https://example.org"}, None),
    ],
)
def test_create_and_update_every_kind(
    writer: Writer, kind: str, fields: dict[str, Any], parent: str | None
) -> None:
    mutation = f"""mutation($input: Create{kind}Input!) {{ create{kind}(input: $input) {{
        node {{ id }} userErrors {{ field message }} }} }}"""
    request: dict[str, Any] = {"fields": fields, "sources": [gid("Source:article")]}
    if parent:
        request["parent"] = gid(parent)
    created = writer.run(mutation, input=request)[f"create{kind}"]
    assert created["userErrors"] == []
    key = base64.b64decode(created["node"]["id"]).decode()
    assert key.startswith(f"{kind}:")
    graph_key = key.replace(kind, kind.lower(), 1)
    assert writer.graph.node(graph_key) is not None
    first_field = next(iter(fields))
    update = f"""mutation($input: Update{kind}Input!) {{ update{kind}(input: $input) {{
        node {{ id }} userErrors {{ field message }} graphVersion }} }}"""
    new_value = (
        15
        if isinstance(fields[first_field], int)
        else (["Comedy"] if isinstance(fields[first_field], list) else "Changed")
    )
    updated = writer.run(
        update,
        input={
            "id": created["node"]["id"],
            "fields": {first_field: new_value},
            "sources": [gid("Source:reference")],
        },
    )[f"update{kind}"]
    assert updated["userErrors"] == []
    assert updated["graphVersion"] == 2
    stored = node_to_json(writer.graph.require(graph_key))
    assert stored["fields"][first_field] == new_value
    if kind != "Source":
        assert stored["field_sources"][first_field] == ["source:reference"]


def test_refused_writes_change_nothing_and_say_where(writer: Writer) -> None:
    before = writer.state()
    mutation = """mutation($input: CreateEpisodeInput!) { createEpisode(input: $input) {
        node { id } userErrors { field message } graphVersion } }"""
    data = writer.run(
        mutation,
        input={
            "fields": {"number": 1, "title": "Again"},
            "parent": gid("Season:heartstopper-s1"),
            "sources": [gid("Source:nope")],
        },
    )["createEpisode"]
    assert data["node"] is None
    assert data["graphVersion"] == 0
    assert data["userErrors"] == [
        {"field": ["input", "sources", "0"], "message": "no source has the id of 'source:nope'"},
        {
            "field": ["input", "fields", "number"],
            "message": "number 1 is already used in 'season:heartstopper-s1' by "
            "'episode:heartstopper-s1e1'",
        },
    ]
    assert writer.state() == before
    assert writer.changes == []


def test_delete_needs_cascade_for_linked_nodes(writer: Writer) -> None:
    mutation = """mutation($input: DeleteNodeInput!) { deleteNode(input: $input) {
        deletedIds userErrors { field message } graphVersion } }"""
    refused = writer.run(
        mutation, input={"id": gid("Season:heartstopper-s3"), "sources": [gid("Source:article")]}
    )["deleteNode"]
    assert refused["deletedIds"] == []
    assert refused["userErrors"][0]["field"] == ["input", "cascade"]
    done = writer.run(
        mutation,
        input={
            "id": gid("Season:heartstopper-s2"),
            "cascade": True,
            "sources": [gid("Source:article")],
        },
    )["deleteNode"]
    assert done["userErrors"] == []
    assert len(done["deletedIds"]) == 1 + 8 + 1 + 3  # season, episodes, the scene, stills
    assert writer.graph.count(NodeKind.EPISODE) == 8


def test_link_and_unlink(writer: Writer) -> None:
    link = """mutation($input: LinkInput!) { linkNodes(input: $input) {
        source { id } target { id } relation userErrors { field message } graphVersion } }"""
    data = writer.run(
        link,
        input={
            "from": gid("Actor:william-gao"),
            "relation": "PORTRAYS",
            "to": gid("Character:tao-xu"),
            "role": "RECURRING",
            "episodes": [gid("Episode:heartstopper-s1e4")],
            "sources": [gid("Source:reference")],
        },
    )["linkNodes"]
    assert data["userErrors"] == []
    (portrayal,) = writer.graph.portrayals_of_actor("actor:william-gao")
    assert (portrayal.role.value, portrayal.episodes) == (
        "RECURRING",
        ("episode:heartstopper-s1e4",),
    )
    wrong = writer.run(
        link,
        input={
            "from": gid("Show:heartstopper"),
            "relation": "PORTRAYS",
            "to": gid("Actor:kit-connor"),
            "role": "MAIN",
            "sources": [gid("Source:reference")],
        },
    )["linkNodes"]
    assert wrong["userErrors"] == [
        {"field": ["input", "from"], "message": "PORTRAYS starts at an actor, not at a show"},
        {"field": ["input", "to"], "message": "PORTRAYS ends at a character, not at an actor"},
    ]
    unlink = """mutation($input: UnlinkInput!) { unlinkNodes(input: $input) {
        userErrors { field message } graphVersion } }"""
    data = writer.run(
        unlink,
        input={
            "from": gid("Actor:william-gao"),
            "relation": "PORTRAYS",
            "to": gid("Character:tao-xu"),
            "sources": [gid("Source:article")],
        },
    )
    assert data["unlinkNodes"] == {"userErrors": [], "graphVersion": 2}
    assert writer.graph.portrayals_of_actor("actor:william-gao") == ()


def test_anonymous_writes_are_refused(writer: Writer) -> None:
    context = Context(graph=writer.graph, store=writer.store, writer=None)
    result = SCHEMA.execute_sync(
        CREATE_ACTOR,
        context_value=context,
        variable_values={"input": {"fields": {"name": "X"}, "sources": [gid("Source:article")]}},
    )
    assert result.errors is not None
    assert result.errors[0].message == "mutations need a bearer token (Authorization: Bearer ...)"
    assert writer.graph.version == 0


def test_update_must_name_a_node_of_its_kind(writer: Writer) -> None:
    result = SCHEMA.execute_sync(
        """mutation { updateActor(input: {id: "U2hvdzpoZWFydHN0b3BwZXI=", fields: {name: "X"},
           sources: ["U291cmNlOmFydGljbGU="]}) { graphVersion } }""",
        context_value=Context(graph=writer.graph, store=writer.store, writer="alice"),
    )
    assert result.errors is not None
    assert result.errors[0].message == "`id` is not the id of an actor"


def test_in_memory_graph_without_a_store(tmp_path: Path) -> None:
    graph: ShowGraph = load_graph()
    context = Context(graph=graph, writer="alice")
    result = SCHEMA.execute_sync(
        CREATE_ACTOR,
        context_value=context,
        variable_values={
            "input": {"fields": {"name": "Jenny Walser"}, "sources": [gid("Source:article")]}
        },
    )
    assert result.errors is None
    assert graph.version == 1


ACTOR_LIST = "{ actors(first: 100) { nodes { name characters { name } } } }"


def characters_by_actor(writer: Writer) -> dict[str, list[str]]:
    nodes = writer.run(ACTOR_LIST, writer=None)["actors"]["nodes"]
    return {n["name"]: [c["name"] for c in n["characters"]] for n in nodes}


def test_actor_objects_shared_between_requests_follow_every_write(writer: Writer) -> None:
    """Actors and their characters are made once per state of the graph, never reused past it."""
    assert characters_by_actor(writer)["William Gao"] == ["Tao"]
    assert characters_by_actor(writer)["William Gao"] == ["Tao"]  # from what the first made
    unlink = """mutation($input: UnlinkInput!) { unlinkNodes(input: $input) {
        userErrors { field message } } }"""
    request = {
        "from": gid("Actor:william-gao"),
        "relation": "PORTRAYS",
        "to": gid("Character:tao-xu"),
        "sources": [gid("Source:article")],
    }
    assert writer.run(unlink, input=request)["unlinkNodes"]["userErrors"] == []
    assert characters_by_actor(writer)["William Gao"] == []
    update = """mutation($input: UpdateActorInput!) { updateActor(input: $input) {
        userErrors { field message } } }"""
    renamed = {
        "id": gid("Actor:william-gao"),
        "fields": {"name": "Will Gao"},
        "sources": [gid("Source:reference")],
    }
    assert writer.run(update, input=renamed)["updateActor"]["userErrors"] == []
    after = characters_by_actor(writer)
    assert "William Gao" not in after
    assert after["Will Gao"] == []


EPISODE_CAST = """{ node(id: "RXBpc29kZTpoZWFydHN0b3BwZXItczJlMQ==") { ... on Episode {
    characters { name portrayals { role actor { name } } } } } }"""


def episode_cast(writer: Writer) -> list[tuple[str, list[tuple[str, str]]]]:
    characters = writer.run(EPISODE_CAST, writer=None)["node"]["characters"]
    return [
        (c["name"], [(p["role"], p["actor"]["name"]) for p in c["portrayals"]]) for c in characters
    ]


def test_episode_characters_and_portrayals_shared_between_requests_follow_writes(
    writer: Writer,
) -> None:
    """An episode's Character objects, their Portrayals and the Actors are never reused stale."""
    before = [
        ("Charlie Spring", [("MAIN", "Joe Locke")]),
        ("Nick Nelson", [("MAIN", "Kit Connor")]),
    ]
    assert episode_cast(writer) == before
    assert episode_cast(writer) == before
    link = """mutation($input: LinkInput!) { linkNodes(input: $input) {
        userErrors { field message } } }"""
    appears = {
        "from": gid("Character:tara-jones"),
        "relation": "APPEARS_IN",
        "to": gid("Episode:heartstopper-s2e1"),
        "sources": [gid("Source:reference")],
    }
    assert writer.run(link, input=appears)["linkNodes"]["userErrors"] == []
    recast = {
        "from": gid("Actor:kit-connor"),
        "relation": "PORTRAYS",
        "to": gid("Character:nick-nelson"),
        "role": "RECURRING",
        "sources": [gid("Source:reference")],
    }
    assert writer.run(link, input=recast)["linkNodes"]["userErrors"] == []
    update = """mutation($input: UpdateActorInput!) { updateActor(input: $input) {
        userErrors { field message } } }"""
    renamed = {
        "id": gid("Actor:joe-locke"),
        "fields": {"name": "Joseph Locke"},
        "sources": [gid("Source:reference")],
    }
    assert writer.run(update, input=renamed)["updateActor"]["userErrors"] == []
    assert episode_cast(writer) == [
        ("Charlie Spring", [("MAIN", "Joseph Locke")]),
        ("Nick Nelson", [("RECURRING", "Kit Connor")]),
        ("Tara", [("MAIN", "Corinna Brown")]),
    ]


NUL_NAME_ERROR = {
    "field": ["input", "fields", "name"],
    "message": "contains a NUL character (\\u0000), which cannot be stored",
}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Jenny\x00Walser", NUL_NAME_ERROR["message"]),
        ("Jenny\ud800", "contains a lone surrogate character, which is not valid Unicode text"),
        ("J" * 201, "String should have at most 200 characters"),
    ],
)
def test_text_no_store_can_keep_is_refused_naming_the_field(
    writer: Writer, name: str, message: str
) -> None:
    before = writer.state()
    data = writer.run(
        CREATE_ACTOR, input={"fields": {"name": name}, "newSource": {"title": "A note"}}
    )["createActor"]
    assert data["userErrors"] == [{"field": ["input", "fields", "name"], "message": message}]
    assert data["node"] is None
    assert writer.state() == before
    assert writer.changes == []


def test_an_id_made_from_a_long_name_is_bounded_and_stays_unique(writer: Writer) -> None:
    name = "Walser " * 28  # 196 characters
    ids = [
        writer.run(
            CREATE_ACTOR, input={"fields": {"name": name}, "sources": [gid("Source:article")]}
        )["createActor"]["node"]["id"]
        for _ in range(2)
    ]
    slug = "-".join(["walser"] * 28)[:80].rstrip("-")
    assert ids == [gid(f"Actor:{slug}"), gid(f"Actor:{slug}-2")]
    assert len(slug) <= 80


RETRIED = {
    "fields": {"name": "Jenny Walser"},
    "newSource": {"title": "Netflix cast announcement"},
    "clientMutationId": "create-jenny-1",
}


def test_a_retry_with_the_same_client_mutation_id_writes_nothing(writer: Writer) -> None:
    first = writer.run(CREATE_ACTOR, input=RETRIED)["createActor"]
    writer.run(CREATE_ACTOR, input={**RETRIED, "clientMutationId": None})  # no key: written
    retry = writer.run(CREATE_ACTOR, input=RETRIED)["createActor"]
    assert retry == first  # the first attempt's node and version; no "jenny-walser-2"
    assert writer.graph.version == 2
    assert writer.graph.node("actor:jenny-walser-3") is None
    # Another writer's key is its own.
    other = writer.run(CREATE_ACTOR, writer="bob", input=RETRIED)["createActor"]
    assert (other["graphVersion"], other["userErrors"]) == (3, [])


def test_a_retry_key_survives_a_snapshot_and_a_restart(writer: Writer) -> None:
    first = writer.run(CREATE_ACTOR, input=RETRIED)["createActor"]
    writer.store.close(writer.graph)  # snapshot: the journal is emptied
    again = Writer(writer.store.data_dir)
    assert again.run(CREATE_ACTOR, input=RETRIED)["createActor"] == first
    assert again.graph.version == 1


def test_a_retry_key_used_for_another_mutation_is_refused(writer: Writer) -> None:
    writer.run(CREATE_ACTOR, input=RETRIED)
    update = """mutation($input: UpdateActorInput!) { updateActor(input: $input) {
      node { id } userErrors { field message } graphVersion } }"""
    answer = writer.run(
        update,
        input={
            "id": gid("Actor:kit-connor"),
            "fields": {"name": "Kit"},
            "sources": [gid("Source:article")],
            "clientMutationId": "create-jenny-1",
        },
    )["updateActor"]
    assert answer["node"] is None
    [error] = answer["userErrors"]
    assert error["field"] == ["input", "clientMutationId"]
    assert "was used for another mutation ('create actor', version 1)" in error["message"]
    assert writer.graph.version == 1


@pytest.mark.parametrize(
    ("key", "says"),
    [("retry\x00me", "NUL character"), ("k" * 256, "256 characters long; at most 255")],
)
def test_a_client_mutation_id_no_store_could_keep_is_refused(
    writer: Writer, key: str, says: str
) -> None:
    before = writer.state()
    answer = writer.run(CREATE_ACTOR, input={**RETRIED, "clientMutationId": key})["createActor"]
    assert answer["node"] is None
    [error] = answer["userErrors"]
    assert error["field"] == ["input", "clientMutationId"]
    assert says in error["message"]
    assert writer.state() == before
    kept = writer.run(CREATE_ACTOR, input={**RETRIED, "clientMutationId": "k" * 255})
    assert kept["createActor"]["userErrors"] == []  # the longest that is kept still writes
