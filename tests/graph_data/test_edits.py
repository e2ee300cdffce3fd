"""Edits: every way a write can be refused, and what an accepted one plans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph_data import ShowGraph, load_graph
from graph_data.changes import Change, DeleteEdge, DeleteNode, PutEdge, PutNode, apply
from graph_data.edits import (
    Edit,
    EditRejectedError,
    SourceRequest,
    create_node,
    delete_node,
    link,
    unlink,
    update_node,
)
from graph_data.kinds import NodeKind, Relation

ARTICLE = SourceRequest(keys=["source:article"])


@pytest.fixture
def model() -> ShowGraph:
    return load_graph()


def plan(model: ShowGraph, step: Callable[[Edit], Any], sources: SourceRequest = ARTICLE) -> list:
    edit = Edit(model, "alice", model.version + 1)
    edit.cite(sources)
    step(edit)
    return edit.done()


def refused(
    model: ShowGraph, step: Callable[[Edit], Any], sources: SourceRequest = ARTICLE
) -> list:
    with pytest.raises(EditRejectedError) as caught:
        plan(model, step, sources)
    return [(".".join(e.field), e.message) for e in caught.value.errors]


def commit(model: ShowGraph, ops: list) -> None:
    apply(model, Change(model.version + 1, "alice", tuple(ops)))


def test_every_write_names_a_source(model: ShowGraph) -> None:
    errors = refused(
        model, lambda e: create_node(e, NodeKind.ACTOR, {"name": "X"}), SourceRequest()
    )
    assert errors == [
        (
            "sources",
            "name at least one source (`sources` or `newSource`): every "
            "fact says where it comes from",
        )
    ]
    errors = refused(model, lambda e: None, SourceRequest(keys=["actor:kit-connor"]))
    assert errors == [("sources.0", "no source has the id of 'actor:kit-connor'")]


def test_a_new_source_is_a_user_edit_of_the_writer(model: ShowGraph) -> None:
    ops = plan(
        model,
        lambda e: create_node(e, NodeKind.ACTOR, {"name": "Jenny Walser"}),
        SourceRequest(new_title="Netflix press release", new_url="https://example.org/pr"),
    )
    source, actor = ops
    assert isinstance(source, PutNode)
    assert source.key == "source:user-edit-1"
    assert source.fields["kind"] == "USER_EDIT"
    assert source.fields["publisher"] == "alice"
    assert "Recorded by alice" in source.fields["note"]
    assert isinstance(actor, PutNode)
    assert actor.sources == ["source:user-edit-1"]


def test_create_with_a_generated_id_and_parent(model: ShowGraph) -> None:
    ops = plan(
        model,
        lambda e: create_node(
            e,
            NodeKind.SEASON,
            {"number": 4, "status": "ANNOUNCED"},
            "heartstopper-s4",
            "show:heartstopper",
        ),
    )
    assert ops == [
        PutNode(
            key="season:heartstopper-s4",
            kind=NodeKind.SEASON,
            fields={"number": 4, "status": "ANNOUNCED", "viewership": []},
            sources=["source:article"],
        ),
        PutEdge(
            source="show:heartstopper",
            target="season:heartstopper-s4",
            relation=Relation.HAS_SEASON,
            sources=["source:article"],
        ),
    ]
    ops = plan(model, lambda e: create_node(e, NodeKind.ACTOR, {"name": "Kit Connor"}))
    assert ops[0].key == "actor:kit-connor-2"  # made unique


def test_create_refusals(model: ShowGraph) -> None:
    assert refused(
        model, lambda e: create_node(e, NodeKind.ACTOR, {"name": "X"}, "kit-connor")
    ) == [("id", "an actor with the id 'kit-connor' already exists")]
    assert refused(model, lambda e: create_node(e, NodeKind.ACTOR, {"nam": "X"})) == [
        ("fields.name", "missing required field"),
        ("fields.nam", "Extra inputs are not permitted"),
    ]
    assert refused(
        model,
        lambda e: create_node(
            e, NodeKind.EPISODE, {"number": 1, "title": "T"}, parent="show:heartstopper"
        ),
    ) == [("parent", "the parent of an episode is a season, not a show")]
    assert refused(
        model, lambda e: create_node(e, NodeKind.EPISODE, {"number": 1, "title": "T"})
    ) == [("parent", "an episode needs a parent: a season")]
    assert refused(
        model,
        lambda e: create_node(
            e, NodeKind.EPISODE, {"number": 1, "title": "T"}, parent="season:heartstopper-s1"
        ),
    ) == [
        (
            "fields.number",
            "number 1 is already used in 'season:heartstopper-s1' by 'episode:heartstopper-s1e1'",
        )
    ]
    assert refused(model, lambda e: create_node(e, NodeKind.ACTOR, {"name": "X"}, "bad id!")) == [
        (
            "id",
            "'bad id!' is not a valid id: use letters, digits, '.', '_' and '-', starting with a "
            "letter or digit",
        )
    ]
    assert refused(
        model,
        lambda e: create_node(e, NodeKind.SEASON, {"number": 9, "status": "X"}, parent="show:nope"),
    ) == [
        ("fields.status", "Input should be 'IN_DEVELOPMENT', 'FILMING', 'ANNOUNCED' or 'RELEASED'"),
        ("parent", "no node has the id of 'show:nope'"),
    ]


def test_update_merges_and_cites_the_edit(model: ShowGraph) -> None:
    ops = plan(model, lambda e: update_node(e, "character:tao-xu", {"aliases": ["Tao Xu"]}))
    (op,) = ops
    assert op.fields == {"name": "Tao", "fullName": "Tao Xu", "aliases": ["Tao Xu"]}
    assert op.field_sources == {"fullName": ["source:reference"], "aliases": ["source:article"]}
    assert op.sources == ["source:article"]


def test_update_refusals(model: ShowGraph) -> None:
    assert refused(model, lambda e: update_node(e, "actor:nobody", {"name": "X"})) == [
        ("id", "no node has the id of 'actor:nobody'")
    ]
    assert refused(model, lambda e: update_node(e, "actor:kit-connor", {})) == [
        ("fields", "give at least one field to change")
    ]
    assert refused(model, lambda e: update_node(e, "episode:heartstopper-s1e1", {"number": 2})) == [
        (
            "fields.number",
            "number 2 is already used in 'season:heartstopper-s1' by 'episode:heartstopper-s1e2'",
        )
    ]
    assert refused(
        model, lambda e: update_node(e, "season:heartstopper-s1", {"premiereDate": "2022-02-30"})
    ) == [("fields.premiereDate", "'2022-02-30' is not a day of the calendar")]


def test_delete_refuses_dangling_links_unless_cascaded(model: ShowGraph) -> None:
    errors = refused(model, lambda e: delete_node(e, "actor:kit-connor"))
    assert errors == [
        (
            "cascade",
            "actor:kit-connor still has 1 link(s) (PORTRAYS -> "
            "character:nick-nelson); unlink them first, or pass cascade: "
            "true to delete it with its links",
        )
    ]
    assert plan(model, lambda e: delete_node(e, "actor:kit-connor", cascade=True)) == [
        DeleteNode(key="actor:kit-connor")
    ]


def test_cascading_a_season_takes_its_episodes_and_prunes_portrayals(model: ShowGraph) -> None:
    ops = plan(model, lambda e: delete_node(e, "episode:heartstopper-s2e1", cascade=True))
    assert ops[-2:] == [
        DeleteNode(key="scene:heartstopper-s2e1-opening"),
        DeleteNode(key="episode:heartstopper-s2e1"),
    ]
    commit(model, ops)
    assert model.node("scene:heartstopper-s2e1-opening") is None
    assert model.character_episodes("character:nick-nelson") == ()


def test_sources_in_use_cannot_be_deleted(model: ShowGraph) -> None:
    (error,) = refused(model, lambda e: delete_node(e, "source:reference", cascade=True))
    assert error[0] == "id"
    assert "a source that facts rely on cannot be deleted" in error[1]


def test_link_checks_kinds_at_both_ends(model: ShowGraph) -> None:
    assert refused(
        model,
        lambda e: link(
            e, "character:tara-jones", Relation.PORTRAYS, "actor:kit-connor", {"role": "MAIN"}
        ),
    ) == [
        ("from", "PORTRAYS starts at an actor, not at a character"),
        ("to", "PORTRAYS ends at a character, not at an actor"),
    ]
    assert refused(
        model,
        lambda e: link(
            e, "actor:kit-connor", Relation.PORTRAYS, "character:nobody", {"role": "MAIN"}
        ),
    ) == [("to", "no node has the id of 'character:nobody'")]


def test_link_properties(model: ShowGraph) -> None:
    assert refused(
        model,
        lambda e: link(e, "actor:kit-connor", Relation.PORTRAYS, "character:charlie-spring", {}),
    ) == [("role", "a portrayal needs a `role`: MAIN, RECURRING or GUEST")]
    assert refused(
        model,
        lambda e: link(
            e, "character:tao-xu", Relation.RELATED_TO, "character:elle-argent", {"kind": "dating"}
        ),
    ) == [("kind", "a relationship needs a kind in capitals, e.g. DATING")]
    assert refused(
        model,
        lambda e: link(
            e, "character:tao-xu", Relation.RELATED_TO, "character:tao-xu", {"kind": "SELF"}
        ),
    ) == [("to", "a node cannot be linked to itself")]
    ops = plan(
        model,
        lambda e: link(
            e,
            "actor:william-gao",
            Relation.PORTRAYS,
            "character:tao-xu",
            {"role": "MAIN", "episodes": ["episode:heartstopper-s1e1"]},
        ),
    )
    commit(model, ops)
    (portrayal,) = model.portrayals_of_actor("actor:william-gao")
    assert portrayal.episodes == ("episode:heartstopper-s1e1",)


def test_linking_a_child_elsewhere_moves_it(model: ShowGraph) -> None:
    ops = plan(
        model,
        lambda e: link(
            e, "season:heartstopper-s3", Relation.HAS_SCENE, "scene:heartstopper-s2-still-elle-tao"
        ),
    )
    assert ops == [
        DeleteEdge(
            source="season:heartstopper-s2",
            target="scene:heartstopper-s2-still-elle-tao",
            relation=Relation.HAS_SCENE,
        ),
        PutEdge(
            source="season:heartstopper-s3",
            target="scene:heartstopper-s2-still-elle-tao",
            relation=Relation.HAS_SCENE,
            sources=["source:article"],
        ),
    ]


def test_unlink_refusals(model: ShowGraph) -> None:
    assert refused(
        model, lambda e: unlink(e, "actor:kit-connor", Relation.PORTRAYS, "character:tao-xu")
    ) == [("to", "there is no PORTRAYS link from actor:kit-connor to character:tao-xu")]
    assert refused(
        model,
        lambda e: unlink(e, "show:heartstopper", Relation.HAS_SEASON, "season:heartstopper-s1"),
    ) == [
        (
            "relation",
            "season:heartstopper-s1 cannot be left without its parent: link it to "
            "another one (which moves it), or delete it",
        )
    ]
    assert plan(
        model, lambda e: unlink(e, "actor:kit-connor", Relation.PORTRAYS, "character:nick-nelson")
    ) == [
        DeleteEdge(
            source="actor:kit-connor", target="character:nick-nelson", relation=Relation.PORTRAYS
        )
    ]


def test_a_character_cannot_appear_in_another_show(model: ShowGraph) -> None:
    def other_show(edit: Edit) -> None:
        create_node(edit, NodeKind.SHOW, {"name": "Other"}, "other")

    commit(model, plan(model, other_show))
    commit(
        model,
        plan(
            model,
            lambda e: create_node(
                e, NodeKind.SEASON, {"number": 1, "status": "RELEASED"}, "other-s1", "show:other"
            ),
        ),
    )
    commit(
        model,
        plan(
            model,
            lambda e: create_node(
                e, NodeKind.EPISODE, {"number": 1}, "other-s1e1", "season:other-s1"
            ),
        ),
    )
    episode = "episode:other-s1e1"
    assert refused(
        model, lambda e: link(e, "character:nick-nelson", Relation.APPEARS_IN, episode)
    ) == [("to", "'episode:other-s1e1' is in 'show:other', not in 'show:heartstopper'")]
    assert refused(
        model,
        lambda e: link(
            e,
            "actor:kit-connor",
            Relation.PORTRAYS,
            "character:nick-nelson",
            {"role": "MAIN", "episodes": [episode]},
        ),
    ) == [("episodes.0", "'episode:other-s1e1' is in 'show:other', not in 'show:heartstopper'")]
    scene = "scene:heartstopper-s2e1-opening"
    assert plan(model, lambda e: link(e, "character:tara-jones", Relation.APPEARS_IN, scene))
