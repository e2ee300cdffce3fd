"""Prometheus metrics at ``/metrics``: requests, latency, errors, cache and graph size.

Each app gets its own ``CollectorRegistry`` rather than the process-global
one, so that building many apps (the tests do) never registers a metric
twice, and an app's numbers are its own. With ``--workers N`` each worker
process likewise has its own registry: a scrape reaches one worker and sees
that worker's counts (multiprocess mode is not used).

Label values are bounded, since every distinct value is a time series kept
forever: operation names that are not plain GraphQL names of at most 64
characters count as ``other``, and a request without a name as
``anonymous``; error kinds are the ``extensions.code`` of our own errors.

Cache and graph figures are not counted as they change but read when
Prometheus scrapes (``ServerCollector``): the response cache already counts
its hits and misses, and the graph knows its size and version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from graph_data import ShowGraph
from server.caching import ResponseCache

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ANONYMOUS = "anonymous"
OTHER = "other"
NO_CODE = "UNCODED"  # an error without extensions.code: most parse and validation errors
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

# Seconds; from a cache hit (well under a millisecond) to the 10 s execution timeout.
# (operation, status) pairs whose series are remembered, so that observing skips the
# label lookup; pairs past this many are still counted, only looked up each time.
MAX_SERIES = 1000
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def operation_label(name: str | None) -> str:
    """The label for an operation name: itself, ``anonymous`` or ``other``."""
    if not name:
        return ANONYMOUS
    return name if _NAME.fullmatch(name) else OTHER


def error_kind(code: object) -> str:
    """The label for an error's ``extensions.code``; anything odd is ``other``."""
    if code is None:
        return NO_CODE
    return code if isinstance(code, str) and _CODE.fullmatch(code) else OTHER


class Metrics:
    """The metrics of one app, in a registry of its own; ``observe`` each request."""

    def __init__(self, graph: ShowGraph, cache: ResponseCache | None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "showgraph_graphql_requests",
            "GraphQL requests over HTTP, by operation name and response status.",
            ["operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "showgraph_graphql_request_duration_seconds",
            "Time to answer a GraphQL request over HTTP, by operation name and status.",
            ["operation", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "showgraph_graphql_errors",
            "GraphQL errors in answers, by kind (extensions.code; UNCODED when none).",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(ServerCollector(graph, cache))
        self._series: dict[tuple[str | None, int], tuple[Any, Any]] = {}

    def observe(
        self, operation: str | None, status: int, duration: float, error_codes: Sequence[object]
    ) -> None:
        """Count one answered request; ``error_codes`` has one entry per error in it."""
        series = self._series.get((operation, status))
        if series is None:  # looking labels up costs more than counting: once per pair
            labels = (operation_label(operation), str(status))
            series = self.requests.labels(*labels), self.latency.labels(*labels)
            if len(self._series) < MAX_SERIES:
                self._series[(operation, status)] = series
        series[0].inc()
        series[1].observe(duration)
        for code in error_codes:
            self.errors.labels(error_kind(code)).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    async def endpoint(self, request: Request) -> Response:
        """``GET /metrics``; rendered in a thread, as the graph collector may wait for a write."""
        body = await run_in_threadpool(self.exposition)
        return Response(body, media_type=CONTENT_TYPE)


class ServerCollector(Collector):
    """Figures read at scrape time: response-cache hits and misses, graph size and version."""

    def __init__(self, graph: ShowGraph, cache: ResponseCache | None) -> None:
        self.graph = graph
        self.cache = cache

    def describe(self) -> Iterable[Metric]:
        # Only names matter to the registry's duplicate check; values are read in collect().
        return list(self._metrics(0, 0, 0, 0, 0, 0, 0))

    def collect(self) -> Iterable[Metric]:
        # Under the read lock: counting edges walks the adjacency a write may be changing.
        with self.graph.lock.reading():
            nodes = self.graph.graph.number_of_nodes()
            edges = self.graph.graph.number_of_edges()
            version = self.graph.version
        cache = self.cache
        hits, misses, entries, size = (
            (cache.hits, cache.misses, len(cache), cache.size_bytes) if cache else (0, 0, 0, 0)
        )
        return list(self._metrics(nodes, edges, version, hits, misses, entries, size))

    @staticmethod
    def _metrics(
        nodes: int, edges: int, version: int, hits: int, misses: int, entries: int, size: int
    ) -> Iterator[Metric]:
        yield GaugeMetricFamily("showgraph_graph_nodes", "Nodes in the graph.", value=nodes)
        yield GaugeMetricFamily("showgraph_graph_edges", "Edges in the graph.", value=edges)
        yield GaugeMetricFamily(
            "showgraph_graph_version", "Changes applied to the graph (graphVersion).", value=version
        )
        yield CounterMetricFamily(
            "showgraph_response_cache_hits",
            "GraphQL queries answered from the response cache.",
            value=hits,
        )
        yield CounterMetricFamily(
            "showgraph_response_cache_misses",
            "GraphQL queries looked up in the response cache and not found.",
            value=misses,
        )
        yield GaugeMetricFamily(
            "showgraph_response_cache_entries", "Responses held in the cache.", value=entries
        )
        yield GaugeMetricFamily(
            "showgraph_response_cache_bytes", "Bytes of responses held in the cache.", value=size
        )
