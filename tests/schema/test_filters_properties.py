"""Property tests: `where`, `orderBy` and paging of the real API against brute force.

One synthetic graph of a few thousand nodes (``graph_data.generate``) is served
by the real app (Starlette ``TestClient`` over ``create_app``). Hypothesis draws
``where`` inputs, orders and page sizes; every answer is compared with one
computed here, independently of the code under test, straight from the raw
networkx graph (node attributes ``kind`` and ``node``, edges keyed by relation).

The expected semantics, as documented in ``schema/filters.py`` and
``schema/ordering.py``:

- names compare case-, accent- and punctuation-insensitively; each condition
  of a ``NameFilter`` may be met by any of the names (a character's name, full
  name or aliases); a missing value meets no condition, an empty filter
  matches everything; partial dates compare as (year, month or 0, day or 0);
- relation filters match when *some* related node matches; ``AND: []`` matches
  everything, ``OR: []`` nothing;
- default orders: shows, characters and actors by name then id; seasons by
  show then number; episodes by season then number (broadcast order);
- an ``orderBy`` is stable: items with equal values keep the default order,
  in both directions, and missing values come last.
"""

from __future__ import annotations

import base64
import functools
import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from graph_data import ShowGraph, load_graph
from graph_data.generate import generate, shows_for_nodes, write_dataset
from server.app import create_app

Where = dict[str, Any]
Strategy = st.SearchStrategy[Any]

SEED = 7
TARGET_NODES = 3500


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same examples on every run, in CI as on a laptop
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- text, dates and ids, as the API documents them ---------------------------------------

_APOSTROPHES = re.compile("['\u2019\u02bc]")
_SEPARATORS = re.compile(r"[\W_]+")


