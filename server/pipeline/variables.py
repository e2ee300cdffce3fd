"""The coerce stage: the request's variables turned into the values the operation runs with.

Every later stage (the limits, the cost, execution) reads the coerced values,
so ``{"f": 100.0}`` counts as the 100 it runs as, and a value that does not
coerce is refused with graphql-core's own error before any limit looks at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode
from graphql.execution.values import VariableValues, get_variable_values


def coerce_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    hide_suggestions: bool,
) -> VariableValues:
    """The coerced variables (defaults applied); ``VariablesError`` listing every bad one."""
    found = get_variable_values(
        schema,
        operation.variable_definitions or (),
        dict(variables or {}),
        max_errors=50,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(found, list):
        raise VariablesError(found)
    return found


class VariablesError(Exception):
    """Variables that do not coerce; ``errors`` are graphql-core's, one per problem."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message if errors else "bad variables")
        self.errors = errors
