"""Assembling the schema once per process, with its caches and error policy."""

from __future__ import annotations

from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

# Every node type must be imported so that it registers itself (see schema.relay).
from schema import actors, characters, events, seasons, shows, sources  # noqa: F401
from schema.query import Query
from schema.scalars import SCALARS

SDL_PATH = Path(__file__).with_name("schema.graphql")


class ShowgraphSchema(strawberry.Schema):
    """Strawberry's schema, minus its error logging.

    Strawberry logs every error with a stack trace, user mistakes included.
    The HTTP layer (``server.errors``) logs the unexpected ones once, under the
    id it sends to the client, and nothing else.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema() -> strawberry.Schema:
    """The served schema. Caches are bounded so unique queries cannot grow memory."""
    return ShowgraphSchema(
        query=Query,
        types=[events.Event, shows.Work, shows.Creator],
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )


def export_sdl(schema: strawberry.Schema) -> str:
    """The schema as SDL, the way it is checked in at schema/schema.graphql."""
    return schema.as_str().rstrip() + "\n"