@functools.cache
def fold(text: str) -> str:
    """Case-fold, strip accents (combining marks after NFKD), drop apostrophes, squash spaces."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("M"))
    return " ".join(_SEPARATORS.sub(" ", _APOSTROPHES.sub("", text)).split())


def date_tuple(value: Any) -> tuple[int, int, int] | None:
    """``YYYY[-MM[-DD]]`` (or anything whose ``str`` is) as (year, month or 0, day or 0)."""
    if value is None:
        return None
    parts = [int(part) for part in str(value).split("-")]
    year, month, day = [*parts, 0, 0][:3]
    return (year, month, day)


def global_id(key: str) -> str:
    kind, _, local = key.partition(":")
    return base64.b64encode(f"{kind.title()}:{local}".encode()).decode()


def key_of(gid: str) -> str:
    type_name, _, local = base64.b64decode(gid).decode().partition(":")
    return f"{type_name.lower()}:{local}"


# --- the brute-force side: an index of the raw graph --------------------------------------


@dataclass(repr=False)
class World:
    """The served app and plain-Python facts about its graph, read off networkx directly."""

    client: TestClient
    kind: dict[str, str]
    data: dict[str, Any]
    order: dict[str, list[str]]  # kind -> keys in the default order
    rank: dict[str, int]  # key -> position in that order
    parent: dict[str, str]  # season -> show, episode -> season, scene -> episode/season, ...
    char_names: dict[str, list[str]]
    char_episodes: dict[str, set[str]]
    char_scenes: dict[str, set[str]]
    char_actors: dict[str, set[str]]
    episode_chars: dict[str, set[str]]
    actor_chars: dict[str, set[str]]
    actor_episodes: dict[str, set[str]]
    show_episodes: dict[str, set[str]]
    strategies: dict[str, Strategy] = field(default_factory=dict)

    def __repr__(self) -> str:  # hypothesis prints a failing example's arguments
        return f"World({len(self.kind)} nodes)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def show_of(self, key: str) -> str:
        while self.kind[key] != "SHOW":
            key = self.parent[key]
        return key


def index(graph: ShowGraph, client: TestClient) -> World:
    g = graph.graph
    kind = {key: str(attrs["kind"]) for key, attrs in g.nodes(data=True)}
    data = {key: attrs["node"].data for key, attrs in g.nodes(data=True)}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for key, node_kind in kind.items():
        by_kind[node_kind].append(key)
    parent: dict[str, str] = {}
    appears: dict[str, set[str]] = defaultdict(set)
    portrays: list[tuple[str, str, dict[str, Any]]] = []
    for u, v, relation, attrs in g.edges(keys=True, data=True):
        if relation in {"HAS_SEASON", "HAS_EPISODE", "HAS_SCENE", "HAS_CHARACTER"}:
            parent[v] = u
        elif relation == "APPEARS_IN":
            appears[u].add(v)
        elif relation == "PORTRAYS":
            portrays.append((u, v, attrs))

    def by_name(key: str) -> tuple[str, str]:
        return (data[key].name.casefold(), key)

    order = {k: sorted(by_kind[k], key=by_name) for k in ("SHOW", "CHARACTER", "ACTOR")}
    rank = {key: i for keys in order.values() for i, key in enumerate(keys)}
    order["SEASON"] = sorted(by_kind["SEASON"], key=lambda s: (rank[parent[s]], data[s].number, s))
    rank.update({key: i for i, key in enumerate(order["SEASON"])})
    order["EPISODE"] = sorted(
        by_kind["EPISODE"], key=lambda e: (rank[parent[e]], data[e].number, e)
    )
    rank.update({key: i for i, key in enumerate(order["EPISODE"])})

    char_names, char_episodes, char_scenes = {}, {}, {}
    episode_chars: dict[str, set[str]] = {e: set() for e in by_kind["EPISODE"]}
    for c in by_kind["CHARACTER"]:
        d = data[c]
        char_names[c] = [d.name, *([d.full_name] if d.full_name else []), *d.aliases]
        scenes = {v for v in appears[c] if kind[v] == "SCENE"}
        episodes = {v for v in appears[c] if kind[v] == "EPISODE"}
        episodes |= {parent[s] for s in scenes if kind[parent[s]] == "EPISODE"}
        char_scenes[c], char_episodes[c] = scenes, episodes
        for e in episodes:
            episode_chars[e].add(c)

    world = World(
        client=client,
        kind=kind,
        data=data,
        order=order,
        rank=rank,
        parent=parent,
        char_names=char_names,
        char_episodes=char_episodes,
        char_scenes=char_scenes,
        char_actors={c: set() for c in by_kind["CHARACTER"]},
        episode_chars=episode_chars,
        actor_chars={a: set() for a in by_kind["ACTOR"]},
        actor_episodes={a: set() for a in by_kind["ACTOR"]},
        show_episodes={s: set() for s in by_kind["SHOW"]},
    )
    for e in by_kind["EPISODE"]:
        world.show_episodes[world.show_of(e)].add(e)
    for actor, character, attrs in portrays:
        world.actor_chars[actor].add(character)
        world.char_actors[character].add(actor)
        show = attrs.get("show") or parent[character]
        listed = attrs.get("episodes")
        if listed is None:  # the character's own episodes in the portrayal's show
            listed = {e for e in char_episodes[character] if world.show_of(e) == show}
        world.actor_episodes[actor].update(listed)
    world.strategies = where_strategies(world)
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = Path(tmp_path_factory.mktemp("generated")) / "generated.json"
    write_dataset(generate(shows_for_nodes(TARGET_NODES), seed=SEED), path)
    graph = load_graph(path)
    assert 2_000 <= graph.graph.number_of_nodes() <= 5_000
    with TestClient(create_app(graph=graph)) as client:
        yield index(graph, client)


# --- brute-force evaluation of a `where` input ------------------------------------------------


def names_ok(cond: Where, names: list[str]) -> bool:
    folded = [fold(name) for name in names]
    return (
        ("eq" not in cond or fold(cond["eq"]) in folded)
        and ("contains" not in cond or any(fold(cond["contains"]) in n for n in folded))
        and ("in" not in cond or any(fold(v) in folded for v in cond["in"]))
    )


def compare_ok(cond: Where, value: Any) -> bool:
    """IntFilter / DateFilter (values already comparable); a missing value fails any bound."""
    if not cond:
        return True
    if value is None:
        return False
    tests: dict[str, Callable[[Any], bool]] = {
        "eq": lambda b: value == b,
        "gt": lambda b: value > b,
        "gte": lambda b: value >= b,
        "lt": lambda b: value < b,
        "lte": lambda b: value <= b,
        "in": lambda b: value in b,
    }
    return all(tests[op](bound) for op, bound in cond.items())


def dates_ok(cond: Where, value: Any) -> bool:
    return compare_ok({op: date_tuple(bound) for op, bound in cond.items()}, date_tuple(value))


def ids_ok(cond: Where, key: str) -> bool:
    return compare_ok(
        {op: ({key_of(i) for i in b} if op == "in" else key_of(b)) for op, b in cond.items()}, key
    )


def matches(w: World, kind: str, where: Where, key: str) -> bool:
    """Does node ``key`` of ``kind`` satisfy ``where``? Fields AND together."""
    for name, cond in where.items():
        if name == "AND":
            ok = all(matches(w, kind, sub, key) for sub in cond)
        elif name == "OR":
            ok = any(matches(w, kind, sub, key) for sub in cond)
        elif name == "NOT":
            ok = not matches(w, kind, cond, key)
        elif name == "id":
            ok = ids_ok(cond, key)
        else:
            ok = field_ok(w, kind, name, cond, key)
        if not ok:
            return False
    return True


def field_ok(w: World, kind: str, name: str, cond: Any, key: str) -> bool:
    """One field of a ``where`` input, on node ``key``."""
    d = w.data[key]
    match kind, name:
        case ("CHARACTER", "name"):
            return names_ok(cond, w.char_names[key])
        case ("CHARACTER", "episodeCount"):
            return compare_ok(cond, len(w.char_episodes[key]))
        case ("CHARACTER", "sceneCount"):
            return compare_ok(cond, len(w.char_scenes[key]))
        case ("CHARACTER", "episodes"):
            return any(matches(w, "EPISODE", cond, e) for e in w.char_episodes[key])
        case ("CHARACTER", "actors"):
            return any(matches(w, "ACTOR", cond, a) for a in w.char_actors[key])
        case ("CHARACTER", "seasons"):
            seasons = {w.parent[e] for e in w.char_episodes[key]}
            for scene in w.char_scenes[key]:
                up = w.parent[scene]
                seasons.add(up if w.kind[up] == "SEASON" else w.parent[up])
            return any(matches(w, "SEASON", cond, s) for s in seasons)
        case ("SHOW", "characters"):
            return any(
                matches(w, "CHARACTER", cond, c) for c in w.order["CHARACTER"] if w.parent[c] == key
            )
        case ("CHARACTER" | "SEASON", "show"):
            return matches(w, "SHOW", cond, w.show_of(key))
        case ("EPISODE" | "SEASON", "number"):
            return compare_ok(cond, d.number)
        case ("EPISODE", "title"):
            return names_ok(cond, [d.title])
        case ("EPISODE", "releaseDate"):
            return dates_ok(cond, d.release_date)
        case ("EPISODE", "season"):
            return matches(w, "SEASON", cond, w.parent[key])
        case ("EPISODE", "characters"):
            return any(matches(w, "CHARACTER", cond, c) for c in w.episode_chars[key])
        case ("SEASON", "status"):
            return compare_ok(cond, str(d.status))
        case ("SEASON", "premiereDate"):
            return dates_ok(cond, d.premiere_date)
        case ("ACTOR" | "SHOW", "name"):
            return names_ok(cond, [d.name])
        case ("ACTOR", "episodeCount"):
            return compare_ok(cond, len(w.actor_episodes[key]))
        case ("ACTOR", "characters"):
            return any(matches(w, "CHARACTER", cond, c) for c in w.actor_chars[key])
        case ("SHOW", "episodeCount"):
            return compare_ok(cond, len(w.show_episodes[key]))
    raise AssertionError(f"no brute force for {kind}.{name}")


# --- brute-force orders ---------------------------------------------------------------------


def metric(w: World, kind: str, order: str) -> Callable[[str], Any]:
    """What ``order`` (without ``_DESC``) sorts ``kind`` by; None is a missing value."""
    name = order.removesuffix("_DESC")
    if name in {"NAME", "TITLE"}:
        attr = "name" if name == "NAME" else "title"
        return lambda k: getattr(w.data[k], attr).casefold()
    if name == "NUMBER":  # seasons: by show then number; episodes: broadcast order
        return lambda k: w.rank[k]
    if name in {"RELEASE_DATE", "PREMIERE_DATE"}:
        attr = "release_date" if name == "RELEASE_DATE" else "premiere_date"
        return lambda k: date_tuple(getattr(w.data[k], attr))
    if name == "SCENE_COUNT":
        return lambda k: len(w.char_scenes[k])
    counts = {"CHARACTER": w.char_episodes, "ACTOR": w.actor_episodes, "SHOW": w.show_episodes}
    return lambda k: len(counts[kind][k])


def comes_before(w: World, kind: str, order: str | None) -> Callable[[str, str], bool]:
    """Strict "``a`` must precede ``b``": by value, ties in default order, missing last."""
    if order is None:
        return lambda a, b: w.rank[a] < w.rank[b]
    value = metric(w, kind, order)
    descending = order.endswith("_DESC")

    def before(a: str, b: str) -> bool:
        va, vb = value(a), value(b)
        if va is None or vb is None:
            return vb is None and (va is not None or w.rank[a] < w.rank[b])
        if va != vb:
            return bool(va > vb) if descending else bool(va < vb)
        return w.rank[a] < w.rank[b]

    return before


# --- the API side ----------------------------------------------------------------------------

CONNECTIONS = {  # connection field -> (node kind, where type, order type)
    "shows": ("SHOW", "ShowWhere", "ShowOrder"),
    "seasons": ("SEASON", "SeasonWhere", "SeasonOrder"),
    "episodes": ("EPISODE", "EpisodeWhere", "EpisodeOrder"),
    "characters": ("CHARACTER", "CharacterWhere", "CharacterOrder"),
    "actors": ("ACTOR", "ActorWhere", "ActorOrder"),
}
ORDERS = {
    "shows": ["NAME", "NAME_DESC", "EPISODE_COUNT", "EPISODE_COUNT_DESC"],
    "seasons": ["NUMBER", "NUMBER_DESC", "PREMIERE_DATE", "PREMIERE_DATE_DESC"],
    "episodes": [
        "NUMBER",
        "NUMBER_DESC",
        "RELEASE_DATE",
        "RELEASE_DATE_DESC",
        "TITLE",
        "TITLE_DESC",
    ],
    "characters": [
        "NAME",
        "NAME_DESC",
        "EPISODE_COUNT",
        "EPISODE_COUNT_DESC",
        "SCENE_COUNT",
        "SCENE_COUNT_DESC",
    ],
    "actors": ["NAME", "NAME_DESC", "EPISODE_COUNT", "EPISODE_COUNT_DESC"],
}
NESTED = {"episodes", "characters"}  # also offered as Show.episodes / Show.characters
PAGE = (
    "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
    "edges { cursor } nodes { id }"
)


@functools.cache
def query_text(conn: str, nested: bool) -> str:
    _, where_type, order_type = CONNECTIONS[conn]
    params = f"$where: {where_type}, $orderBy: {order_type}, $first: Int, $after: String"
    field_ = f"{conn}(where: $where, orderBy: $orderBy, first: $first, after: $after) {{ {PAGE} }}"
    if nested:
        return f"query($show: ID!, {params}) {{ node(id: $show) {{ ... on Show {{ {field_} }} }} }}"
    return f"query({params}) {{ {field_} }}"


@dataclass(frozen=True)
class Scope:
    """A connection: top-level, or one show's ``episodes`` / ``characters``."""

    conn: str
    show: str | None = None

    @property
    def kind(self) -> str:
        return CONNECTIONS[self.conn][0]

    def universe(self, w: World) -> list[str]:
        """Every item of the connection, in default order."""
        keys = w.order[self.kind]
        return keys if self.show is None else [k for k in keys if w.show_of(k) == self.show]

    def page(
        self, w: World, where: Where | None, order: str | None, first: int, after: str | None
    ) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "where": where,
            "orderBy": order,
            "first": first,
            "after": after,
        }
        if self.show is not None:
            variables["show"] = global_id(self.show)
        body = w.client.post(
            "/graphql",
            json={"query": query_text(self.conn, self.show is not None), "variables": variables},
        ).json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data["node"][self.conn] if self.show is not None else data[self.conn]


