"""The GraphQL schema: Strawberry types over the graph model, one module per group."""

from schema.build import build_schema

__all__ = ["build_schema"]
