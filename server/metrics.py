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

import itertools
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
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

# (operation, status) pairs whose series are remembered, so that observing skips the
# label lookup; pairs past this many are still counted, only looked up each time.
MAX_SERIES = 1000
# Seconds; from a cache hit (well under a millisecond) to the 10 s execution timeout.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BOUNDS = [repr(float(bound)) for bound in LATENCY_BUCKETS] + ["+Inf"]  # the le labels


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
        self.requests = RequestCollector()
        self.registry.register(self.requests)
        self.errors = Counter(
            "showgraph_graphql_errors",
            "GraphQL errors in answers, by kind (extensions.code; UNCODED when none).",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(ServerCollector(graph, cache))

    def observe(
        self, operation: str | None, status: int, duration: float, error_codes: Sequence[object]
    ) -> None:
        """Count one answered request; ``error_codes`` has one entry per error in it."""
        self.requests.observe(operation, status, duration)
        for code in error_codes:
            self.errors.labels(error_kind(code)).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    async def endpoint(self, request: Request) -> Response:
        """``GET /metrics``; rendered in a thread, as the graph collector may wait for a write."""
        body = await run_in_threadpool(self.exposition)
        return Response(body, media_type=CONTENT_TYPE)


class _Series:
    """One (operation, status) pair: requests answered, and their latency histogram."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0  # seconds
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # per bound, then above them all


class RequestCollector(Collector):
    """Requests by operation and status, with their latency, in plain counters.

    Every answer is counted, so counting must cost next to nothing: a
    prometheus_client Counter and Histogram took about 3 µs a request between
    them (a lock per value, a loop over the buckets), these about 0.5 µs. The
    families are built when Prometheus scrapes.
    """

    def __init__(self) -> None:
        self._series: dict[tuple[str, str], _Series] = {}  # by label values
        self._seen: dict[tuple[str | None, int], _Series] = {}  # by what observe is given
        self._lock = threading.Lock()

    def observe(self, operation: str | None, status: int, duration: float) -> None:
        series = self._seen.get((operation, status))
        if series is None:  # working out the labels costs more than counting: once per pair
            labels = (operation_label(operation), str(status))
            series = self._series.get(labels) or self._series.setdefault(labels, _Series())
            if len(self._seen) < MAX_SERIES:
                self._seen[(operation, status)] = series
        with self._lock:
            series.count += 1
            series.total += duration
            series.buckets[bisect_left(LATENCY_BUCKETS, duration)] += 1

    def describe(self) -> Iterable[Metric]:
        return list(self._families({}))

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            series = {
                labels: (s.count, s.total, list(s.buckets)) for labels, s in self._series.items()
            }
        return list(self._families(series))

    @staticmethod
    def _families(
        series: dict[tuple[str, str], tuple[int, float, list[int]]],
    ) -> Iterator[Metric]:
        labels = ["operation", "status"]
        requests = CounterMetricFamily(
            "showgraph_graphql_requests",
            "GraphQL requests over HTTP, by operation name and response status.",
            labels=labels,
        )
        latency = HistogramMetricFamily(
            "showgraph_graphql_request_duration_seconds",
            "Time to answer a GraphQL request over HTTP, by operation name and status.",
            labels=labels,
        )
        for values, (count, total, buckets) in series.items():
            requests.add_metric(list(values), count)
            cumulative = list(itertools.accumulate(buckets))
            latency.add_metric(list(values), list(zip(_BOUNDS, cumulative, strict=True)), total)
        yield requests
        yield latency


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
