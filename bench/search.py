"""Search latency at scale: p50/p99 per kind of query, index build time and memory.

Run ``python bench/search.py`` (re-runs itself with ``.venv/bin/python``).
Two ways to get a big graph:

- ``--nodes N`` (default 1,000,000): the generated dataset of about N nodes
  (``graph_data.generate``, cached under ``bench/results/datasets``, shared with
  ``bench/load.py``), loaded with ``graph_data.load_graph``. A million nodes
  hold about 180,000 names, since scenes and seasons have none.
- ``--names N``: a graph of N named nodes made directly (actors, characters,
  episodes and shows named from the generator's vocabulary, in its
  proportions), which is quicker to make and holds N names, not N nodes.
  ``--distinct`` gives every person a made-up surname instead, so nearly
  every name is distinct: the worst case for the index, which scores each
  distinct name once.

Queries are drawn (seeded) from the indexed names, several of each kind:
``exact`` (a whole name), ``prefix`` (its first 3-6 letters), ``words`` (its
words reversed), ``typo`` (one letter changed in a name of two words or more),
``typo-word`` (one letter changed in one word), ``none`` (letters matching
nothing). Each is timed ``--repeat`` times through ``SearchIndex.search`` with
``limit=10`` and all kinds; the p50 and p99 are over all timings of a kind.

The baseline, measured in the same run on the same queries, is the plainest
fuzzy search: one ``rapidfuzz.process.extract`` over every folded name (one
per node, without tiers or ranking). The index's earlier version made one to
three such scans per query. ``x scan`` is index p50 / scan p50.

Results go to ``bench/results/search.json`` (``--output``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import ROOT, use_project_venv

use_project_venv(__file__)
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

from rapidfuzz import fuzz, process  # noqa: E402  (after the venv check)

from graph_data import GraphNode, ShowGraph  # noqa: E402
from graph_data.kinds import NodeKind  # noqa: E402
from graph_data.search import SearchIndex, _names  # noqa: E402
from graph_data.text import fold  # noqa: E402

KINDS = ("exact", "prefix", "words", "typo", "typo-word", "none")


# --- graphs ------------------------------------------------------------------------------


def generated_graph(nodes: int, seed: int) -> ShowGraph:
    """The generated dataset of about ``nodes`` nodes, as the server loads it."""
    from load import dataset_for

    from graph_data import load_graph

    return load_graph(dataset_for(nodes, seed, RESULTS / "datasets"))


def named_graph(names: int, seed: int, distinct: bool) -> ShowGraph:
    """About ``names`` names on actors, characters, episodes and shows, named as generated."""
    from graph_data import generate as gen
    from graph_data.records import ActorFields, CharacterFields, EpisodeFields, ShowFields

    rng = random.Random(seed)
    syllables = ["ka", "ri", "mo", "le", "sa", "tu", "ne", "vi", "do", "ra", "an", "el"]

    def last() -> str:
        if not distinct:
            return rng.choice(gen._LAST)
        return "".join(rng.choice(syllables) for _ in range(rng.randint(3, 5))).capitalize()

    model = ShowGraph()
    taken: dict[str, int] = {}

    def add(kind: NodeKind, base: str, data: Any) -> None:
        count = taken[base] = taken.get(base, 0) + 1
        key = f"{kind.value.lower()}:{base}" + (f"-{count}" if count > 1 else "")
        model.add_node(GraphNode(key, kind, data, ("source:bench",)))

    made = 0
    while made < names:
        roll = rng.random()  # the generator's mix: about 1 actor and 1 character per episode
        if roll < 0.33:
            name = f"{rng.choice(gen._FIRST)} {last()}"
            add(NodeKind.ACTOR, gen._slug(name), ActorFields.model_construct(name=name))
            made += 1
        elif roll < 0.66:
            first, surname = rng.choice(gen._FIRST), last()
            full = f"{first} {surname}"
            aliases = (rng.choice(gen._NICKNAMES),) if rng.random() < 0.3 else ()
            fields = CharacterFields.model_construct(
                name=first if rng.random() < 0.5 else full, full_name=full, aliases=aliases
            )
            add(NodeKind.CHARACTER, gen._slug(full), fields)
            made += 2 + len(aliases)
        elif roll < 0.98:
            title = rng.choice(gen._TITLE_WORDS)
            fields = EpisodeFields.model_construct(number=1, title=title)
            add(NodeKind.EPISODE, gen._slug(title), fields)
            made += 1
        else:
            pattern = rng.choice(gen._PATTERNS)
            name = pattern.format(a=rng.choice(gen._ADJECTIVES), n=rng.choice(gen._NOUNS))
            add(NodeKind.SHOW, gen._slug(name), ShowFields.model_construct(name=name))
            made += 1
    return model


# --- queries -----------------------------------------------------------------------------


def queries(names: list[str], count: int, seed: int) -> dict[str, list[str]]:
    """``count`` queries of each kind, derived from ``names`` (as written)."""
    rng = random.Random(seed)
    several = [name for name in names if len(fold(name).split()) > 1] or names
    letters = "abcdefghijklmnopqrstuvwxyz"

    def typo(text: str) -> str:
        at = rng.randrange(1, len(text)) if len(text) > 1 else 0
        return (
            text[:at] + rng.choice([c for c in letters if c != text[at].lower()]) + text[at + 1 :]
        )

    made: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for _ in range(count):
        name, multi = rng.choice(names), rng.choice(several)
        made["exact"].append(name)
        made["prefix"].append(fold(name)[: rng.randint(3, 6)])
        made["words"].append(" ".join(reversed(fold(multi).split())))
        made["typo"].append(typo(multi))
        made["typo-word"].append(typo(max(fold(name).split(), key=len)))
        made["none"].append("".join(rng.choice("qxzjvw") for _ in range(rng.randint(5, 9))))
    return made


def timed(run: Any, texts: list[str], repeat: int) -> list[float]:
    """Milliseconds of each call of ``run(text)``, every text ``repeat`` times."""
    times = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            run(text)
            times.append((time.perf_counter() - started) * 1000)
    return times


def percentiles(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 3), "p99_ms": round(cuts[98], 3)}


# --- the run -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--nodes", type=int, default=1_000_000, help="generated dataset size")
    size.add_argument("--names", type=int, help="a graph of this many names instead")
    parser.add_argument("--distinct", action="store_true", help="with --names: unique surnames")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=40, help="queries of each kind")
    parser.add_argument("--repeat", type=int, default=5, help="timings of each query")
    parser.add_argument("--output", type=Path, default=RESULTS / "search.json")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.names:
        graph, source = named_graph(args.names, args.seed, args.distinct), f"{args.names} names"
    else:
        graph, source = generated_graph(args.nodes, args.seed), f"{args.nodes} nodes"
    print(f"graph ({source}) ready in {time.perf_counter() - started:.1f} s", flush=True)

    gc.collect()
    started = time.perf_counter()  # the first build also pays for what the model has not
    index = SearchIndex(graph)  # sorted yet (nodes_of); load_graph sorts while loading
    build = time.perf_counter() - started
    started = time.perf_counter()
    index = SearchIndex(graph)
    rebuild = time.perf_counter() - started
    del index
    gc.collect()
    tracemalloc.start()  # a third build, traced: what the index keeps, and its peak
    index = SearchIndex(graph)
    gc.collect()
    kept, peak = (size / 2**20 for size in tracemalloc.get_traced_memory())
    tracemalloc.stop()
    written = [name for kind in NodeKind for node in graph.nodes_of(kind) for name in _names(node)]
    folded = [fold(name) for name in written]
    distinct = len(set(folded))
    print(
        f"{len(written)} names ({distinct} distinct), index: {len(index)} entries, "
        f"built in {build:.2f} s (again: {rebuild:.2f} s), "
        f"keeps {kept:.1f} MiB (peak {peak:.1f} MiB while building)"
    )

    def scan(text: str) -> object:
        return process.extract(fold(text), folded, scorer=fuzz.ratio, processor=None, limit=10)

    mix = queries(written, args.queries, args.seed)
    results: dict[str, Any] = {}
    print(f"{'kind':10} {'p50 ms':>8} {'p99 ms':>8} {'scan p50':>9} {'x scan':>7}  example")
    for kind, texts in mix.items():
        mine = percentiles(timed(lambda t: index.search(t, limit=10), texts, args.repeat))
        base = percentiles(timed(scan, texts[: max(2, len(texts) // 4)], 1))
        ratio = mine["p50_ms"] / base["p50_ms"]
        results[kind] = {**mine, "scan_p50_ms": base["p50_ms"], "ratio_to_scan": round(ratio, 4)}
        print(
            f"{kind:10} {mine['p50_ms']:8.2f} {mine['p99_ms']:8.2f} {base['p50_ms']:9.1f} "
            f"{ratio:7.3f}  {texts[0]!r}"
        )
    report = {
        "graph": source + (" (distinct surnames)" if args.distinct else ""),
        "names": len(written),
        "distinct_names": distinct,
        "build_seconds": round(build, 3),
        "rebuild_seconds": round(rebuild, 3),
        "index_mib": round(kept, 1),
        "build_peak_mib": round(peak, 1),
        "queries": results,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_end": os.getloadavg(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"load average {os.getloadavg()[0]:.2f}; written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
