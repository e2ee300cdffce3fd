"""Typo-tolerant search over the names of nodes.

Every node is searchable by its names: ``name``, ``title``, ``full_name`` and
``aliases``, whichever its kind has (sources by their title). Nodes without
a name (seasons, scenes) are found through their show or episode instead: an
id like ``heartstopper-s2-still-nick-charlie`` is not a name. Query and names are
compared after ``graph_data.text.fold``, so case, accents and punctuation do
not matter.

A name scores in one of four tiers, so a closer kind of match always ranks
first (``similarity`` is the definition; ``SearchIndex`` computes the same
scores without scoring every name in Python):

==========  ===========  ====================================================
tier        score        the folded name ...
==========  ===========  ====================================================
exact       1.0          equals the query
prefix      (0.9, 0.99)  starts with the query; shorter names score higher
words       (0.8, 0.89]  holds every query word (any order); fewer extra
                         words score higher
fuzzy       (0.47, 0.79) is close to the query: rapidfuzz's ``ratio`` (on the
                         names, and for queries of several words also on their
                         sorted words) is at least ``MIN_SIMILARITY``; a
                         one-word query may instead be close to one word of
                         the name, which scores lower
==========  ===========  ====================================================

Below ``MIN_SIMILARITY`` a name does not match at all, so nonsense finds
nothing instead of the least bad names. A node scores as its best name; equal
scores rank by label (case-folded), then key.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from graph_data.kinds import NodeKind
from graph_data.model import GraphNode, ShowGraph
from graph_data.text import fold

MIN_SIMILARITY = 75.0
"""The least rapidfuzz ``ratio`` (0-100) a fuzzy match needs; no hit scores below 0.47."""

PREFIX_SCAN = 20_000
"""How many distinct names sharing the query as prefix are ranked; bounds one-letter queries."""

_NAME_FIELDS = ("name", "title", "full_name")
_DIGITS = 6  # scores are rounded, so equal-looking scores are equal and tie-break by label


@dataclass(frozen=True, slots=True)
class Hit:
    """One node found: its key, score in (0, 1], and the name that matched as written."""

    key: str
    score: float
    matched: str


@dataclass(frozen=True, slots=True)
class _Query:
    """A folded query, its set of words, and its sorted words when it has several."""

    text: str
    words: frozenset[str]
    sorted_text: str | None

    @classmethod
    def parse(cls, text: str) -> _Query:
        folded = fold(text)
        if not folded:
            raise ValueError("search text must contain at least one letter or digit")
        words = folded.split()
        sorted_text = " ".join(sorted(words)) if len(words) > 1 else None
        return cls(folded, frozenset(words), sorted_text)


# --- the tiers ----------------------------------------------------------------
# One function per tier formula, shared by ``similarity`` and the index so that
# both produce the very same floats.


def _prefix_score(query_len: int, name_len: int) -> float:
    return round(0.9 + 0.09 * query_len / name_len, _DIGITS)


def _words_score(query_words: int, name_words: int) -> float:
    return round(0.8 + 0.09 * query_words / name_words, _DIGITS)


def _fuzzy_score(ratio: float) -> float:
    return round(0.79 * ratio / 100, _DIGITS)


def _near_word_score(ratio: float, name_words: int) -> float:
    return round(0.7 * ratio / 100 * (0.9 + 0.1 / name_words), _DIGITS)


def similarity(text: str, name: str) -> float:
    """Score ``name`` against the query ``text`` as search does (see the module docstring).

    This is the specification of the ranking; ``SearchIndex.search`` returns
    the same scores, found without calling it once per indexed name.

    Parameters
    ----------
    text : str
        The query; it must contain a letter or digit.
    name : str
        A candidate name.

    Returns
    -------
    float
        The score in (0, 1], or 0.0 when ``name`` does not match.

    Raises
    ------
    ValueError
        If ``text`` holds no letter or digit.

    Examples
    --------
    >>> similarity("ÉLLE", "Elle")
    1.0
    >>> round(similarity("kit con", "Kit Connor"), 3)
    0.963
    >>> round(similarity("jones tara", "Tara Jones"), 3)
    0.89
    >>> round(similarity("Kit Conor", "Kit Connor"), 3)
    0.748
    >>> similarity("zzzzqqq", "Kit Connor")
    0.0
    """
    return _score(_Query.parse(text), fold(name))


def _score(query: _Query, name: str) -> float:
    if name == query.text:
        return 1.0
    if name.startswith(query.text):
        return _prefix_score(len(query.text), len(name))
    words = name.split()
    distinct = set(words)
    if query.words <= distinct:
        return _words_score(len(query.words), len(distinct))
    ratio = fuzz.ratio(query.text, name, score_cutoff=MIN_SIMILARITY)
    if query.sorted_text is not None:
        sorted_name = " ".join(sorted(words))
        ratio = max(ratio, fuzz.ratio(query.sorted_text, sorted_name, score_cutoff=MIN_SIMILARITY))
        return _fuzzy_score(ratio) if ratio else 0.0
    near = max(
        (fuzz.ratio(query.text, w, score_cutoff=MIN_SIMILARITY) for w in distinct), default=0.0
    )
    best = _fuzzy_score(ratio) if ratio else 0.0
    return max(best, _near_word_score(near, len(distinct)) if near else 0.0)


# --- the index ------------------------------------------------------------------
#
# Names repeat a lot (a million-node graph holds about 180,000 names but only
# some 16,000 distinct ones), so the index scores each distinct folded name
# once per query and only then turns names into nodes. A candidate is
# ``(score, part, name)``; candidates are expanded best first into nodes until
# ``limit`` nodes are found, and the fuzzy tier is only computed when the exact,
# prefix and words tiers found fewer.


def _names(node: GraphNode[Any]) -> list[str]:
    """The searchable names of a node, in field order (none for seasons and scenes)."""
    data = node.data
    fields, aliases = _name_fields(type(data), data)
    found: list[Any] = [getattr(data, attr) for attr in fields]
    if aliases:
        found.extend(data.aliases or ())
    return [name for name in found if isinstance(name, str) and name.strip()]


_FIELDS_OF: dict[type, tuple[tuple[str, ...], bool]] = {}


def _name_fields(record: type, data: object) -> tuple[tuple[str, ...], bool]:
    """The name fields a kind of record has, and whether it has aliases; looked up once per type.

    Asking a pydantic record for a field it lacks costs microseconds (it
    raises inside), which adds up to seconds over a million nodes.
    """
    found = _FIELDS_OF.get(record)
    if found is None:
        fields = tuple(attr for attr in _NAME_FIELDS if hasattr(data, attr))
        found = _FIELDS_OF[record] = (fields, hasattr(data, "aliases"))
    return found


def _has_names(node: GraphNode[Any]) -> bool:
    """Whether the node's kind of record has any name field (seasons and scenes have none)."""
    fields, aliases = _name_fields(type(node.data), node.data)
    return bool(fields) or aliases