def fetch_all(
    w: World, scope: Scope, where: Where | None, order: str | None, first: int = 100
) -> tuple[list[str], list[dict[str, Any]]]:
    """Every item of a connection, following ``endCursor``; the keys and the raw pages."""
    keys: list[str] = []
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = scope.page(w, where, order, first, after)
        pages.append(page)
        keys += [key_of(node["id"]) for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return keys, pages
        assert len(pages) <= math.ceil(page["totalCount"] / first), "hasNextPage never ends"
        after = page["pageInfo"]["endCursor"]


# --- strategies -----------------------------------------------------------------------------

_ACCENTS = str.maketrans("aeiouncAEIOUNC", "áèîöũñçÁÈÎÖŨÑÇ")
TRANSFORMS: list[Callable[[str], str]] = [
    lambda s: s,
    str.upper,
    str.lower,
    str.swapcase,
    lambda s: s.translate(_ACCENTS),  # precomposed accents
    lambda s: unicodedata.normalize("NFD", s.translate(_ACCENTS)).upper(),  # combining marks
    lambda s: f"  {s.replace(' ', ' - ')}  ",  # punctuation and spaces between words
]
ALPHABET = "aeiklnorstuAEKLNORSTU áéöüñçÉÖß'-İ\u0301"
OPS = ("eq", "gt", "gte", "lt", "lte")


def some_of(fields: dict[str, Strategy], least: int = 0, most: int = 2) -> Strategy:
    """An input object with a few of ``fields``, so that conditions rarely exclude everything."""
    names = st.lists(st.sampled_from(sorted(fields)), min_size=least, max_size=most, unique=True)
    return names.flatmap(
        lambda chosen: st.fixed_dictionaries({name: fields[name] for name in chosen})
    )


def name_filter(names: list[str]) -> Strategy:
    real = st.sampled_from(sorted(set(names)))
    variant = st.builds(lambda n, t: t(n), real, st.sampled_from(TRANSFORMS))
    fragment = st.builds(
        lambda n, start, size, t: t(n[start : start + size]),
        real,
        st.integers(0, 8),
        st.integers(1, 3),
        st.sampled_from(TRANSFORMS),
    )
    junk = st.text(alphabet=ALPHABET, max_size=6)
    conditions = {
        "eq": variant | variant | junk,
        "contains": fragment | fragment | junk,
        "in": st.one_of(
            *[st.lists(variant | variant | junk, min_size=1, max_size=4)] * 9, st.just([])
        ),
    }
    one = some_of(conditions, 1, 1)
    return one | one | one | some_of(conditions, 0, 3)


def bounds(values: Strategy, equal_to: Strategy | None = None) -> Strategy:
    """One bound, a range, or any mix of eq/gt/gte/lt/lte (``eq`` drawn from ``equal_to``)."""
    equal_to = values if equal_to is None else equal_to
    return st.one_of(
        st.builds(lambda op, v: {op: v}, st.sampled_from(OPS[1:]), values),
        st.builds(lambda v: {"eq": v}, equal_to),
        st.builds(lambda a, b: {"gte": min(a, b), "lte": max(a, b)}, values, values),
        st.builds(lambda a, b: {"gt": min(a, b), "lt": max(a, b)}, values, values),
        st.fixed_dictionaries({}, optional={"eq": equal_to} | dict.fromkeys(OPS[1:], values)),
    )


def counts_near(values: list[int]) -> Strategy:
    """Mostly values the graph actually has (bounds land on real ties), sometimes tiny ones."""
    real = st.sampled_from(sorted(set(values)))
    return real | real | real | st.integers(-1, 2)


def partial_date(year: int, month: int, day: int, precision: int) -> str:
    return [f"{year:04d}", f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}-{day:02d}"][
        precision
    ]


