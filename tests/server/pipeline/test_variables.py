"""The coerce stage: ``PlainVariables`` against graphql-core's own coercion.

A shortcut is trusted because it is compared with the reference: on generated
variable definitions and inputs, whenever ``PlainVariables`` answers, its
answer is exactly graphql-core's (the coerced values and their sources, in
order); when graphql-core refuses, it never answers.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, is_equal_type, parse
from graphql.execution.values import get_variable_values
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from server.app import served_schema
from server.pipeline.variables import PlainVariables, VariablesError, coerce_variables
from server.settings import Settings
from tests.profiles import profile

SCHEMA = served_schema(Settings())._schema
PROFILE = profile("variables", 300, 3000, [HealthCheck.too_slow])

PLAIN = ["String", "String!", "ID", "ID!", "Boolean", "Boolean!", "Int", "Int!"]
TYPES = [
    *PLAIN,
    "Float",
    "[String]",
    "[String!]!",
    "NameFilter",
    'String = "x"',
    "Int = 3",
]
# Each branch is drawn as often: values of the plain types, the near misses graphql-core
# coerces or refuses (a bool for an Int, a number for an ID, 32-bit edges, 3.0), others.
VALUES = st.one_of(
    st.just("absent"),
    st.none(),
    st.text(max_size=5),
    st.booleans(),
    st.integers(min_value=-(2**33), max_value=2**33),
    st.sampled_from([0, 7, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 3.0, 2.5, float("nan")]),
    st.lists(st.text(max_size=3), max_size=2),
    st.fixed_dictionaries({}, optional={"eq": st.text(max_size=3), "in": st.just(["a"])}),
)


def operation_of(types: list[str]) -> OperationDefinitionNode:
    definitions = ", ".join(f"$v{i}: {t}" for i, t in enumerate(types))
    node = parse(f"query Q({definitions}) {{ graphVersion }}").definitions[0]
    assert isinstance(node, OperationDefinitionNode)
    return node


def reference(operation: OperationDefinitionNode, inputs: dict[str, Any] | None) -> Any:
    return get_variable_values(SCHEMA, operation.variable_definitions or (), dict(inputs or {}))


def same(found: Any, expected: Any) -> None:
    """Equal, and in the same order (graphql-core's is the definitions' order). Types are
    compared as types: graphql-core wraps a ``T!`` anew each time it reads one."""
    assert list(found.coerced.items()) == list(expected.coerced.items())
    assert list(found.sources) == list(expected.sources)
    for name, source in found.sources.items():
        other = expected.sources[name]
        assert source.value == other.value or source.value is other.value
        assert type(source.value) is type(other.value)
        mine, theirs = source.signature, other.signature
        assert (mine.name, mine.default, mine.default_value) == (
            theirs.name,
            theirs.default,
            theirs.default_value,
        )
        assert is_equal_type(mine.type, theirs.type)


@PROFILE
@given(
    # Mostly plain, so that most examples take the shortcut or nearly do.
    types=st.lists(
        st.one_of(st.sampled_from(PLAIN), st.sampled_from(PLAIN), st.sampled_from(TYPES)),
        min_size=1,
        max_size=4,
    ),
    values=st.lists(VALUES, min_size=4, max_size=4),
    inputs_given=st.booleans(),
)
def test_plain_variables_answer_what_graphql_core_answers(
    types: list[str], values: list[Any], inputs_given: bool
) -> None:
    operation = operation_of(types)
    inputs = {f"v{i}": value for i, value in enumerate(values) if value != "absent"}
    given_inputs = inputs if inputs_given else None
    expected = reference(operation, given_inputs)
    plain = PlainVariables.of(SCHEMA, operation)
    plainly = all(t.rstrip("!") in ("String", "ID", "Boolean", "Int") for t in types)
    assert (plain is not None) == plainly
    if plain is None:
        return
    found = plain.coerce(given_inputs)
    if found is None:
        return  # graphql-core's to coerce or refuse
    assert not isinstance(expected, list), expected  # never an answer where it refuses
    same(found, expected)


@pytest.mark.parametrize(
    ("types", "inputs"),
    [
        (["String!"], {"v0": "Nick"}),
        (["String", "Int"], {"v1": 2**31 - 1}),  # one absent: in the sources, not coerced
        (["ID!", "Boolean"], {"v0": "QWN0b3I6MQ==", "v1": None}),
        (["Int!"], {"v0": -(2**31)}),
        ([], None),
    ],
)
def test_the_common_variables_take_the_shortcut(
    types: list[str], inputs: dict[str, Any] | None
) -> None:
    operation = operation_of(types) if types else parse("{ graphVersion }").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    plain = PlainVariables.of(SCHEMA, operation)
    assert plain is not None
    found = plain.coerce(inputs)
    assert found is not None
    same(found, reference(operation, inputs))


@pytest.mark.parametrize(
    ("types", "inputs"),
    [
        (["String!"], {}),  # missing
        (["String!"], {"v0": None}),
        (["String"], {"v0": 3}),
        (["ID"], {"v0": 7}),  # graphql-core makes it "7"
        (["Int"], {"v0": 2**31}),
        (["Int"], {"v0": True}),
        (["Int"], {"v0": 3.0}),
        (["Boolean!"], {"v0": "true"}),
    ],
)
def test_anything_else_goes_to_graphql_core_which_words_the_refusal(
    types: list[str], inputs: dict[str, Any]
) -> None:
    operation = operation_of(types)
    plain = PlainVariables.of(SCHEMA, operation)
    assert plain is not None
    assert plain.coerce(inputs) is None
    expected = reference(operation, inputs)
    if not isinstance(expected, list):
        same(coerce_variables(SCHEMA, operation, inputs, False, plain=plain), expected)
        return
    with pytest.raises(VariablesError) as refused:
        coerce_variables(SCHEMA, operation, inputs, hide_suggestions=False, plain=plain)
    assert [e.message for e in refused.value.errors] == [e.message for e in expected]
