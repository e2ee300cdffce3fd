"""The knowledge graph: dataset files, their validation, and the typed graph model."""

from pathlib import Path

from graph_data.loader import BUILTIN_DATASET, DatasetError, Problem, check_dataset, load_dataset
from graph_data.model import GraphNode, ShowGraph, node_key


def load_graph(path: str | Path = BUILTIN_DATASET) -> ShowGraph:
    """Read, validate and build the graph of a dataset file (the built-in one by default)."""
    return ShowGraph.from_dataset(load_dataset(path))


__all__ = [
    "BUILTIN_DATASET",
    "DatasetError",
    "GraphNode",
    "Problem",
    "ShowGraph",
    "check_dataset",
    "load_dataset",
    "load_graph",
    "node_key",
]
