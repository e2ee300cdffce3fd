"""The examples in docs/ are real: the complete dataset validates and loads, the
validator prints what docs/dataset-format.md says it prints, and the queries of
docs/api.md are valid and answer as shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate
from starlette.testclient import TestClient

from graph_data import load_graph
from schema.build import SDL_PATH

DOCS = Path(__file__).resolve().parents[2] / "docs"
SHOWGRAPH = Path(sys.executable).with_name("showgraph")


def fenced_blocks(text: str, language: str) -> list[str]:
    """The contents of the fenced code blocks whose info string is ``language``."""
    blocks: list[str] = []
    current: list[str] | None = None
    info = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                if info == language:
                    blocks.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.fixture(scope="module")
def dataset_doc() -> str:
    return (DOCS / "dataset-format.md").read_text(encoding="utf-8")


@pytest.fixture
def complete_example(dataset_doc: str, tmp_path: Path) -> Path:
    (example,) = fenced_blocks(dataset_doc, "yaml")
    path = tmp_path / "harbour-lights.yaml"
    path.write_text(example, encoding="utf-8")
    return path


def test_complete_example_validates_and_loads(complete_example: Path) -> None:
    result = subprocess.run(
        [str(SHOWGRAPH), "validate", str(complete_example)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"{complete_example}: ok\n"), result.stderr

    graph = load_graph(complete_example)
    # Every section made something: one show, its season, episodes, scenes and people.
    kinds = sorted(node.kind.value for node in map(graph.require, graph.graph.nodes))
    assert set(kinds) == {
        "ACTOR",
        "CHARACTER",
        "CREATOR",
        "EPISODE",
        "EVENT",
        "SCENE",
        "SEASON",
        "SHOW",
        "SOURCE",
        "WORK",
    }


def test_validator_output_is_as_documented(
    dataset_doc: str, complete_example: Path, tmp_path: Path
) -> None:
    # The two mistakes the documented output reports: a misspelt show, a wrong role.
    broken = complete_example.read_text(encoding="utf-8")
    broken = broken.replace(
        "show: harbour-lights, name: Tom Quay", "show: harbor-lights, name: Tom Quay"
    )
    broken = broken.replace("role: RECURRING", "role: REGULAR")
    (tmp_path / "broken.yaml").write_text(broken, encoding="utf-8")

    result = subprocess.run(
        [str(SHOWGRAPH), "validate", "broken.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )

    documented = next(b for b in fenced_blocks(dataset_doc, "") if "problem(s)" in b)
    assert result.returncode == 1
    assert result.stdout == documented


@pytest.fixture(scope="module")
def api_doc() -> str:
    return (DOCS / "api.md").read_text(encoding="utf-8")


def test_every_graphql_example_of_the_api_doc_is_valid(api_doc: str) -> None:
    schema = build_schema(SDL_PATH.read_text(encoding="utf-8"))
    blocks = fenced_blocks(api_doc, "graphql")
    assert len(blocks) >= 6
    for block in blocks:
        assert validate(schema, parse(block)) == [], block


def test_the_api_docs_queries_run_and_answer_as_shown(api_doc: str, client: TestClient) -> None:
    queries = [
        b
        for b in fenced_blocks(api_doc, "graphql")
        if not b.lstrip().startswith(("mutation", "subscription"))
    ]
    for query in queries:
        body = client.post("/graphql", json={"query": query}).json()
        assert "errors" not in body, (query, body)
    # The search example shows its real answer.
    (search,) = [q for q in queries if "search(" in q]
    (shown,) = [json.loads(b) for b in fenced_blocks(api_doc, "json") if '"search"' in b]
    assert client.post("/graphql", json={"query": search}).json() == shown
