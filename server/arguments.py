"""Arguments as resolvers take them, converted by functions built once per argument type.

Strawberry's ``convert_arguments`` turns graphql-core's coerced argument
values into what a resolver takes (input classes, python names) by
inspecting every type again on every call: for a query whose ``where`` input
comes from variables, half of a request's time (about 200 of 430 µs, issue
17). A compiled plan knows each field's argument types in advance, so
``Converter`` works the inspection out once and keeps, per type, a small
function doing only the conversion. Anything unusual (``Maybe``, global ids,
inputs that build themselves) goes to Strawberry's own ``convert_argument``,
and the tests compare both on every input type of the schema.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING
from typing import Any

from graphql import (
    FieldNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    ListValueNode,
    ObjectValueNode,
    Undefined,
    ValueNode,
    VariableNode,
    is_non_null_type,
    is_required_argument,
    is_required_input_field,
)
from graphql.execution.values import coerce_argument
from graphql.utilities.coerce_input_value import coerce_default_value, coerce_input_literal
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import StrawberryArgument, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    StrawberryType,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]
_CONVERTERS: weakref.WeakKeyDictionary[Any, Converter] = weakref.WeakKeyDictionary()


def converter_of(schema: Any) -> Converter:
    """The schema's one ``Converter``, made on first use (plans of every document share it)."""
    found = _CONVERTERS.get(schema)
    if found is None:
        found = _CONVERTERS[schema] = Converter(
            schema.schema_converter.scalar_registry, schema.config
        )
    return found


