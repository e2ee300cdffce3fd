"""``/metrics``: Prometheus counters move with the requests, gauges read the graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from server.app import create_app
from server.metrics import (
    ANONYMOUS,
    NO_CODE,
    OTHER,
    RequestCollector,
    error_kind,
    operation_label,
)
from server.settings import Settings

TOKEN = "alice-token-0123456789"
ACTORS = "query Actors { actors(first: 3) { totalCount } }"
CREATE = (
    'mutation Create { createActor(input: {fields: {name: "Jenny Walser"}, '
    'newSource: {title: "Cast list"}}) { graphVersion } }'
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An app of its own, so the counters start at zero and writes touch no other test."""
    settings = Settings(data_dir=str(tmp_path / "data"), tokens=f"alice={TOKEN}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of ``/metrics``, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_latency_and_cache_by_operation(client: TestClient) -> None:
    for _ in range(3):
        assert client.post("/graphql", json={"query": ACTORS}).status_code == 200
    client.get("/graphql", params={"query": "{ graphVersion }"})
    samples = scrape(client)
    ops = "showgraph_graphql_requests_total"
    # The name comes from the document when the request does not repeat it.
    assert value(samples, ops, operation="Actors", status="200") == 3
    assert value(samples, ops, operation=ANONYMOUS, status="200") == 1
    histogram = "showgraph_graphql_request_duration_seconds_count"
    assert value(samples, histogram, operation="Actors", status="200") == 3
    # A document seen once (the first Actors, the graphVersion) leaves no answer behind;
    # the second Actors misses and is kept, the third is answered from the cache.
    assert value(samples, "showgraph_response_cache_hits_total") == 1
    assert value(samples, "showgraph_response_cache_misses_total") == 1
    assert value(samples, "showgraph_response_cache_entries") == 1


def test_errors_are_counted_by_kind(client: TestClient) -> None:
    too_big = client.post("/graphql", json={"query": "{ actors(first: 1000) { totalCount } }"})
    assert too_big.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert client.post("/graphql", json={"query": CREATE}).status_code == 401
    client.post("/graphql", json={"query": "{ noSuchField }"})
    samples = scrape(client)
    errors = "showgraph_graphql_errors_total"
    assert value(samples, errors, kind="BAD_USER_INPUT") == 1
    assert value(samples, errors, kind="UNAUTHENTICATED") == 1
    assert value(samples, errors, kind=NO_CODE) == 1
    assert value(samples, "showgraph_graphql_requests_total", operation="Create", status="401") == 1


def test_graph_gauges_follow_the_graph(client: TestClient) -> None:
    graph = client.app.state.graph  # type: ignore[attr-defined]
    samples = scrape(client)
    assert value(samples, "showgraph_graph_nodes") == graph.graph.number_of_nodes()
    assert value(samples, "showgraph_graph_edges") == graph.graph.number_of_edges()
    assert value(samples, "showgraph_graph_version") == 0
    written = client.post(
        "/graphql", json={"query": CREATE}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert written.json()["data"]["createActor"]["graphVersion"] == 1
    samples = scrape(client)
    assert value(samples, "showgraph_graph_version") == 1
    assert value(samples, "showgraph_graph_nodes") == graph.graph.number_of_nodes()


def test_each_app_has_a_registry_of_its_own(client: TestClient) -> None:
    client.post("/graphql", json={"query": ACTORS})
    with TestClient(create_app(Settings())) as other:
        samples = scrape(other)
    assert value(samples, "showgraph_graphql_requests_total", operation="Actors", status="200") == 0


def test_label_values_are_bounded() -> None:
    assert operation_label(None) == ANONYMOUS
    assert operation_label("") == ANONYMOUS
    assert operation_label("Actors_2") == "Actors_2"
    assert operation_label("x" * 64) == "x" * 64
    assert operation_label("x" * 65) == OTHER
    assert operation_label("2fast") == OTHER
    assert operation_label("drop table; --") == OTHER
    assert error_kind(None) == NO_CODE
    assert error_kind("LIMIT_EXCEEDED") == "LIMIT_EXCEEDED"
    assert error_kind("something odd") == OTHER
    assert error_kind(42) == OTHER


def test_odd_operation_names_count_as_other(client: TestClient) -> None:
    name = "A" * 100
    client.post("/graphql", json={"query": f"query {name} {{ graphVersion }}"})
    samples = scrape(client)
    assert value(samples, "showgraph_graphql_requests_total", operation=OTHER, status="200") == 1
    assert not any(name in key[1].__repr__() for key in samples)


def test_latency_buckets_are_cumulative_and_bounded_above() -> None:
    collector = RequestCollector()
    for seconds in (0.0005, 0.001, 0.003, 100.0):
        collector.observe("Actors", 200, seconds)
    collector.observe(None, 200, 0.002)
    samples = {
        (sample.name, sample.labels.get("le"), sample.labels["operation"]): sample.value
        for family in collector.collect()
        for sample in family.samples
    }
    name = "showgraph_graphql_request_duration_seconds"
    assert samples[(f"{name}_bucket", "0.001", "Actors")] == 2  # le: 0.001 itself counts
    assert samples[(f"{name}_bucket", "0.005", "Actors")] == 3
    assert samples[(f"{name}_bucket", "30.0", "Actors")] == 3
    assert samples[(f"{name}_bucket", "+Inf", "Actors")] == 4
    assert samples[(f"{name}_count", None, "Actors")] == 4
    assert samples[(f"{name}_sum", None, "Actors")] == pytest.approx(100.0045)
    assert samples[("showgraph_graphql_requests_total", None, ANONYMOUS)] == 1
