"""Arguments converted by the plans' converters exactly as Strawberry converts them."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_argument_values,
    parse,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from server.app import served_schema
from server.arguments import Converter
from server.settings import Settings
from tests.server.test_properties import SCALARS

SCHEMA = served_schema(Settings())
CONVERTER = Converter(SCHEMA.schema_converter.scalar_registry, SCHEMA.config)


def conversions(query: str) -> list[tuple[Any, Any]]:
    """For every field with arguments in ``query``: (Strawberry's conversion, ours)."""
    info = TypeInfo(SCHEMA._schema)
    found: list[tuple[Any, Any]] = []

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent, field = info.get_parent_type(), info.get_field_def()
            if not isinstance(parent, GraphQLObjectType) or field is None or not node.arguments:
                return
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField):
                return
            try:
                coerced = get_argument_values(field, node)
            except GraphQLError:
                return  # refused before any conversion runs: nothing to compare
            registry, config = SCHEMA.schema_converter.scalar_registry, SCHEMA.config
            theirs = convert_arguments(dict(coerced), definition.arguments, registry, config)
            ours = CONVERTER.arguments(definition.arguments)(dict(coerced))
            found.append((theirs, ours))

    visit(parse(query), TypeInfoVisitor(info, Fields()))
    return found


def test_nested_inputs_lists_enums_and_nulls() -> None:
    query = (
        '{ actors(where: {name: {in: ["Kit Connor", "Joe Locke"]}, '
        'AND: [{name: {contains: "o"}}, {NOT: {name: {eq: "x"}}}]}, '
        "orderBy: NAME_DESC, first: 3) { totalCount } "
        "characters(where: {show: {name: {eq: null}}}) { totalCount } }"
    )
    pairs = conversions(query)
    assert len(pairs) == 2
    for theirs, ours in pairs:
        assert ours == theirs
        assert repr(ours) == repr(theirs)  # the same classes, not only equal values


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(query=queries(SCHEMA._schema, custom_scalars=SCALARS))
def test_generated_arguments_convert_the_same(query: str) -> None:
    for theirs, ours in conversions(query):
        assert repr(ours) == repr(theirs), query
