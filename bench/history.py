"""Reads as of a recent version: how long ``asOf`` takes, against the same read of now.

``.venv/bin/python bench/history.py [--nodes 100000] [--changes 1000] [--reads 5]``

For the built-in dataset, then a generated graph of ``--nodes`` nodes (the
``generate`` command's own code), in one run:

1. opens a journal store in a temporary data directory (fsync on, as served)
   and writes ``--changes`` mutations through it, each renaming a random actor
   (the API's own path: ``graph_data.edits`` then ``graph_data.diffs``);
2. answers ``{ asOf(version: V) { actors { totalCount } node(id: …) { … } } }``
   through the app in process (``starlette.testclient``, the whole pipeline, the
   default settings; ``Cache-Control: no-cache`` so each answer is computed),
   for ``--reads`` versions among the last ``--changes``, each new, so no read
   is answered from the cache of past graphs; the oldest is ``--changes`` back;
3. answers the same query without ``asOf`` (the current graph) as the baseline.

It prints the milliseconds of each read (median and max), the ratio to the
baseline, and the targets (50 ms built-in, 1 s at 100k nodes), and writes them
to ``bench/results/history.json`` (``--output``).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph_data import BUILTIN_DATASET  # noqa: E402
from graph_data.diffs import make_change  # noqa: E402
from graph_data.edits import Edit, SourceRequest, update_node  # noqa: E402
from graph_data.generate import generate_nodes, write_dataset  # noqa: E402
from graph_data.kinds import NodeKind  # noqa: E402
from graph_data.store import JournalStore  # noqa: E402
from server.app import create_app  # noqa: E402
from server.settings import Settings  # noqa: E402

TARGETS_MS = {"built-in": 50.0, "generated": 1000.0}
QUERY = """query($v: Int!, $id: ID!) { asOf(version: $v) { graphVersion actors { totalCount }
  node(id: $id) { ... on Actor { name } } } }"""
NOW = """query($id: ID!) { graphVersion actors { totalCount }
  node(id: $id) { ... on Actor { name } } }"""


def write_changes(data_dir: Path, dataset: Path, changes: int) -> tuple[str, float]:
    """``changes`` renames of random actors through a journal store; one actor's id, and s."""
    store = JournalStore(data_dir, (dataset,))
    model = store.open()
    actors = [node.key for node in model.nodes_of(NodeKind.ACTOR)]
    chooser = random.Random(0)
    started = time.perf_counter()
    for number in range(changes):
        key = chooser.choice(actors)

        def plan(version: int, key: str = key, number: int = number) -> Any:
            edit = Edit(model, "bench", version)
            edit.cite(SourceRequest(keys=[_a_source(model)]))
            update_node(edit, key, {"name": f"Renamed {number}"})
            return make_change(model, version, "bench", edit.done(), f"update {key}")

        store.write(model, plan)
    took = time.perf_counter() - started
    store.close(model)
    kind, _, local = actors[0].partition(":")
    return base64.b64encode(f"{kind.title()}:{local}".encode()).decode(), took


def _a_source(model: Any) -> str:
    return str(model.nodes_of(NodeKind.SOURCE)[0].key)


def measure(label: str, dataset: Path, changes: int, reads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="showgraph-bench-history-") as scratch:
        data_dir = Path(scratch) / "data"
        actor, write_seconds = write_changes(data_dir, dataset, changes)
        settings = Settings().with_overrides(data_dir=str(data_dir))  # as served by default
        from starlette.testclient import TestClient

        with TestClient(create_app(settings)) as client:
            version = client.post("/graphql", json={"query": "{ graphVersion }"}).json()["data"][
                "graphVersion"
            ]
            now = _times(client, NOW, [{"id": actor}] * reads)
            versions = [version - changes + i * (changes // max(reads, 1)) for i in range(reads)]
            past = _times(client, QUERY, [{"v": v, "id": actor} for v in versions])
    median_past, median_now = statistics.median(past), statistics.median(now)
    return {
        "graph": label,
        "changes": changes,
        "write_seconds": round(write_seconds, 2),
        "versions_read": versions,
        "as_of_ms": {"median": round(median_past, 1), "max": round(max(past), 1)},
        "now_ms": {"median": round(median_now, 2), "max": round(max(now), 2)},
        "ratio_median": round(median_past / median_now, 1),
        "target_ms": TARGETS_MS[label],
        "met": max(past) <= TARGETS_MS[label],
    }


def _times(client: Any, query: str, variables: list[dict[str, Any]]) -> list[float]:
    """Milliseconds of each request, checking each answered without errors."""
    times = []
    for values in variables:
        started = time.perf_counter()
        # Computed now, not from the response cache (the baseline repeats its request).
        body = client.post(
            "/graphql",
            json={"query": query, "variables": values},
            headers={"Cache-Control": "no-cache"},
        ).json()
        times.append((time.perf_counter() - started) * 1000)
        assert "errors" not in body, body["errors"]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "history.json")
    options = parser.parse_args()
    results = [measure("built-in", BUILTIN_DATASET, options.changes, options.reads)]
    with tempfile.TemporaryDirectory(prefix="showgraph-bench-graph-") as scratch:
        dataset = write_dataset(generate_nodes(options.nodes, seed=0), Path(scratch) / "g.json")
        generated = measure("generated", dataset, options.changes, options.reads)
        generated["nodes"] = options.nodes
        results.append(generated)
    report = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "results": results}
    for result in results:
        print(
            f"{result['graph']:>9}: asOf {result['changes']} changes back "
            f"median {result['as_of_ms']['median']} ms, max {result['as_of_ms']['max']} ms "
            f"(target {result['target_ms']:.0f} ms, {'met' if result['met'] else 'NOT met'}); "
            f"the same read now {result['now_ms']['median']} ms; ratio {result['ratio_median']}x"
        )
    options.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
