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
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from rapidfuzz import fuzz, process

from graph_data.kinds import NodeKind
from graph_data.model import GraphNode, ShowGraph
from graph_data.text import fold

MIN_SIMILARITY = 75.0
"""The least rapidfuzz ``ratio`` (0-100) a fuzzy match needs; no hit scores below 0.47."""

PREFIX_SCAN = 20_000
"""How many names sharing the query as prefix are ranked; bounds one-letter queries."""

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


def _names(node: GraphNode[Any]) -> list[str]:
    """The searchable names of a node, in field order (none for seasons and scenes)."""
    data = node.data
    found: list[Any] = [getattr(data, attr, None) for attr in _NAME_FIELDS]
    found.extend(getattr(data, "aliases", None) or ())
    return [name for name in found if isinstance(name, str) and name.strip()]


@dataclass(frozen=True, slots=True)
class _Part:
    """The names of one node kind, laid out for each tier.

    Entries (one per distinct folded name of a node) are numbered in node
    order, which is the tie-break order, so "the first n entries" of any list
    kept in entry order are the best n. ``postings`` lists each word's entries
    by (number of distinct words, entry), which is score order for the word
    tiers.
    """

    folded: list[str]
    sorted_words: list[str]
    original: list[str]
    owner: list[int]
    word_count: list[int]
    prefix_names: list[str]
    prefix_entries: list[int]
    postings: dict[str, list[int]]
    vocabulary: list[str]
    per_node: int

    def matches(self, query: _Query, limit: int) -> dict[int, float]:
        """Entry -> score for at least the best ``limit`` nodes' entries of this kind."""
        budget = limit * self.per_node  # enough entries to hold ``limit`` distinct nodes
        found: dict[int, float] = {}
        self._prefixed(query, found)
        self._with_words(query, budget, found)
        self._close(query, budget, found)
        if query.sorted_text is None:
            self._near_words(query, budget, found)
        return found

    def _prefixed(self, query: _Query, found: dict[int, float]) -> None:
        """Exact and prefix tiers: a bisect into the sorted names, then a bounded scan."""
        start = bisect_left(self.prefix_names, query.text)
        stop = min(start + PREFIX_SCAN, len(self.prefix_names))
        for i in range(start, stop):
            name = self.prefix_names[i]
            if not name.startswith(query.text):
                break
            score = 1.0 if name == query.text else _prefix_score(len(query.text), len(name))
            _offer(found, self.prefix_entries[i], score)

    def _with_words(self, query: _Query, budget: int, found: dict[int, float]) -> None:
        """Words tier: walk the rarest query word's entries, keep those holding the rest."""
        lists = sorted(
            ((self.postings.get(w, []), w) for w in query.words), key=lambda pair: len(pair[0])
        )
        rarest, word = lists[0]
        rest = query.words - {word}
        kept = 0
        for entry in rarest:
            if rest and not rest <= set(self.folded[entry].split()):
                continue
            _offer(found, entry, _words_score(len(query.words), self.word_count[entry]))
            kept += 1
            if kept == budget:
                break

    def _close(self, query: _Query, budget: int, found: dict[int, float]) -> None:
        """Fuzzy tier over whole names: rapidfuzz scans the list in C, best first."""
        passes = [(query.text, self.folded)]
        if query.sorted_text is not None:
            passes.append((query.sorted_text, self.sorted_words))
        for text, names in passes:
            for _, ratio, entry in process.extract(
                text, names, scorer=fuzz.ratio, limit=budget, score_cutoff=MIN_SIMILARITY
            ):
                _offer(found, entry, _fuzzy_score(ratio))

    def _near_words(self, query: _Query, budget: int, found: dict[int, float]) -> None:
        """Fuzzy tier for one-word queries: close words of the vocabulary, then their entries."""
        for word, ratio, _ in process.extract(
            query.text, self.vocabulary, scorer=fuzz.ratio, limit=None, score_cutoff=MIN_SIMILARITY
        ):
            for entry in self.postings[word][:budget]:
                _offer(found, entry, _near_word_score(ratio, self.word_count[entry]))


def _offer(found: dict[int, float], entry: int, score: float) -> None:
    if score > found.get(entry, 0.0):
        found[entry] = score


class _PartBuilder:
    """Collects one kind's names, then lays them out as a ``_Part``."""

    def __init__(self) -> None:
        self.folded: list[str] = []
        self.original: list[str] = []
        self.owner: list[int] = []
        self.per_node = 0

    def add(self, owner: int, names: Iterable[str]) -> None:
        seen: set[str] = set()
        for name in names:
            folded = fold(name)
            if folded and folded not in seen:
                seen.add(folded)
                self.folded.append(folded)
                self.original.append(name)
                self.owner.append(owner)
        self.per_node = max(self.per_node, len(seen))

    def build(self) -> _Part:
        folded = self.folded
        word_count: list[int] = []
        postings: dict[str, list[int]] = {}
        for entry, name in enumerate(folded):
            words = set(name.split())
            word_count.append(len(words))
            for word in words:
                postings.setdefault(word, []).append(entry)
        for entries in postings.values():
            entries.sort(key=word_count.__getitem__)  # stable: equal counts stay in entry order
        order = sorted(range(len(folded)), key=folded.__getitem__)
        return _Part(
            folded=folded,
            sorted_words=[" ".join(sorted(name.split())) for name in folded],
            original=self.original,
            owner=self.owner,
            word_count=word_count,
            prefix_names=[folded[e] for e in order],
            prefix_entries=order,
            postings=postings,
            vocabulary=sorted(postings),
            per_node=max(self.per_node, 1),
        )


class SearchIndex:
    """The searchable names of one version of a graph; build once, query often.

    Use ``search_index(model)`` to get the cached index of a graph rather than
    building one per query. Building reads every node once (seconds per
    million names); a query costs one to three rapidfuzz scans over the names
    of the kinds searched, in C, plus bisects and dict lookups (about 0.1 to
    0.2 s per million names).

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
        nodes = _nodes_in_order(model.graph)
        self._keys = [node.key for node in nodes]
        builders: dict[NodeKind, _PartBuilder] = {}
        for index, node in enumerate(nodes):
            builders.setdefault(node.kind, _PartBuilder()).add(index, _names(node))
        self._parts = {kind: builder.build() for kind, builder in builders.items()}

    def __len__(self) -> int:
        """The number of indexed names (distinct folded names per node)."""
        return sum(len(part.folded) for part in self._parts.values())

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
        chosen = (
            self._parts.values()
            if kinds is None
            else [self._parts[kind] for kind in set(kinds) if kind in self._parts]
        )
        best: dict[int, tuple[float, str]] = {}  # node -> (score, matched name)
        for part in chosen:
            for entry, score in sorted(part.matches(query, limit).items()):
                owner = part.owner[entry]
                if score > best.get(owner, (0.0, ""))[0]:  # ties keep the earlier name
                    best[owner] = (score, part.original[entry])
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        return [Hit(self._keys[node], score, matched) for node, (score, matched) in ranked]


def _nodes_in_order(graph: nx.MultiDiGraph) -> list[GraphNode[Any]]:
    """All nodes by (case-folded label, key): the tie-break order of hits."""
    nodes: list[GraphNode[Any]] = [node for _, node in graph.nodes(data="node")]
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
