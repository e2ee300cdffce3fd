"""The coerce stage: the request's variables turned into the values the operation runs with.

Every later stage (the limits, the cost, execution) reads the coerced values,
so ``{"f": 100.0}`` counts as the 100 it runs as, and a value that does not
coerce is refused with graphql-core's own error before any limit looks at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    Undefined,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource, get_variable_values
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT

# The scalars a plain variable may have, and the one Python type whose values each
# takes as they are (graphql-core coerces others, like an ID given as a number).
_EXACT: dict[Any, Any] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
}


class PlainVariables:
    """Coerces the variables of one operation whose variables are all plain scalars.

    graphql-core's coercion took about 5.4 µs for one ``String!`` (``get_variable_values``,
    in a loop), a twentieth of a request that runs from a plan with new variables
    (case (f) of ``bench/inprocess.py``); for variables of type ``String``,
    ``ID``, ``Boolean`` or ``Int``, nullable or not, without defaults, given
    values of exactly their Python type (an ``int`` within 32 bits), or null
    where allowed, or absent where nullable, this makes what graphql-core
    makes, in well under a microsecond. Anything else (``coerce`` answers
    None) is graphql-core's to coerce or refuse. Held to graphql-core's result
    by ``tests/server/pipeline/test_variables.py``.
    """

    __slots__ = ("definitions",)

    def __init__(self, definitions: list[tuple[str, Any, Any, bool]]) -> None:
        self.definitions = definitions  # (name, graphql-core's signature, exact type, nullable)

    @classmethod
    def of(cls, schema: GraphQLSchema, operation: OperationDefinitionNode) -> PlainVariables | None:
        """The coercer of ``operation``'s variables; None when they are not all plain."""
        definitions = []
        for node in operation.variable_definitions or ():
            signature = get_variable_signature(schema, node)
            if isinstance(signature, GraphQLError) or signature.default is not None:
                return None
            type_ = signature.type
            nullable = not isinstance(type_, GraphQLNonNull)
            exact = _EXACT.get(type_.of_type if isinstance(type_, GraphQLNonNull) else type_)
            if exact is None:
                return None
            definitions.append((signature.name, signature, exact, nullable))
        if len({name for name, *_ in definitions}) != len(definitions):
            return None  # refused by validation; never coerced here
        return cls(definitions)

    def coerce(self, inputs: Mapping[str, Any] | None) -> VariableValues | None:
        """What graphql-core's coercion gives, or None when it must be asked."""
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        for name, signature, exact, nullable in self.definitions:
            value: Any = Undefined if inputs is None else inputs.get(name, Undefined)
            if value is Undefined:
                if not nullable:
                    return None
                sources[name] = VariableValueSource(signature)  # absent: not coerced
                continue
            if value is None:
                if not nullable:
                    return None
            elif type(value) is not exact or (
                exact is int and not GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT
            ):
                return None
            sources[name] = VariableValueSource(signature, value)
            coerced[name] = value
        return VariableValues(sources, coerced)


def coerce_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    hide_suggestions: bool,
    plain: PlainVariables | None = None,
) -> VariableValues:
    """The coerced variables (defaults applied); ``VariablesError`` listing every bad one.

    ``plain`` is the operation's ``PlainVariables``, if it has one.
    """
    if plain is not None:
        quick = plain.coerce(variables)
        if quick is not None:
            return quick
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