_Candidate = tuple[float, "_Part", int]  # (score, part, distinct name)


@dataclass(frozen=True, slots=True)
class _Part:
    """The names of one node kind, each distinct folded name stored once.

    ``names`` holds the distinct folded names in sorted order (so a prefix is a
    range found by bisect). The nodes bearing name ``d`` are the entries
    ``starts[d]`` to ``starts[d + 1]``, in node order (the tie-break order), so
    the first ``limit`` of them are the best ``limit``; an entry gives the
    node's number, the name as that node writes it, and its position among the
    node's names (ties keep the earlier name). ``postings`` lists, for each
    word, the names holding it by (number of distinct words, name), which is
    score order for the word tiers.
    """

    names: list[str]
    sorted_words: list[str]
    word_count: array[int]
    starts: array[int]
    owner: array[int]
    position: array[int]
    original: list[str]
    postings: dict[str, array[int]]
    vocabulary: list[str]
    per_node: int

    def prefixed(self, query: _Query, out: list[_Candidate]) -> None:
        """Exact and prefix tiers: a bisect into the sorted names, then a bounded scan."""
        text = query.text
        names = self.names
        start = bisect_left(names, text)
        stop = min(start + PREFIX_SCAN, len(names))
        scores: dict[int, float] = {len(text): 1.0}
        for d in range(start, stop):
            name = names[d]
            if not name.startswith(text):
                break
            size = len(name)
            score = scores.get(size)
            if score is None:
                score = scores[size] = _prefix_score(len(text), size)
            out.append((score, self, d))

    def with_words(self, query: _Query, limit: int, out: list[_Candidate]) -> None:
        """Words tier: walk the rarest query word's names, keep those holding the rest."""
        empty: array[int] = array("I")
        lists = sorted(((self.postings.get(w, empty), w) for w in query.words), key=_length)
        rarest, word = lists[0]
        rest = query.words - {word}
        wanted = len(query.words)
        chosen = (d for d in rarest if not rest or rest <= set(self.names[d].split()))
        for d in self._best(chosen, limit):
            out.append((_words_score(wanted, self.word_count[d]), self, d))

    def close(self, query: _Query, limit: int, out: list[_Candidate]) -> None:
        """Fuzzy tier: rapidfuzz scans the distinct names (and their words) in C."""
        passes = [(query.text, self.names)]
        if query.sorted_text is not None:
            passes.append((query.sorted_text, self.sorted_words))
        for text, names in passes:
            for _, ratio, d in _close_to(text, names):
                out.append((_fuzzy_score(ratio), self, d))
        if query.sorted_text is None:  # one word: it may be close to one word of a name
            for word, ratio, _ in _close_to(query.text, self.vocabulary):
                for d in self._best(iter(self.postings[word]), limit):
                    out.append((_near_word_score(ratio, self.word_count[d]), self, d))

    def _best(self, names: Iterator[int], limit: int) -> Iterator[int]:
        """The names of a walk in score order that can still hold one of the best ``limit`` nodes.

        A node bears at most ``per_node`` of the names, so the first ``limit *
        per_node`` names bear at least ``limit`` nodes scoring as well or
        better; after them, only names scoring the same as the last one (as
        many words) can still rank, by node order.
        """
        budget = limit * self.per_node
        last = -1
        for d in names:
            if budget > 0:
                budget -= 1
                last = self.word_count[d]
            elif self.word_count[d] != last:
                return
            yield d


