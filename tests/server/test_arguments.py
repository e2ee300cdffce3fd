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


# --- arguments holding variables: coerced from the variables as graphql-core coerces them ---

VARIABLE_CASES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        'query($n: String!) { actors(where: {name: {in: [$n, "Kit Connor"]}}) { totalCount } }',
        [{"n": "Nobody"}, {"n": "Kit Connor"}],
    ),
    (
        'query($n: String) { actors(where: {name: {in: [$n, "x"]}}) { totalCount } }',
        [{"n": "a"}, {"n": None}, {}],  # null or missing in a list of String!: invalid
    ),
    (
        "query($s: String, $t: String) { actors(where: {OR: [{name: {eq: $s}}, "
        "{name: {contains: $t}}], NOT: {name: {eq: $t}}}) { totalCount } }",
        [{"s": "a", "t": "b"}, {"s": "a"}, {}, {"s": None, "t": None}],
    ),
    (
        'query($w: ActorWhere) { actors(where: {AND: [$w, {name: {contains: "o"}}]}) '
        "{ totalCount } }",
        [{"w": {"name": {"eq": "Kit Connor"}}}, {"w": None}, {}],  # ActorWhere! items
    ),
    (
        "query($s: String) { actors(where: {AND: {name: {eq: $s}}}) { totalCount } }",
        [{"s": "Joe Locke"}, {"s": None}, {}],  # an object where a list goes: a list of one
    ),
    (
        "query($f: Int, $o: ActorOrder, $a: String) { actors(first: $f, orderBy: $o, "
        "after: $a) { totalCount } }",
        [{"f": 2, "o": "NAME_DESC", "a": "x"}, {"f": None}, {}],
    ),
    (
        "query($id: ID!) { node(id: $id) { id } }",
        [{"id": "QWN0b3I6a2l0LWNvbm5vcg=="}],
    ),
    (
        "query($ids: [ID!]!, $extra: ID!) { nodes(ids: $ids) { id } more: nodes(ids: [$extra, "
        '"QWN0b3I6a2l0LWNvbm5vcg=="]) { id } }',
        [{"ids": ["a", "b"], "extra": "c"}, {"ids": "a", "extra": "d"}],
    ),
    (
        "query($n: Int, $c: String) { shows(where: {episodeCount: {gte: $n}, "
        "characters: {name: {contains: $c}}}) { totalCount } }",
        [{"n": 3, "c": "a"}, {"n": None}, {}],
    ),
]


def coercions(query: str, variables: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """For every field with arguments: (its name, graphql-core's coercion, ours).

    Each coercion is the coerced dict or the name of the exception it raised;
    ours is None where ``argument_coercer`` leaves the field to graphql-core.
    """
    from server.arguments import Unmodelled, argument_coercer
    from server.pipeline.variables import coerce_variables

    document = parse(query)
    operation = document.definitions[0]
    coerced = coerce_variables(SCHEMA._schema, operation, variables, hide_suggestions=False)  # type: ignore[arg-type]
    info = TypeInfo(SCHEMA._schema)
    found: list[tuple[str, Any, Any]] = []

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            field = info.get_field_def()
            if field is None or not field.args:
                return
            try:
                theirs: Any = get_argument_values(field, node, coerced)
            except GraphQLError:
                theirs = "GraphQLError"
            coerce = argument_coercer(field, node)
            ours: Any = None
            if coerce is not None:
                try:
                    ours = coerce(coerced.coerced)
                except Unmodelled:
                    ours = "Unmodelled"
            found.append((node.name.value, theirs, ours))

    visit(document, TypeInfoVisitor(info, Fields()))
    return found


def test_arguments_with_variables_coerce_as_graphql_core_coerces_them() -> None:
    """The same values; where graphql-core finds an argument invalid, ours steps aside
    (the plan then lets the ordinary executor report the error)."""
    invalid = 0
    for query, variable_sets in VARIABLE_CASES:
        for variables in variable_sets:
            for name, theirs, ours in coercions(query, variables):
                assert ours is not None, (query, name)  # every case here is modelled
                if theirs == "GraphQLError":
                    invalid += 1
                    assert ours == "Unmodelled", (query, variables, name)
                    continue
                assert repr(ours) == repr(theirs), (query, variables, name)
    assert invalid == 4  # null or missing where the list items are non-null


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(query=queries(SCHEMA._schema, custom_scalars=SCALARS))
def test_generated_literal_arguments_coerce_as_graphql_core_coerces_them(query: str) -> None:
    for name, theirs, ours in coercions(query, {}):
        if ours is None:  # left to graphql-core
            continue
        if theirs == "GraphQLError":
            assert ours == "Unmodelled" or ours is None, (query, name)
            continue
        assert repr(ours) == repr(theirs), (query, name)
