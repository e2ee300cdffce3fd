"""The knowledge graph: dataset files, their validation, and the typed graph model."""

from graph_data.loader import (
    BUILTIN_DATASET,
    BUILTIN_DATASETS,
    DatasetError,
    DatasetPaths,
    Problem,
    check_dataset,
    collector_paused,
    load_dataset,
)
from graph_data.model import GraphNode, ShowGraph, node_key


def load_graph(paths: DatasetPaths = BUILTIN_DATASETS) -> ShowGraph:
    """Read, validate and build the graph of dataset files (the built-in dataset by default)."""
    with collector_paused():  # until the graph is frozen: see collector_paused
        return ShowGraph.from_dataset(load_dataset(paths))


__all__ = [
    "BUILTIN_DATASET",
    "BUILTIN_DATASETS",
    "DatasetError",
    "DatasetPaths",
    "GraphNode",
    "Problem",
    "ShowGraph",
    "check_dataset",
    "load_dataset",
    "load_graph",
    "node_key",
]
