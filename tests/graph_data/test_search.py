"""Tests for graph_data.search: ranking on the built-in data, errors, caching,
and, on a generated graph, that the index returns exactly what scoring every
name with ``similarity`` would."""

from __future__ import annotations

import doctest
import random
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_data import GraphNode, ShowGraph, load_graph, search
from graph_data.kinds import NodeKind, SeasonStatus, SourceKind
from graph_data.records import (
    ActorFields,
    CharacterFields,
    EpisodeFields,
    SceneFields,
    SeasonFields,
    SourceFields,
)
from graph_data.search import (
    MIN_SIMILARITY,
    Hit,
    SearchIndex,
    _names,
    search_index,
    similarity,
)
from graph_data.text import fold


@pytest.fixture(scope="module")
def builtin() -> ShowGraph:
    return load_graph()


@pytest.fixture(scope="module")
def index(builtin: ShowGraph) -> SearchIndex:
    return SearchIndex(builtin)


# --- acceptance examples on the built-in dataset -------------------------------


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("charlie", "character:charlie-spring"),
        ("Kit Conor", "actor:kit-connor"),
        ("tara jones", "character:tara-jones"),
        ("truth dare", "episode:heartstopper-s2e6"),
        ("nick", "character:nick-nelson"),
        ("ÉLLE", "character:elle-argent"),
        ("elle", "character:elle-argent"),
        ("jones tara", "character:tara-jones"),
        ("kit con", "actor:kit-connor"),
        ("conor", "actor:kit-connor"),
        ("nelsen", "character:nick-nelson"),
        ("tudum", "event:tudum-brazil"),
        ("General reference knowledge", "source:reference"),
    ],
)
def test_first_hit(index: SearchIndex, text: str, first: str) -> None:
    assert index.search(text)[0].key == first


def test_matched_is_the_name_as_written(index: SearchIndex) -> None:
    assert index.search("tara jones", limit=1) == [Hit("character:tara-jones", 1.0, "Tara Jones")]
    assert index.search("truth dare", limit=1) == [
        Hit("episode:heartstopper-s2e6", 1.0, "Truth/Dare")
    ]
    assert index.search("ÉLLE", limit=1)[0].matched == "Elle"


def test_nonsense_finds_nothing(index: SearchIndex) -> None:
    assert index.search("zzzzqqq") == []
    assert index.search("qxqxqxqx") == []


def test_kinds_filter(index: SearchIndex) -> None:
    hits = index.search("heartstopper", kinds=[NodeKind.SHOW, NodeKind.WORK], limit=100)
    assert [hit.key for hit in hits] == ["show:heartstopper", "work:heartstopper-novels"]
    assert index.search("charlie", kinds=[NodeKind.ACTOR]) == []


def test_nodes_without_a_name_are_not_found_by_their_id(index: SearchIndex) -> None:
    # Seasons and scenes have no name; their ids are not names to search.
    assert index.search("heartstopper", kinds=[NodeKind.SEASON, NodeKind.SCENE]) == []
    assert [hit.key for hit in index.search("charlie")] == ["character:charlie-spring"]


def test_equal_scores_rank_by_label_then_key(index: SearchIndex) -> None:
    # The show and the novels are both called "Heartstopper".
    first_two = index.search("heartstopper", limit=2)
    assert [hit.key for hit in first_two] == ["show:heartstopper", "work:heartstopper-novels"]
    assert first_two[0].score == first_two[1].score == 1.0


def test_one_hit_per_node_with_its_best_name(index: SearchIndex) -> None:
    hits = index.search("nick", limit=100)
    keys = [hit.key for hit in hits]
    assert len(keys) == len(set(keys))
    assert hits[0] == Hit("character:nick-nelson", 1.0, "Nick")


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("heartstopper", limit=3)) == 3
    assert len(index.search("heartstopper", limit=1)) == 1


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "//-"])
def test_text_without_words_is_an_error(index: SearchIndex, text: str) -> None:
    with pytest.raises(ValueError, match="at least one letter or digit"):
        index.search(text)
    with pytest.raises(ValueError, match="at least one letter or digit"):
        similarity(text, "anything")