class Converter:
    """Conversion functions of one schema, made once per argument type."""

    def __init__(self, scalar_registry: Mapping[object, Any], config: StrawberryConfig) -> None:
        self.scalar_registry = scalar_registry
        self.config = config
        # Each field's function, by its argument list (kept, so its id stays its own):
        # a plan made on a document's first sight would make them again for every field.
        self._made: dict[int, tuple[list[StrawberryArgument], Callable[..., Any]]] = {}

    def arguments(
        self, arguments: list[StrawberryArgument]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """A function from coerced values (GraphQL names) to a resolver's keyword arguments."""
        found = self._made.get(id(arguments))
        if found is not None and found[0] is arguments:
            return found[1]
        made = self._arguments(arguments)
        self._made[id(arguments)] = (arguments, made)
        return made

    def _arguments(
        self, arguments: list[StrawberryArgument]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        named = [
            (
                self.config.name_converter.from_argument(argument),
                argument.python_name,
                self.of(argument.type),
            )
            for argument in arguments
        ]

        def convert(values: dict[str, Any]) -> dict[str, Any]:
            return {python: each(values[name]) for name, python, each in named if name in values}

        return convert

    def of(self, type_: StrawberryType | type) -> Convert:
        """How values of ``type_`` are converted (``convert_argument``'s cases, decided once)."""
        if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
            return self._generic(type_)
        if isinstance(type_, StrawberryOptional):
            return self.of(type_.of_type)
        if isinstance(type_, LazyType):
            return self.of(type_.resolve_type())
        if self._is_leaf(type_):
            return _leaf
        if isinstance(type_, StrawberryList):
            if self._is_leaf(type_.of_type) or (
                isinstance(type_.of_type, StrawberryOptional)
                and self._is_leaf(type_.of_type.of_type)
            ):
                return _leaf_list  # copied: graphql-core shares defaults between requests
            item = self.of(type_.of_type)
            return lambda value: (
                None if value is None or value is UNSET else [item(x) for x in value]
            )
        if has_enum_definition(type_):
            return _leaf
        if has_object_definition(type_):
            return self._input(type_)
        return self._generic(type_)

    def _is_leaf(self, type_: Any) -> bool:
        if type_ is GlobalID:
            return False
        return is_scalar(type_, self.scalar_registry) or isinstance(type_, StrawberryEnumDefinition)

    def _input(self, cls: Any) -> Convert:
        definition = cls.__strawberry_definition__
        if definition.from_input is not None or not definition.is_input:
            return self._generic(cls)
        implicit = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }
        fields = [
            (self.config.name_converter.from_field(field), field.python_name, field)
            for field in definition.fields
        ]
        converters: dict[str, Convert] = {}  # filled on first use: input types may nest themselves

        def convert(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = dict(implicit)
            for name, python, field in fields:
                if name in value:
                    each = converters.get(name)
                    if each is None:
                        each = converters[name] = self.of(
                            field.resolve_type(type_definition=definition)
                        )
                    kwargs[python] = each(value[name])
            return cls(**kwargs)

        return convert

    def _generic(self, type_: Any) -> Convert:
        registry, config = self.scalar_registry, self.config
        return lambda value: convert_argument(value, type_, registry, config)


def _leaf(value: Any) -> Any:
    return value


def _leaf_list(value: Any) -> Any:
    if value is None or value is UNSET:
        return value
    return list(value)


# --- arguments holding variables, coerced from the coerced variables --------------------

Coerce = Callable[[Mapping[str, Any]], Any]  # coerced variables -> value (Undefined: invalid)


class Unmodelled(Exception):  # noqa: N818 (a verdict, not a fault)
    """A literal ``argument_coercer`` does not model: graphql-core coerces it."""


def argument_coercer(
    definition: GraphQLField, node: FieldNode
) -> Callable[[Mapping[str, Any]], dict[str, Any]] | None:
    """``get_argument_values(definition, node, variables)`` as a function of the variables.

    graphql-core coerces a field's argument literals again on every request,
    walking the whole ``where: {...}`` tree to reach the one variable in it
    (with the cost analysis, 32 calls of ``coerce_input_literal`` a request
    for (f) of ``bench/inprocess.py``). Everything in a literal that uses no
    variable is the same every time, so it is coerced here once, by
    graphql-core itself; only the path down to each variable is left for each
    request, following ``coerce_input_literal``'s rules (null or missing in a
    non-null place, missing object fields and defaults, a value where a list
    is expected). Where graphql-core would report an error, or would make a
    missing variable in a list null, the function raises ``Unmodelled``, so
    the caller can let the ordinary executor answer. A literal this does not
    model (oneOf inputs, variables inside a custom scalar's literal) gives
    None: coerce it with ``get_argument_values``. ``tests/server/test_arguments.py`` compares both.
    """
    arguments = {argument.name.value: argument for argument in node.arguments or ()}
    parts: list[tuple[str, Any, Coerce | None]] = []  # (out name, constant, per request)
    try:
        for name, argument in definition.args.items():
            out = argument.out_name or name
            given = arguments.get(name)
            if given is None or not uses_variables(given.value):
                fixed: dict[str, Any] = {}
                coerce_argument(fixed, node, name, argument, given, None, None)
                if out in fixed:
                    parts.append((out, fixed[out], None))
                continue
            parts.append((out, Undefined, _argument(given.value, argument)))
    except (GraphQLError, Unmodelled, TypeError):
        return None

    def coerce(variables: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for out, fixed, each in parts:
            if each is None:
                values[out] = fixed
                continue
            value = each(variables)
            if value is _OMITTED:
                continue
            if value is Undefined:  # where graphql-core reports the argument invalid
                raise Unmodelled(f"argument {out!r} does not coerce")
            values[out] = value
        return values

    return coerce


_OMITTED = object()  # an argument whose variable is missing, without a default: left out


def _argument(value: ValueNode, argument: GraphQLArgument) -> Coerce:
    """One argument holding a variable, as ``coerce_argument`` coerces it."""
    if isinstance(value, VariableNode) and not is_required_argument(argument):
        name = value.name.value
        default = coerce_default_value(argument)
        if default is Undefined:
            default = _OMITTED
        inner = _literal(value, argument.type)

        def variable_or_default(variables: Mapping[str, Any]) -> Any:
            if name not in variables:
                return default
            return inner(variables)

        return variable_or_default
    return _literal(value, argument.type)


def _literal(value: ValueNode, type_: GraphQLInputType) -> Coerce:
    """``coerce_input_literal(value, type_, variables)`` for any variables, worked out once.

    Raises ``Unmodelled`` for what it leaves to graphql-core.
    """
    if not uses_variables(value):
        fixed = coerce_input_literal(value, type_)
        return lambda variables: fixed
    if isinstance(value, VariableNode):
        name = value.name.value
        if is_non_null_type(type_):

            def non_null_variable(variables: Mapping[str, Any]) -> Any:
                found = variables.get(name, Undefined)
                return Undefined if found is None else found

            return non_null_variable
        return lambda variables: variables.get(name, Undefined)
    if isinstance(type_, GraphQLNonNull):
        return _literal(value, type_.of_type)  # a list or object literal: never null
    if isinstance(type_, GraphQLList):
        return _list(value, type_.of_type)
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, ObjectValueNode):
        return _object(value, type_)
    raise Unmodelled(f"variables inside a literal of {type_}")


def _list(value: ValueNode, item_type: GraphQLInputType) -> Coerce:
    if not isinstance(value, ListValueNode):  # a value where a list is expected: a list of one
        one = _literal(value, item_type)

        def list_of_one(variables: Mapping[str, Any]) -> Any:
            item = one(variables)
            return Undefined if item is Undefined else [item]

        return list_of_one
    items = [_literal(item, item_type) for item in value.values]

    def list_of(variables: Mapping[str, Any]) -> Any:
        found = [item(variables) for item in items]
        # graphql-core makes a missing variable in a nullable item null; leave that to it
        return Undefined if Undefined in found else found

    return list_of


def _object(value: ObjectValueNode, type_: GraphQLInputObjectType) -> Coerce:
    if type_.is_one_of:
        raise Unmodelled("oneOf input objects")
    given = {field.name.value: field for field in value.fields}
    if any(name not in type_.fields for name in given):
        raise Unmodelled("an unknown input field")  # validation refuses it
    # (out name, constant, per request, its variable if it is one, required, default)
    parts: list[tuple[str, Any, Coerce | None, str | None, bool, Any]] = []
    for name, field in type_.fields.items():
        out = field.out_name or name
        node = given.get(name)
        required = is_required_input_field(field)
        default = Undefined if required else coerce_default_value(field)
        if node is None:
            if required:
                raise Unmodelled("a required input field is missing")  # validation refuses it
            if default is not Undefined:
                parts.append((out, default, None, None, False, Undefined))
            continue
        if not uses_variables(node.value):
            fixed = coerce_input_literal(node.value, field.type)
            if fixed is Undefined:
                raise Unmodelled("an invalid literal")  # validation refuses it
            parts.append((out, fixed, None, None, False, Undefined))
            continue
        variable = node.value.name.value if isinstance(node.value, VariableNode) else None
        each = _literal(node.value, field.type)
        parts.append((out, Undefined, each, variable, required, default))
    out_type = type_.out_type

    def input_object(variables: Mapping[str, Any]) -> Any:
        values: dict[str, Any] = {}
        for out, fixed, each, variable, required, default in parts:
            if each is None:
                values[out] = fixed
                continue
            if variable is not None and variable not in variables:
                if required:  # graphql-core finds the whole object invalid
                    return Undefined
                if default is not Undefined:
                    values[out] = default
                continue
            found = each(variables)
            if found is Undefined:
                return Undefined
            values[out] = found
        return out_type(values)

    return input_object


def variables_in(value: ValueNode) -> Iterator[str]:
    """The names of the variables a literal refers to, in order (the limits, the plans)."""
    if isinstance(value, VariableNode):
        yield value.name.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from variables_in(item)
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            yield from variables_in(field.value)


def uses_variables(value: ValueNode) -> bool:
    """Whether a literal refers to any variable."""
    return next(variables_in(value), None) is not None