def _length(pair: tuple[array[int], str]) -> int:
    return len(pair[0])


def _close_to(text: str, names: list[str]) -> Iterator[tuple[str, float, int]]:
    """Every name whose ``ratio`` with ``text`` reaches ``MIN_SIMILARITY``, in list order.

    ``extract_iter`` rather than ``extract(limit=None)``: the same scores in
    half the time, since ``_Ranking`` sorts the few that pass anyway.
    """
    return process.extract_iter(
        text, names, scorer=fuzz.ratio, processor=None, score_cutoff=MIN_SIMILARITY
    )


class _Ranking:
    """The best name of each node found so far, fed candidates best first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.best: dict[int, tuple[float, int, str]] = {}  # node -> (score, position, name)

    def add(self, candidates: list[_Candidate]) -> bool:
        """Expand ``candidates`` into nodes, best score first; True once ``limit`` nodes are in.

        Candidates are taken a score at a time, and the walk stops after a
        score once ``limit`` nodes are found: every later node scores lower.
        Only the first ``limit`` nodes of a name are taken, since its later
        nodes rank below those (same score or better, earlier in node order).
        """
        candidates.sort(key=_score_of, reverse=True)
        best, limit = self.best, self.limit
        i, total = 0, len(candidates)
        while i < total:
            score = candidates[i][0]
            while i < total and candidates[i][0] == score:
                _, part, d = candidates[i]
                i += 1
                start = part.starts[d]
                for e in range(start, min(part.starts[d + 1], start + limit)):
                    node, position = part.owner[e], part.position[e]
                    held = best.get(node)
                    if held is None or score > held[0] or (score == held[0] and position < held[1]):
                        best[node] = (score, position, part.original[e])
            if len(best) >= limit:
                return True
        return False

    def ranked(self) -> list[tuple[int, float, str]]:
        """(node, score, matched name) of the best ``limit`` nodes: by score, then node order."""
        order = sorted(self.best.items(), key=lambda item: (-item[1][0], item[0]))
        return [(node, score, name) for node, (score, _, name) in order[: self.limit]]


def _score_of(candidate: _Candidate) -> float:
    return candidate[0]


class _PartBuilder:
    """Collects one kind's names, node by node in node order, then lays them out."""

    def __init__(self) -> None:
        self.groups: dict[
            str, list[tuple[int, int, str]]
        ] = {}  # name -> (node, position, as written)
        self.per_node = 1

    def add(self, node: int, names: list[str], fold_cached: Callable[[str], str]) -> None:
        seen: set[str] = set()
        for position, name in enumerate(names):
            folded = fold_cached(name)
            if folded and folded not in seen:
                seen.add(folded)
                self.groups.setdefault(folded, []).append((node, position, name))
        self.per_node = max(self.per_node, len(seen))

    def build(self) -> _Part:
        names = sorted(self.groups)
        starts, owner, position = array("I", [0]), array("I"), array("I")
        original: list[str] = []
        sorted_words: list[str] = []
        word_count = array("I")
        postings: dict[str, list[int]] = {}
        for d, name in enumerate(names):
            for node, at, written in self.groups[name]:
                owner.append(node)
                position.append(at)
                original.append(written)
            starts.append(len(owner))
            words = name.split()
            in_order = " ".join(sorted(words))
            sorted_words.append(name if in_order == name else in_order)
            distinct = set(words)
            word_count.append(len(distinct))
            for word in distinct:
                postings.setdefault(word, []).append(d)
        return _Part(
            names=names,
            sorted_words=sorted_words,
            word_count=word_count,
            starts=starts,
            owner=owner,
            position=position,
            original=original,
            postings={
                # stable: names with as many words stay in name order
                word: array("I", sorted(found, key=word_count.__getitem__))
                for word, found in postings.items()
            },
            vocabulary=sorted(postings),
            per_node=self.per_node,
        )


