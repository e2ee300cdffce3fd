"""The graph's vocabularies as GraphQL enums, registered once.

The Python enums live in ``graph_data.kinds``; registering each here, before
any type uses it, keeps one GraphQL definition per enum however the type
modules import each other.
"""

from __future__ import annotations

import strawberry

from graph_data.kinds import CastRole, NodeKind, Relation, SceneKind, SeasonStatus, SourceKind

strawberry.enum(NodeKind, name="NodeKind", description="The kinds of node in the graph.")
strawberry.enum(Relation, name="Relation", description="Edge labels: how two nodes are linked.")
strawberry.enum(
    SourceKind,
    name="SourceKind",
    description="ARTICLE: the seed article; REFERENCE: widely documented knowledge that the "
    "article does not state; USER_EDIT: a change made through the API.",
)
strawberry.enum(SeasonStatus, name="SeasonStatus", description="Where a season stands.")
strawberry.enum(
    SceneKind,
    name="SceneKind",
    description="SCENE: a scene of an episode; STILL: a published still image.",
)
strawberry.enum(CastRole, name="CastRole", description="Billing of a portrayal.")