@pytest.mark.parametrize("limit", [0, -1])
def test_limit_below_one_is_an_error(index: SearchIndex, limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        index.search("nick", limit=limit)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(search).failed == 0


# --- the tiers ---------------------------------------------------------------------


def test_tiers_are_ordered() -> None:
    exact = similarity("kit connor", "Kit Connor")
    prefix = similarity("kit con", "Kit Connor")
    words = similarity("connor kit", "Kit Connor")
    fuzzy = similarity("kit conor", "Kit Connor")
    near_word = similarity("conor", "Kit Connor")
    assert exact == 1.0
    assert 1.0 > prefix > 0.9 > 0.89 >= words > 0.8 > 0.79 > fuzzy > near_word > 0.47


def test_within_a_tier_closer_names_score_higher() -> None:
    assert similarity("nick", "Nick Nelson") > similarity("nick", "Nick Nelson Junior")
    assert similarity("nelson", "Nick Nelson") > similarity("nelson", "Nick Nelson Junior")
    assert similarity("chralie", "Charlie") > similarity("chrlaie", "Charlie Spring")


def test_below_the_cutoff_nothing_matches() -> None:
    assert similarity("zzzzqqq", "zzzq") == 0.0  # rapidfuzz ratio 72.7 < MIN_SIMILARITY
    assert MIN_SIMILARITY == 75.0


# --- caching ---------------------------------------------------------------------


def test_index_is_built_once_per_version() -> None:
    model = load_graph()
    first = search_index(model)
    assert search_index(model) is first
    model.add_node(GraphNode("actor:new-face", NodeKind.ACTOR, ActorFields(name="Zebedee"), ()))
    model.version += 1
    second = search_index(model)
    assert second is not first
    assert second.version == model.version
    assert search_index(model) is second
    assert second.search("zebedee")[0].key == "actor:new-face"


def test_each_graph_has_its_own_index() -> None:
    assert search_index(load_graph()) is not search_index(load_graph())


# --- a generated graph: the index agrees with scoring every name ------------------

_SYLLABLES = ["ka", "ri", "mo", "le", "sa", "tu", "ne", "vi", "do", "ra", "é", "an"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()


def _phrase(rng: random.Random, most: int) -> str:
    return rng.choice([" ", "-", "/", " "]).join(_word(rng) for _ in range(rng.randint(1, most)))


def _random_node(rng: random.Random, i: int) -> GraphNode[object]:
    kind = rng.choice(
        [NodeKind.ACTOR, NodeKind.CHARACTER, NodeKind.EPISODE, NodeKind.SOURCE, NodeKind.SCENE]
    )
    data: object
    match kind:
        case NodeKind.ACTOR:
            data = ActorFields(name=_phrase(rng, 2))
        case NodeKind.CHARACTER:
            aliases = tuple(_phrase(rng, 1) for _ in range(rng.randint(0, 2)))
            data = CharacterFields(name=_word(rng), full_name=_phrase(rng, 3), aliases=aliases)
        case NodeKind.EPISODE:
            data = EpisodeFields(number=i, title=_phrase(rng, 4))
        case NodeKind.SOURCE:
            data = SourceFields(title=_phrase(rng, 5), kind=SourceKind.REFERENCE)
        case _:
            data = SceneFields(summary="a scene")  # no name: searchable by its id
    key = f"{kind.value.lower()}:n{i:04d}"
    return GraphNode(key, kind, data, ("source:gen",))


@pytest.fixture(scope="module")
def generated() -> ShowGraph:
    """About 3,000 nodes whose names share syllables and words, so every tier has work."""
    rng = random.Random(20240611)
    model = ShowGraph()
    for i in range(3000):
        model.add_node(_random_node(rng, i))
    season = SeasonFields(number=1, status=SeasonStatus.RELEASED)
    model.add_node(GraphNode("season:ka-ri-1", NodeKind.SEASON, season, ("source:gen",)))
    return model


def _all_nodes(model: ShowGraph) -> list[GraphNode[object]]:
    return [node for kind in NodeKind for node in model.nodes_of(kind)]


def _brute_force(
    model: ShowGraph, text: str, kinds: Iterable[NodeKind] | None, limit: int
) -> list[Hit]:
    """Score every name of every node with ``similarity``; the index must agree."""
    wanted = set(kinds) if kinds is not None else set(NodeKind)
    rows = []
    for node in _all_nodes(model):
        if node.kind not in wanted:
            continue
        best, matched = 0.0, ""
        for name in _names(node):
            score = similarity(text, name)
            if score > best:
                best, matched = score, name
        if best > 0:
            rows.append((-best, node.label.casefold(), node.key, matched))
    rows.sort()
    return [Hit(key, -score, matched) for score, _, key, matched in rows[:limit]]


@pytest.fixture(scope="module")
def names(generated: ShowGraph) -> list[str]:
    """Every name in the generated graph, to derive queries from."""
    return sorted(name for node in _all_nodes(generated) for name in _names(node))


@st.composite
def _queries(draw: st.DrawFn, names: list[str]) -> str:
    """Queries derived from real names: whole, prefix, one word, shuffled, with a typo."""
    name = draw(st.sampled_from(names))
    words = fold(name).split() or ["x"]
    how = draw(st.sampled_from(["whole", "prefix", "word", "shuffle", "typo", "upper"]))
    if how == "prefix":
        return name[: draw(st.integers(1, max(1, len(name))))] or name
    if how == "word":
        return draw(st.sampled_from(words))
    if how == "shuffle":
        return " ".join(draw(st.permutations(words)))
    if how == "typo":
        at = draw(st.integers(0, len(name) - 1))
        return name[:at] + draw(st.sampled_from("aeiouxz")) + name[at + 1 :]
    return name.upper() if how == "upper" else name


_KINDS = st.none() | st.sets(st.sampled_from(list(NodeKind)), min_size=1, max_size=3)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), kinds=_KINDS, limit=st.integers(1, 25))
def test_index_agrees_with_brute_force(
    generated: ShowGraph,
    names: list[str],
    data: st.DataObject,
    kinds: set[NodeKind] | None,
    limit: int,
) -> None:
    text = data.draw(_queries(names))
    if not fold(text):
        return
    hits = search_index(generated).search(text, kinds, limit)
    assert hits == _brute_force(generated, text, kinds, limit)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), limit=st.integers(1, 50))