class SearchIndex:
    """The searchable names of one version of a graph; build once, query often.

    Use ``search_index(model)`` to get the cached index of a graph rather than
    building one per query. Building reads every named node once, sorts them
    into tie-break order and stores each distinct folded name once per kind
    (about 5 s per million names, most of it reading the records and sorting
    the nodes; 1.5 s for the 178,000 names of a million-node generated graph).
    A query bisects the sorted names for the exact and prefix tiers,
    intersects word postings for the words tier, and only when those find
    fewer than ``limit`` nodes has rapidfuzz scan the distinct names (in C)
    for the fuzzy tier: its cost grows with the number of distinct names, not
    of nodes (about 0.1 us per distinct name and pass).

    Parameters
    ----------
    model : ShowGraph
        The graph whose nodes to index; ``version`` records ``model.version``
        as it was when building began.

    Examples
    --------
    >>> from graph_data import load_graph
    >>> index = SearchIndex(load_graph())
    >>> index.search("tara jones", limit=1)
    [Hit(key='character:tara-jones', score=1.0, matched='Tara Jones')]
    """

    def __init__(self, model: ShowGraph) -> None:
        self.version: int = model.version
        nodes = _nodes_in_order(model)
        self._keys = [node.key for node in nodes]
        folds: dict[str, str] = {}

        def fold_cached(name: str) -> str:
            found = folds.get(name)
            if found is None:
                found = folds[name] = fold(name)
            return found

        builders: dict[NodeKind, _PartBuilder] = {}
        for number, node in enumerate(nodes):
            builder = builders.get(node.kind)
            if builder is None:
                builder = builders[node.kind] = _PartBuilder()
            builder.add(number, _names(node), fold_cached)
        self._parts = {kind: builder.build() for kind, builder in builders.items()}
        self._size = sum(len(part.owner) for part in self._parts.values())

    def __len__(self) -> int:
        """The number of indexed names (distinct folded names per node)."""
        return self._size

    def search(
        self, text: str, kinds: Iterable[NodeKind] | None = None, limit: int = 10
    ) -> list[Hit]:
        """The nodes whose names best match ``text``, best first, one hit per node.

        Parameters
        ----------
        text : str
            What to look for; case, accents and punctuation are ignored.
        kinds : iterable of NodeKind, optional
            Only nodes of these kinds; all kinds when None.
        limit : int
            The most hits to return, at least 1.

        Returns
        -------
        list of Hit
            At most ``limit`` hits, by score (highest first), then label, then
            key; each with the node's best-matching name. Empty when nothing
            reaches ``MIN_SIMILARITY``.

        Raises
        ------
        ValueError
            If ``text`` holds no letter or digit, or ``limit`` is below 1.

        Examples
        --------
        >>> from graph_data import load_graph
        >>> index = SearchIndex(load_graph())
        >>> index.search("Kit Conor")
        [Hit(key='actor:kit-connor', score=0.748421, matched='Kit Connor')]
        >>> index.search("truth dare", kinds=[NodeKind.EPISODE], limit=1)
        [Hit(key='episode:heartstopper-s2e6', score=1.0, matched='Truth/Dare')]
        >>> index.search("zzzzqqq")
        []
        """
        query = _Query.parse(text)
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        parts = (
            list(self._parts.values())
            if kinds is None
            else [self._parts[kind] for kind in set(kinds) if kind in self._parts]
        )
        ranking = _Ranking(limit)
        candidates: list[_Candidate] = []
        for part in parts:
            part.prefixed(query, candidates)
            part.with_words(query, limit, candidates)
        if not ranking.add(candidates):  # fuzzy scores are below every other tier's
            candidates = []
            for part in parts:
                part.close(query, limit, candidates)
            ranking.add(candidates)
        return [Hit(self._keys[node], score, name) for node, score, name in ranking.ranked()]