def dates_near(real: list[Any]) -> Strategy:
    """Real dates at their precision or cut to month/year, and random ones of any precision."""
    triples = sorted({t for t in map(date_tuple, real) if t is not None})
    cut = st.builds(
        lambda t, p: partial_date(
            t[0], t[1] or 1, t[2] or 1, min(p, 2 if t[2] else 1 if t[1] else 0)
        ),
        st.sampled_from(triples),
        st.integers(0, 2),
    )
    random_date = st.builds(
        partial_date,
        st.integers(1994, 2032),
        st.integers(1, 12),
        st.integers(1, 28),
        st.integers(0, 2),
    )
    return cut | cut | random_date


def composed(fields: dict[str, Strategy], depth: int = 2, least: int = 0) -> Strategy:
    """Some of ``fields`` plus AND/OR/NOT of such inputs, nested up to ``depth`` levels.

    ``NOT`` always gets a condition (``NOT: {}`` would match nothing), and the
    empty lists (``AND: []`` matches all, ``OR: []`` nothing) come now and then.
    """
    base = some_of(fields, least)
    if depth == 0:
        return base
    inner = composed(fields, depth - 1)
    some = st.lists(inner, min_size=1, max_size=3)
    logic = some_of(
        {
            "AND": st.one_of(*[some] * 5, st.just([])),
            "OR": st.one_of(*[some] * 20, st.just([])),
            "NOT": composed(fields, depth - 1, least=1),
        }
    )
    return st.builds(lambda a, b: {**a, **b}, base, logic)