def test_hits_are_ranked_and_distinct(
    generated: ShowGraph, names: list[str], data: st.DataObject, limit: int
) -> None:
    text = data.draw(_queries(names))
    if not fold(text):
        return
    hits = search_index(generated).search(text, limit=limit)
    assert len(hits) <= limit
    assert len({hit.key for hit in hits}) == len(hits)
    assert all(0 < hit.score <= 1 for hit in hits)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        node = generated.node(hit.key)
        assert node is not None
        assert hit.matched in _names(node)


# --- many nodes sharing few names, as in generated datasets ---------------------------
# The index stores each distinct folded name once and takes only the first
# ``limit`` nodes of a name; these graphs make names shared by hundreds of
# nodes, written differently ("Éla-Rosa", "ela rosa"), so that ties between
# nodes and between the names of one node decide the answer.

_FIRST = ["Éla", "Ela", "Kit", "kit", "Tara", "Noor", "Ana-Rosa", "Ana Rosa"]
_LAST = ["Jones", "JONES", "Nelson", "Nélson", "Spring", "O'Brien"]
_TITLES = ["Truth/Dare", "Truth Dare", "Dare", "Pilot", "Kiss", "The Kiss", "Kiss Kiss"]


def _crowded_node(rng: random.Random, i: int) -> GraphNode[object]:
    kind = rng.choice([NodeKind.ACTOR, NodeKind.CHARACTER, NodeKind.EPISODE])
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    data: object
    match kind:
        case NodeKind.ACTOR:
            data = ActorFields(name=f"{first} {last}")
        case NodeKind.CHARACTER:
            aliases = tuple(
                rng.choice([first, last, f"{last} {first}"]) for _ in range(rng.randint(0, 2))
            )
            name = first if rng.random() < 0.5 else f"{first} {last}"
            data = CharacterFields(name=name, full_name=f"{first} {last}", aliases=aliases)
        case _:
            data = EpisodeFields(number=i, title=rng.choice(_TITLES))
    return GraphNode(f"{kind.value.lower()}:c{i:04d}", kind, data, ("source:gen",))


@pytest.fixture(scope="module")
def crowded() -> ShowGraph:
    """About 1,500 nodes over a few dozen distinct names."""
    rng = random.Random(7)
    model = ShowGraph()
    for i in range(1500):
        model.add_node(_crowded_node(rng, i))
    return model