def _nodes_in_order(model: ShowGraph) -> list[GraphNode[Any]]:
    """Every node that may have a name, by (case-folded label, key): the tie-break order."""
    nodes: list[GraphNode[Any]] = []
    for kind in NodeKind:
        of_kind = model.nodes_of(kind)
        if of_kind and _has_names(of_kind[0]):
            nodes.extend(of_kind)
    nodes.sort(key=lambda node: (node.label.casefold(), node.key))
    return nodes


_CACHE: weakref.WeakKeyDictionary[ShowGraph, SearchIndex] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def search_index(model: ShowGraph) -> SearchIndex:
    """The search index of ``model``'s current version, built at most once per version.

    The index is cached per graph object (weakly, so it goes with the graph)
    and rebuilt when ``model.version`` has changed since it was built. Builds
    are serialised, so concurrent first queries build once.

    Parameters
    ----------
    model : ShowGraph
        The graph to search.

    Returns
    -------
    SearchIndex
        The same object for as long as ``model.version`` stays the same.

    Examples
    --------
    >>> from graph_data import load_graph
    >>> model = load_graph()
    >>> search_index(model) is search_index(model)
    True
    >>> before = search_index(model)
    >>> model.version += 1
    >>> search_index(model) is before
    False
    """
    with _CACHE_LOCK:
        index = _CACHE.get(model)
        if index is None or index.version != model.version:
            index = SearchIndex(model)
            _CACHE[model] = index
        return index


def search(
    model: ShowGraph, text: str, kinds: Iterable[NodeKind] | None = None, limit: int = 10
) -> list[Hit]:
    """Search ``model`` through its cached index (``search_index``).

    Parameters
    ----------
    model : ShowGraph
        The graph to search.
    text, kinds, limit
        As for ``SearchIndex.search``.

    Returns
    -------
    list of Hit
        As ``SearchIndex.search`` returns them.

    Raises
    ------
    ValueError
        If ``text`` holds no letter or digit, or ``limit`` is below 1.

    Examples
    --------
    >>> from graph_data import load_graph
    >>> search(load_graph(), "charlie", limit=1)
    [Hit(key='character:charlie-spring', score=1.0, matched='Charlie')]
    """
    return search_index(model).search(text, kinds, limit)
