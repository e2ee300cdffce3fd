"""The parse stage alone: ``server.pipeline.fastparse`` against graphql-core's ``parse``.

``python bench/parse.py`` parses each document many times with both parsers
in this process, in alternating rounds, and prints the CPU time per parse
(``time.process_time``, the best round of each) and graphql-core's time over
the fast parser's. graphql-core is called as ``parse_document`` calls it, with
the default settings' token and length limits. Documents:

| case | what |
|---|---|
| new document | ``run.py``'s case (g): the small query under a new alias each parse |
| variables | ``run.py``'s case (f) document, with two real actors' names |
| GraphiQL | the default query of the GraphiQL page (``server.graphql_http``), comment included |

Before timing, each case's trees are checked equal (``==`` and ``print_ast``),
so the figures are for the same work.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import use_project_venv

use_project_venv(__file__)

from graphql import Source, parse, print_ast  # noqa: E402

from bench.deep import NEW_DOCUMENT_QUERY, VARIABLES_QUERY, VARY  # noqa: E402
from server.graphql_http import DEFAULT_QUERY  # noqa: E402
from server.pipeline.fastparse import parse_fast  # noqa: E402
from server.settings import Settings  # noqa: E402

TARGET = 3.0  # graphql-core's time over the fast parser's, at least
SETTINGS = Settings()


def cases(count: int) -> dict[str, list[str]]:
    """The texts each case parses, ``count`` of them (new ones for the new-document case)."""
    variables = VARIABLES_QUERY.replace("NAMES", '"Ada Bianchi", "Ada Garcia"')
    return {
        "new document": [NEW_DOCUMENT_QUERY.replace(VARY, str(n)) for n in range(count)],
        "variables": [variables] * count,
        "GraphiQL": [DEFAULT_QUERY] * count,
    }


def fast(text: str) -> object:
    return parse_fast(text, SETTINGS.max_tokens)


def core(text: str) -> object:
    return parse(
        Source(text), max_tokens=SETTINGS.max_tokens, max_source_length=SETTINGS.max_body_bytes
    )


def per_parse(parser: Callable[[str], object], texts: list[str]) -> float:
    """CPU µs per parse of ``texts``, once each."""
    started = time.process_time()
    for text in texts:
        parser(text)
    return (time.process_time() - started) / len(texts) * 1e6


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--count", type=int, default=5000, help="parses per round")
    options.add_argument("--rounds", type=int, default=5)
    arguments = options.parse_args()
    failed = False
    print(f"{'case':<14}{'fast µs':>10}{'graphql-core µs':>17}{'ratio':>8}  target ≥ {TARGET}")
    for name, texts in cases(arguments.count).items():
        ours, theirs = fast(texts[0]), core(texts[0])
        assert ours is not None, f"{name}: the fast parser left it to graphql-core"
        assert ours == theirs, name
        assert print_ast(ours) == print_ast(theirs), name  # type: ignore[arg-type]
        best_fast = best_core = float("inf")
        for _ in range(arguments.rounds):
            best_fast = min(best_fast, per_parse(fast, texts))
            best_core = min(best_core, per_parse(core, texts))
        ratio = best_core / best_fast
        failed |= ratio < TARGET
        print(f"{name:<14}{best_fast:>10.1f}{best_core:>17.1f}{ratio:>8.1f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