@st.composite
def _crowded_queries(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from([*_FIRST, *_LAST, *_TITLES, "Kit Jones", "jones kit", "ana"]))
    how = draw(st.sampled_from(["whole", "prefix", "typo"]))
    if how == "prefix":
        return name[: draw(st.integers(1, len(name)))]
    if how == "typo":
        at = draw(st.integers(0, len(name) - 1))
        return name[:at] + draw(st.sampled_from("aeiouxz")) + name[at + 1 :]
    return name


@settings(max_examples=80, deadline=None)
@given(text=_crowded_queries(), kinds=_KINDS, limit=st.integers(1, 40))
def test_index_agrees_with_brute_force_on_shared_names(
    crowded: ShowGraph, text: str, kinds: set[NodeKind] | None, limit: int
) -> None:
    if not fold(text):
        return
    hits = search_index(crowded).search(text, kinds, limit)
    assert hits == _brute_force(crowded, text, kinds, limit)


def test_a_name_many_nodes_share_ranks_them_by_label_then_key() -> None:
    model = ShowGraph()
    for i, name in enumerate(["Kit Jones", "kit jones", "KIT JONES", "Kit-Jones", "Kít Jones"]):
        model.add_node(GraphNode(f"actor:k{9 - i}", NodeKind.ACTOR, ActorFields(name=name), ()))
    # All five fold to "kit jones"; labels case-folded: "kit jones" (k7, k8, k9 by
    # key) sorts before "kit-jones" (k6) and "kít jones" (k5).
    assert search_index(model).search("kit jones", limit=3) == [
        Hit("actor:k7", 1.0, "KIT JONES"),
        Hit("actor:k8", 1.0, "kit jones"),
        Hit("actor:k9", 1.0, "Kit Jones"),
    ]


def test_of_two_names_scoring_the_same_the_earlier_field_is_matched() -> None:
    model = ShowGraph()
    fields = CharacterFields(name="KIT", full_name="Kit Jones", aliases=("Kit", "Jones Kit"))
    model.add_node(GraphNode("character:kit", NodeKind.CHARACTER, fields, ()))
    index = search_index(model)
    assert index.search("kit") == [Hit("character:kit", 1.0, "KIT")]
    assert index.search("jones kit") == [Hit("character:kit", 1.0, "Jones Kit")]
    assert index.search("kit jonse")[0].matched == "Kit Jones"
    # "kit zz" and "kit ab" are prefixes as long: the name wins over the alias.
    other = CharacterFields(name="Kit Zz", aliases=("Kit Ab",))
    model.add_node(GraphNode("character:kit-zz", NodeKind.CHARACTER, other, ()))
    model.version += 1
    assert search_index(model).search("kit", limit=2)[1] == Hit(
        "character:kit-zz", similarity("kit", "Kit Zz"), "Kit Zz"
    )


def test_names_tied_past_the_budget_are_still_ranked_by_node_order() -> None:
    # "Éla Jones" folds to "ela jones", which sorts first among the names, but its
    # label sorts after "Kit Jones": with one hit wanted, the tie goes to Kit.
    model = ShowGraph()
    for key, name in [("actor:ela", "Éla Jones"), ("actor:kit", "Kit Jones")]:
        model.add_node(GraphNode(key, NodeKind.ACTOR, ActorFields(name=name), ()))
    index = search_index(model)
    assert [hit.key for hit in index.search("jones", limit=1)] == ["actor:kit"]  # words
    assert [hit.key for hit in index.search("jonse", limit=1)] == ["actor:kit"]  # near a word


def test_every_name_finds_its_node_exactly(generated: ShowGraph) -> None:
    index = search_index(generated)
    for node in _all_nodes(generated)[::10]:
        for name in _names(node):
            hits = index.search(name, kinds=[node.kind], limit=100)
            assert any(hit.key == node.key and hit.score == 1.0 for hit in hits)


def test_generated_index_is_reused_until_the_version_changes(generated: ShowGraph) -> None:
    first = search_index(generated)
    assert search_index(generated) is first
    generated.version += 1
    try:
        assert search_index(generated) is not first
    finally:
        generated.version -= 1  # back to the version the other tests expect
