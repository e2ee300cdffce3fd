"""Assembling the schema once per process, with its caches, validation and error policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import DisableIntrospection, ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext

# Every node type must be imported so that it registers itself (see schema.relay).
from schema import actors, characters, events, seasons, shows, sources  # noqa: F401
from schema.mutations import build_mutation
from schema.query import Query
from schema.scalars import SCALARS
from schema.subscriptions import Subscription

SDL_PATH = Path(__file__).with_name("schema.graphql")

# Distinct documents whose parse and validation are remembered; bounded so that
# unique queries cannot grow memory.
CACHE_SIZE = 1024

# What Strawberry validates on top of graphql-core's rules (as its own
# validate_document does).
STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)

Rules = tuple[type[ASTValidationRule], ...]
ExtensionFactory = Callable[[], SchemaExtension]


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


class CachedValidation(SchemaExtension):
    """Validation through a function cached once per schema (see ``build_schema``).

    Takes the place of Strawberry's ValidationCache, which cannot run rules in
    two phases nor hide suggestions.
    """

    def __init__(
        self, validate_document: Callable[[GraphQLSchema, DocumentNode, Rules], list[GraphQLError]]
    ) -> None:
        self.validate_document = validate_document

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # validation follows parsing
        context.pre_execution_errors = self.validate_document(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    """The served schema; without ``introspection``, ``__schema``/``__type`` are refused.

    Requests are parsed, validated and executed by ``server.pipeline``; the
    Strawberry pipeline of this schema (``execute_sync``) serves the tests and
    the command line, with bounded parse and validation caches of its own.
    """
    pipeline: list[ExtensionFactory] = []
    if not introspection:
        pipeline.append(DisableIntrospection)
    pipeline += [
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: CachedValidation(_validate_document),
    ]
    return ShowgraphSchema(
        query=Query,
        mutation=build_mutation(),
        subscription=Subscription,
        types=[events.Event, shows.Work, shows.Creator],
        extensions=pipeline,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )


@lru_cache(maxsize=CACHE_SIZE)
def _validate_document(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules
) -> list[GraphQLError]:
    return validate(schema, document, (*rules, *STRAWBERRY_RULES))


def export_sdl(schema: strawberry.Schema) -> str:
    """The schema as SDL, the way it is checked in at schema/schema.graphql."""
    return schema.as_str().rstrip() + "\n"
