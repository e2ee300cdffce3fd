"""Name filters: case- and accent-insensitive, fields combined with AND."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from graph_data import ShowGraph, load_graph
from graph_data.filters import node_names
from graph_data.generate import generate, shows_for_nodes, write_dataset
from graph_data.kinds import NodeKind
from schema import filters
from schema.relay import encode_key
from tests.conftest import GraphQL

CHARACTERS = "query($where: CharacterWhere) { characters(where: $where) { nodes { name } } }"


def names(gql: GraphQL, where: dict[str, object]) -> list[str]:
    return [n["name"] for n in gql(CHARACTERS, where=where)["characters"]["nodes"]]


def test_eq_ignores_case_and_accents(gql: GraphQL) -> None:
    assert names(gql, {"name": {"eq": "ÉLLE"}}) == ["Elle"]


def test_eq_matches_full_names_and_aliases(gql: GraphQL) -> None:
    assert names(gql, {"name": {"eq": "tara jones"}}) == ["Tara"]
    assert names(gql, {"name": {"eq": "Charlie"}}) == ["Charlie Spring"]


def test_contains_and_in(gql: GraphQL) -> None:
    assert names(gql, {"name": {"contains": "NEL"}}) == ["Nick Nelson"]
    assert names(gql, {"name": {"in": ["tao", "darcy", "nobody"]}}) == ["Darcy", "Tao"]


def test_conditions_combine_with_and(gql: GraphQL) -> None:
    # "Elle Argent" contains an "a": each condition may match any of the names.
    assert names(gql, {"name": {"contains": "a", "in": ["Tara", "Tao", "Elle"]}}) == [
        "Elle",
        "Tao",
        "Tara",
    ]
    assert names(gql, {"name": {"eq": "Tara", "contains": "x"}}) == []


def test_empty_filter_returns_everything(gql: GraphQL) -> None:
    assert len(names(gql, {})) == 6
    assert len(names(gql, {"name": {}})) == 6


def test_actor_and_show_filters(gql: GraphQL) -> None:
    data = gql(
        '{ actors(where: {name: {contains: "gao"}}) { nodes { name } } '
        'shows(where: {name: {eq: "nope"}}) { totalCount } }'
    )
    assert data == {"actors": {"nodes": [{"name": "William Gao"}]}, "shows": {"totalCount": 0}}


def ids_of(raw: list[str]) -> list[str]:
    return [base64.b64encode(r.encode()).decode() for r in raw]


def test_actors_whose_characters_match(gql: GraphQL) -> None:
    data = gql('{ actors(where: {characters: {name: {in: ["Nick", "tara"]}}}) { nodes { name } } }')
    assert [n["name"] for n in data["actors"]["nodes"]] == ["Corinna Brown", "Kit Connor"]


def test_characters_in_a_given_episode_and_season(gql: GraphQL) -> None:
    (episode,) = ids_of(["Episode:heartstopper-s2e1"])
    in_episode = gql(CHARACTERS, where={"episodes": {"id": {"eq": episode}}})
    assert [n["name"] for n in in_episode["characters"]["nodes"]] == [
        "Charlie Spring",
        "Nick Nelson",
    ]
    # Seen in season 2 at all: the stills count too.
    assert names(gql, {"seasons": {"number": {"eq": 2}}}) == [
        "Charlie Spring",
        "Darcy",
        "Elle",
        "Nick Nelson",
        "Tao",
        "Tara",
    ]
    assert names(gql, {"episodes": {"season": {"number": {"eq": 1}}}}) == []


def test_episodes_a_character_appears_in(gql: GraphQL) -> None:
    data = gql(
        '{ episodes(where: {characters: {name: {eq: "nick"}}}) '
        "{ totalCount nodes { title season { number } } } }"
    )
    assert data["episodes"] == {
        "totalCount": 1,
        "nodes": [{"title": "Out", "season": {"number": 2}}],
    }


def test_numbers_and_dates(gql: GraphQL) -> None:
    data = gql("""{
      early: episodes(where: {releaseDate: {lt: "2023"}}) { totalCount }
      late: episodes(where: {number: {gte: 7}, releaseDate: {gte: "2023-08-03"}}) {
        nodes { title } }
      filmed: seasons(where: {premiereDate: {gt: "2022-04-22"}}) { nodes { number } }
    }""")
    assert data["early"]["totalCount"] == 8
    assert [n["title"] for n in data["late"]["nodes"]] == ["Sorry", "Perfect"]
    assert data["filmed"]["nodes"] == [{"number": 2}]


def test_enum_filters(gql: GraphQL) -> None:
    data = gql("""{
      dev: seasons(where: {status: {in: [IN_DEVELOPMENT, FILMING]}}) { nodes { number } }
      released: seasons(where: {status: {eq: RELEASED}}) { totalCount }
      refs: sources(where: {kind: {eq: REFERENCE}}) { totalCount }
      main: shows { nodes { cast(where: {role: {eq: MAIN}}) { totalCount } } }
    }""")
    assert data["dev"]["nodes"] == [{"number": 3}]
    assert data["released"]["totalCount"] == 2
    assert data["refs"]["totalCount"] == 1
    assert data["main"]["nodes"][0]["cast"]["totalCount"] == 6


def test_and_or_not(gql: GraphQL) -> None:
    assert names(gql, {"OR": [{"name": {"eq": "Tao"}}, {"name": {"eq": "Elle"}}]}) == [
        "Elle",
        "Tao",
    ]
    assert names(gql, {"NOT": {"sceneCount": {"gte": 1}}}) == []
    assert names(
        gql, {"AND": [{"episodeCount": {"eq": 0}}, {"NOT": {"name": {"contains": "o"}}}]}
    ) == ["Elle"]


def test_filters_through_relations_compose(gql: GraphQL) -> None:
    data = gql("""{ actors(where: {characters: {episodes: {title: {eq: "Out"}}},
                                NOT: {name: {contains: "kit"}}}) { nodes { name } } }""")
    assert data["actors"]["nodes"] == [{"name": "Joe Locke"}]


def test_ordering(gql: GraphQL) -> None:
    data = gql("""{
      byScenes: characters(orderBy: SCENE_COUNT_DESC, first: 3) { nodes { name counts { scenes } } }
      byNameDesc: actors(orderBy: NAME_DESC, first: 2) { nodes { name } }
      byDate: seasons(orderBy: PREMIERE_DATE_DESC) { nodes { number premiereDate } }
      latest: episodes(orderBy: NUMBER_DESC, first: 1) { nodes { title } }
      byTitle: shows { nodes { season(number: 2) { episodes(orderBy: TITLE) { title } } } }
    }""")
    assert data["byScenes"]["nodes"] == [
        {"name": "Charlie Spring", "counts": {"scenes": 2}},
        {"name": "Nick Nelson", "counts": {"scenes": 2}},
        {"name": "Darcy", "counts": {"scenes": 1}},
    ]
    assert data["byNameDesc"]["nodes"] == [{"name": "Yasmin Finney"}, {"name": "William Gao"}]
    # Missing dates sort last whatever the direction.
    assert data["byDate"]["nodes"] == [
        {"number": 2, "premiereDate": "2023-08-03"},
        {"number": 1, "premiereDate": "2022-04-22"},
        {"number": 3, "premiereDate": None},
    ]
    assert data["latest"]["nodes"] == [{"title": "Perfect"}]
    titles = [e["title"] for e in data["byTitle"]["nodes"][0]["season"]["episodes"]]
    assert titles == sorted(titles)


def test_co_stars_can_be_filtered(gql: GraphQL) -> None:
    data = gql("""{ actors(where: {name: {eq: "Kit Connor"}}) { nodes {
        coStars(where: {characters: {name: {eq: "Tara"}}}) { totalCount nodes { name } } } } }""")
    assert data["actors"]["nodes"][0]["coStars"] == {
        "totalCount": 1,
        "nodes": [{"name": "Corinna Brown"}],
    }


# --- name filters start from the graph's name table: same answers as testing every node ---

LISTINGS = {  # connection -> its where type and order enum values
    "actors": ("ActorWhere", "ActorOrder", ["NAME_DESC", "EPISODE_COUNT"]),
    "characters": ("CharacterWhere", "CharacterOrder", ["NAME_DESC", "SCENE_COUNT_DESC"]),
    "shows": ("ShowWhere", "ShowOrder", ["NAME", "EPISODE_COUNT_DESC"]),
}
NAME_CONDITIONS = [
    {"eq": "TAO"},
    {"eq": "nobody"},
    {"in": ["kit connor", "Joe Locke", "nick", "tara jones", "heartstopper", "nobody"]},
    {"in": []},
    {"in": ["Charlie"], "contains": "spring"},
    {"eq": "Charlie", "in": ["charlie spring"]},  # each condition met by another name
    {"eq": "Elle", "in": ["Tao"]},
]


def _page(run: Any, conn: str, where: dict[str, Any], order: str | None, first: int) -> Any:
    where_type, order_type, _ = LISTINGS[conn]
    query = (
        f"query($where: {where_type}, $order: {order_type}, $first: Int, $after: String) "
        f"{{ {conn}(where: $where, orderBy: $order, first: $first, after: $after) "
        "{ totalCount pageInfo { hasNextPage endCursor } nodes { id } } }"
    )
    pages, after = [], None
    while True:
        page = run(query, where=where, order=order, first=first, after=after)[conn]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def _same_as_scan(run: Any) -> None:
    """Each name condition answers, page by page, as the same condition under OR does:
    OR is not narrowed, so that one tests every node."""
    for conn, (_, _, orders) in LISTINGS.items():
        for condition in NAME_CONDITIONS:
            for order in [None, *orders]:
                for first in (1, 2, 100):
                    narrowed = _page(run, conn, {"name": condition}, order, first)
                    scanned = _page(run, conn, {"OR": [{"name": condition}]}, order, first)
                    assert narrowed == scanned, (conn, condition, order, first)


def test_name_filters_answer_as_a_scan_does_before_and_after_writes(tmp_path: Path) -> None:
    from graph_data import BUILTIN_DATASET
    from graph_data.store import JournalStore
    from schema import build_schema
    from schema.context import Context

    schema = build_schema()
    store = JournalStore(tmp_path, BUILTIN_DATASET)
    graph = store.open()

    def run(query: str, **variables: Any) -> Any:
        context = Context(graph=graph, store=store, writer="alice", published=lambda _: None)
        result = schema.execute_sync(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        return result.data

    source = [base64.b64encode(b"Source:article").decode()]
    _same_as_scan(run)
    run(
        """mutation($input: CreateActorInput!) { createActor(input: $input) { userErrors {
        message } } }""",
        input={"fields": {"name": "Tao"}, "sources": source},
    )
    run(
        """mutation($input: UpdateActorInput!) { updateActor(input: $input) { userErrors {
        message } } }""",
        input={
            "id": ids_of(["Actor:kit-connor"])[0],
            "fields": {"name": "Nick"},
            "sources": source,
        },
    )
    run(
        """mutation($input: UpdateCharacterInput!) { updateCharacter(input: $input) {
        userErrors { message } } }""",
        input={
            "id": ids_of(["Character:elle-argent"])[0],
            "fields": {"aliases": ["Kit Connor"]},
            "sources": source,
        },
    )
    assert [
        n["name"]
        for n in run('{ actors(where: {name: {eq: "nick"}}) { nodes { name } } }')["actors"][
            "nodes"
        ]
    ] == ["Nick"]
    _same_as_scan(run)


# --- starting points: a listing narrowed by a relation keeps every match ----------------------

STARTS = [  # (listing kind, its where type, field, related kind, the related where type)
    ("CHARACTER", "CharacterWhere", "show", "SHOW", "ShowWhere"),
    ("CHARACTER", "CharacterWhere", "actors", "ACTOR", "ActorWhere"),
    ("CHARACTER", "CharacterWhere", "episodes", "EPISODE", "EpisodeWhere"),
    ("CHARACTER", "CharacterWhere", "seasons", "SEASON", "SeasonWhere"),
    ("ACTOR", "ActorWhere", "characters", "CHARACTER", "CharacterWhere"),
    ("SEASON", "SeasonWhere", "show", "SHOW", "ShowWhere"),
    ("EPISODE", "EpisodeWhere", "season", "SEASON", "SeasonWhere"),
    ("EPISODE", "EpisodeWhere", "characters", "CHARACTER", "CharacterWhere"),
    ("SHOW", "ShowWhere", "characters", "CHARACTER", "CharacterWhere"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ShowGraph:
    path = Path(tmp_path_factory.mktemp("starts")) / "generated.json"
    write_dataset(generate(shows_for_nodes(2500), seed=3), path)
    return load_graph(path)


@pytest.mark.parametrize(("kind", "where_type", "field", "other", "other_type"), STARTS)
def test_every_related_node_leads_to_every_node_it_matches(
    generated: ShowGraph, kind: str, where_type: str, field: str, other: str, other_type: str
) -> None:
    """For each related node in turn, ``{field: {id: {eq: it}}}``: the nodes the listing starts
    from include every node the whole ``where`` accepts (tested on every node of the kind), so
    the listing answers what testing every node answers."""
    graph = generated
    where_class, other_class = getattr(filters, where_type), getattr(filters, other_type)
    listing = graph.nodes_of(NodeKind(kind))
    for related in graph.nodes_of(NodeKind(other)):
        condition = other_class(id=filters.IDFilter(eq=encode_key(related.key)))
        where = where_class(**{field: condition})
        accepts = where.predicate(graph)
        expected = [node for node in listing if accepts(node)]
        started = filters.candidates(graph, NodeKind(kind), where)
        assert len(started) < len(listing) or len(listing) <= 1, "no narrowing"
        assert [node for node in started if accepts(node)] == expected, related.key


NAMED_LISTINGS = [("SHOW", "ShowWhere"), ("CHARACTER", "CharacterWhere"), ("ACTOR", "ActorWhere")]


@pytest.mark.parametrize(("kind", "where_type"), NAMED_LISTINGS)
def test_a_where_of_names_only_is_the_name_tables_answer(
    generated: ShowGraph, kind: str, where_type: str
) -> None:
    """``name: {eq}`` or ``{in}`` alone is answered from the name table, untested: the nodes
    testing every node keeps, in the same order (names, full names and aliases, re-cased,
    and names nobody has)."""
    graph, node_kind = generated, NodeKind(kind)
    where_class = getattr(filters, where_type)
    listing = graph.nodes_of(node_kind)
    names = [name for node in listing[:12] for name in node_names(node)]
    names += [name.upper() for name in names[:4]] + ["nobody at all", ""]
    conditions: list[dict[str, Any]] = [{"eq": name} for name in names]
    conditions += [{"in_": names[i : i + 3]} for i in range(0, len(names), 3)] + [{"in_": []}]
    for condition in conditions:
        where = where_class(name=filters.NameFilter(**condition))
        assert filters._names_only(node_kind, where) is not None, "the name table answers"
        accepts = where.predicate(graph)
        expected = [node for node in listing if accepts(node)]
        assert list(filters.matching(graph, node_kind, where)) == expected, condition


@pytest.mark.parametrize(("kind", "where_type"), NAMED_LISTINGS)
def test_a_where_saying_more_than_names_tests_the_nodes(
    generated: ShowGraph, kind: str, where_type: str
) -> None:
    """Another field, ``contains``, or ``eq`` with ``in``: every condition is tested."""
    graph, node_kind = generated, NodeKind(kind)
    where_class = getattr(filters, where_type)
    listing = graph.nodes_of(node_kind)
    first, second = listing[0], listing[1]
    name = filters.NameFilter
    wheres = [
        where_class(name=name(eq=first.label), id=filters.IDFilter(eq=encode_key(second.key))),
        where_class(name=name(eq=first.label), and_=[where_class(name=name(eq=second.label))]),
        where_class(name=name(eq=first.label), not_=where_class(name=name(eq=first.label))),
        where_class(name=name(eq=first.label, contains="zzz")),
        where_class(name=name(eq=first.label, in_=[second.label])),
    ]
    for where in wheres:
        assert filters._names_only(node_kind, where) is None
        accepts = where.predicate(graph)
        assert list(filters.matching(graph, node_kind, where)) == [
            node for node in listing if accepts(node)
        ]
