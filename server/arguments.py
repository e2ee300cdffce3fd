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

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

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


class Converter:
    """Conversion functions of one schema, made once per argument type."""

    def __init__(self, scalar_registry: Mapping[object, Any], config: StrawberryConfig) -> None:
        self.scalar_registry = scalar_registry
        self.config = config

    def arguments(
        self, arguments: list[StrawberryArgument]
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """A function from coerced values (GraphQL names) to a resolver's keyword arguments."""
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