def where_strategies(w: World) -> dict[str, Strategy]:
    chars, actors, episodes = w.order["CHARACTER"], w.order["ACTOR"], w.order["EPISODE"]
    char_names = name_filter([n for c in chars for n in w.char_names[c]])
    actor_names = name_filter([w.data[a].name for a in actors])
    season_numbers = bounds(st.integers(1, 6) | st.integers(-1, 7))
    episode_numbers = bounds(st.integers(1, 12) | st.integers(-1, 13))
    statuses = st.sampled_from(["RELEASED", "FILMING", "ANNOUNCED", "IN_DEVELOPMENT"])

    def ids(keys: list[str]) -> Strategy:
        one = st.sampled_from(keys).map(global_id)
        many = st.fixed_dictionaries({"in": st.lists(one, min_size=1, max_size=len(keys) // 2)})
        return many | many | many | st.fixed_dictionaries({"eq": one})

    # A condition on the show: a top-level listing then only looks at the matching shows
    # (found by name or id, or by testing every show), and what they lead to.
    show_names = name_filter([w.data[s].name for s in w.order["SHOW"]])
    other_ids = ids(chars + w.order["SHOW"])  # an id of another kind matches nothing
    of_show = (
        st.fixed_dictionaries({"name": show_names})
        | st.fixed_dictionaries({"id": ids(w.order["SHOW"])})
        | st.fixed_dictionaries({"id": other_ids})
        | st.fixed_dictionaries({"episodeCount": bounds(st.integers(0, 40))})
        | st.fixed_dictionaries({"AND": st.lists(st.fixed_dictionaries({"name": show_names}))})
    )

    character = {
        "id": ids(chars),
        "name": char_names,
        "episodeCount": bounds(counts_near([len(w.char_episodes[c]) for c in chars])),
        "sceneCount": bounds(counts_near([len(w.char_scenes[c]) for c in chars])),
        "episodes": st.fixed_dictionaries(
            {"season": st.fixed_dictionaries({"number": season_numbers})}
        )
        | st.fixed_dictionaries({"season": st.fixed_dictionaries({"show": of_show})})
        | st.fixed_dictionaries({"number": episode_numbers}),
        "actors": st.fixed_dictionaries({"name": actor_names})
        | st.fixed_dictionaries({"id": ids(actors)}),
        "show": of_show,
        "seasons": st.fixed_dictionaries({"show": of_show})
        | st.fixed_dictionaries({"number": season_numbers}),
    }
    episode = {
        "id": ids(episodes),
        "number": episode_numbers,
        "releaseDate": bounds(
            dates_near([w.data[e].release_date for e in episodes]),
            st.sampled_from(sorted({str(w.data[e].release_date) for e in episodes})),
        ),
        "season": st.fixed_dictionaries({"number": season_numbers})
        | st.fixed_dictionaries({"show": of_show}),
        "characters": st.fixed_dictionaries({"name": char_names})
        | st.fixed_dictionaries({"show": of_show})
        | st.fixed_dictionaries({"actors": st.fixed_dictionaries({"name": actor_names})}),
    }
    season = {
        "number": season_numbers,
        "status": some_of({"eq": statuses, "in": st.lists(statuses, unique=True)}),
        "premiereDate": bounds(
            dates_near([w.data[s].premiere_date for s in w.order["SEASON"]]),
            st.sampled_from(
                sorted({str(w.data[s].premiere_date) for s in w.order["SEASON"]} - {"None"})
            ),
        ),
        "show": of_show,
    }
    actor = {
        "name": actor_names,
        "characters": st.fixed_dictionaries({"name": char_names})
        | st.fixed_dictionaries({"show": of_show})
        | st.fixed_dictionaries({"id": ids(chars)}),
        "episodeCount": bounds(counts_near([len(w.actor_episodes[a]) for a in actors])),
    }
    show = {
        "name": show_names,
        "characters": st.fixed_dictionaries({"name": char_names}),
        "episodeCount": bounds(counts_near([len(v) for v in w.show_episodes.values()])),
    }
    return {
        "character_names": composed({"name": char_names}),
        "characters": composed(character),
        "episodes": composed(episode),
        "seasons": composed(season),
        "actors": composed(actor),
        "shows": composed(show),
    }


def scopes(w: World, conn: str) -> Strategy:
    top = st.just(Scope(conn))
    if conn not in NESTED:
        return top
    return top | st.sampled_from(w.order["SHOW"]).map(lambda s: Scope(conn, s))


# --- property 1: every filter result equals a brute-force filter --------------------------


def check_filter(w: World, data: st.DataObject, conn: str, strategy: str) -> None:
    scope = data.draw(scopes(w, conn), label="scope")
    where = data.draw(w.strategies[strategy], label="where")
    universe = scope.universe(w)
    expected = [k for k in universe if matches(w, scope.kind, where, k)]
    event("matches " + ("none" if not expected else "all" if expected == universe else "some"))
    got, pages = fetch_all(w, scope, where, None)
    assert got == expected
    assert pages[0]["totalCount"] == len(expected)


@_settings(100)
@given(data=st.data())
def test_character_name_filters_match_brute_force(world: World, data: st.DataObject) -> None:
    """Names and AND/OR/NOT only: no counts or relations."""
    check_filter(world, data, "characters", "character_names")


@_settings(100)
@given(data=st.data())
def test_character_filters_match_brute_force(world: World, data: st.DataObject) -> None:
    check_filter(world, data, "characters", "characters")


@_settings(100)
@given(data=st.data())
def test_episode_filters_match_brute_force(world: World, data: st.DataObject) -> None:
    check_filter(world, data, "episodes", "episodes")


@_settings(50)
@given(data=st.data())
def test_season_filters_match_brute_force(world: World, data: st.DataObject) -> None:
    check_filter(world, data, "seasons", "seasons")


@_settings(60)
@given(data=st.data())
def test_actor_filters_match_brute_force(world: World, data: st.DataObject) -> None:
    check_filter(world, data, "actors", "actors")


@_settings(40)
@given(data=st.data())
def test_show_filters_match_brute_force(world: World, data: st.DataObject) -> None:
    check_filter(world, data, "shows", "shows")


NAMED = {  # connection -> (where field, node attribute holding the name)
    "characters": ("name", "name"),
    "actors": ("name", "name"),
    "shows": ("name", "name"),
    "episodes": ("title", "title"),
}


@_settings(60)
@given(data=st.data())
def test_names_match_whatever_their_case_accents_and_spacing(
    world: World, data: st.DataObject
) -> None:
    """A real name, re-cased, accented or re-spaced, finds the same nodes as the name itself."""
    conn = data.draw(st.sampled_from(sorted(NAMED)), label="connection")
    field_, attr = NAMED[conn]
    kind = CONNECTIONS[conn][0]
    name = data.draw(st.sampled_from([getattr(world.data[k], attr) for k in world.order[kind]]))
    typed = data.draw(st.sampled_from(TRANSFORMS[1:]), label="transform")(name)
    start = data.draw(st.integers(0, max(0, len(name) - 1)), label="start")
    condition = data.draw(
        st.sampled_from(
            [
                {"eq": typed},
                {"in": ["nobody at all", typed]},
                {"contains": typed},
                {"contains": typed[start : start + 4]},
            ]
        ),
        label="condition",
    )
    where = {field_: condition}
    expected = [k for k in world.order[kind] if matches(world, kind, where, k)]
    assert expected, "a real name finds at least its own node"
    assert fetch_all(world, Scope(conn), where, None)[0] == expected


DATED = {"episodes": "releaseDate", "seasons": "premiereDate"}


@_settings(60)
@given(data=st.data())
def test_partial_dates_compare_before_their_first_day(world: World, data: st.DataObject) -> None:
    """Bounds cut from real dates to a month or a year, with each operator, alone or negated."""
    conn = data.draw(st.sampled_from(sorted(DATED)), label="connection")
    kind = CONNECTIONS[conn][0]
    attr = "release_date" if conn == "episodes" else "premiere_date"
    dates = sorted(
        {date_tuple(getattr(world.data[k], attr)) or (0, 0, 0) for k in world.order[kind]}
    )
    year, month, day = data.draw(st.sampled_from([d for d in dates if d[0]]), label="date")
    precision = data.draw(st.integers(0, 2 if day else 1 if month else 0), label="precision")
    bound = partial_date(year, month, day, precision)
    condition = {data.draw(st.sampled_from(OPS), label="operator"): bound}
    where = {DATED[conn]: condition}
    if data.draw(st.booleans(), label="negated"):
        where = {"NOT": where}
    expected = [k for k in world.order[kind] if matches(world, kind, where, k)]
    assert fetch_all(world, Scope(conn), where, None)[0] == expected


# --- property 2: sorted output is sorted ---------------------------------------------------


@pytest.mark.parametrize(
    ("conn", "order"), [(conn, order) for conn, orders in ORDERS.items() for order in orders]
)
@_settings(6)
@given(data=st.data())
def test_order_by_sorts_stably_with_missing_last(
    world: World, data: st.DataObject, conn: str, order: str
) -> None:
    """Consecutive items respect ``order``; equal values keep the default order (also when
    descending) and missing values come last, as ``schema/ordering.py`` promises."""
    scope = data.draw(scopes(world, conn), label="scope")
    where = data.draw(st.none() | world.strategies[conn], label="where")
    got, _ = fetch_all(world, scope, where, order)
    expected = {k for k in scope.universe(world) if matches(world, scope.kind, where or {}, k)}
    assert sorted(got) == sorted(expected)
    before = comes_before(world, scope.kind, order)
    value = metric(world, scope.kind, order)
    for a, b in itertools.pairwise(got):
        assert before(a, b), (
            f"{order}: {a} (value {value(a)!r}, default position {world.rank[a]}) "
            f"comes before {b} (value {value(b)!r}, default position {world.rank[b]})"
        )


# --- property 3: paging returns each item exactly once ----------------------------------------

MAX_PAGES = 40  # keeps a page size of 1 over hundreds of items from dominating the run time


@_settings(100)
@given(data=st.data())
def test_pages_return_each_item_once(world: World, data: st.DataObject) -> None:
    """Following ``endCursor`` with any page size gives every item once, in one order."""
    conn = data.draw(st.sampled_from(sorted(CONNECTIONS)), label="connection")
    scope = data.draw(scopes(world, conn), label="scope")
    where = data.draw(st.none() | world.strategies[conn], label="where")
    order = data.draw(st.none() | st.sampled_from(ORDERS[conn]), label="orderBy")
    size = data.draw(st.integers(1, 100), label="first")
    filtered = [k for k in scope.universe(world) if matches(world, scope.kind, where or {}, k)]
    assume(math.ceil(len(filtered) / size) <= MAX_PAGES)

    got, pages = fetch_all(world, scope, where, order, first=size)
    assert len(got) == len(set(got)), "an item came twice"
    assert all(page["totalCount"] == len(got) for page in pages)
    assert len(pages) == max(1, math.ceil(len(got) / size))
    for number, page in enumerate(pages):
        info, cursors = page["pageInfo"], [edge["cursor"] for edge in page["edges"]]
        last = number == len(pages) - 1
        assert len(page["nodes"]) == (len(got) - size * number if last else size)
        assert info["hasNextPage"] is not last
        assert info["hasPreviousPage"] is (number > 0)
        assert (info["startCursor"], info["endCursor"]) == (
            (cursors[0], cursors[-1]) if cursors else (None, None)
        )
    assert set(got) == set(filtered)
    if len(got) <= 100:
        single = scope.page(world, where, order, 100, None)
        assert [key_of(node["id"]) for node in single["nodes"]] == got
    else:  # pages of another size cut the same list
        assert fetch_all(world, scope, where, order)[0] == got
