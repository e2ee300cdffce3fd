"""What a query may cost to answer, estimated from the document before it runs.

GitHub-style: every field costs 1 each time it can be resolved, so a field
under lists costs the product of their sizes. A list's size is what the query
asks for, not what the data holds, so the estimate is known before execution:

- a field with a ``first`` argument asks for that many (``default_page_size``
  when ``first`` is left out). On a connection, the size applies to its page
  (``nodes`` and ``edges``), not to ``totalCount`` or ``pageInfo``;
- a list whose length an argument gives (``nodes(ids: [...])``) counts the ids;
- any other list counts ``UNPAGED_LIST_SIZE`` items.

Introspection fields count 1 each: their size is bounded by the schema, not by
the data. ``@skip``/``@include`` are ignored, so the estimate is an upper bound.

The same number limits a single query (``max_cost``) and is what the rate
limiter takes from a client's bucket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

UNPAGED_LIST_SIZE = 10
SLICING_ARGUMENT = "first"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One ``first`` argument of the query: on which field, and how many it asks for."""

    field: str
    size: int
    node: FieldNode | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class QueryCost:
    """The estimated cost of one operation and the page sizes it asks for."""

    cost: int
    pages: list[PageRequest] = dataclasses.field(default_factory=list)

    def largest_page(self) -> PageRequest | None:
        return max(self.pages, key=lambda page: page.size, default=None)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    default_page_size: int,
) -> QueryCost:
    """The cost of the operation that will run, with the variables it runs with.

    Assumes a validated document; an operation it cannot find costs 0. Raises
    RecursionError only for fragments spread inside each other deeper than the
    interpreter's stack, which validation refuses first.
    """
    operation = _operation(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return QueryCost(0)
    values = {  # what the variables will hold: the request's values over their defaults
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    values.update(variables or {})
    walk = _CostWalk(schema, document, values, default_page_size)
    cost = walk.selection_set(operation.selection_set, root, page=None, flat=False)
    return QueryCost(cost, walk.pages)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if operations else None
    return next((op for op in operations if op.name and op.name.value == name), None)


class _CostWalk:
    """One walk over one operation; fragment costs are memoised per use."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.default_page_size = default_page_size
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[tuple[str, int | None, bool], int] = {}
        self.pages: list[PageRequest] = []

    def selection_set(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        page: int | None,
        flat: bool,
    ) -> int:
        """Cost of resolving this selection once on ``parent``.

        ``page`` is the page size of the connection ``parent`` is, if it is one;
        ``flat`` is true inside introspection, where lists count 1.
        """
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page, flat)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner or parent, page, flat)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, parent, page, flat)
        return total

    def spread(self, name: str, parent: GraphQLNamedType, page: int | None, flat: bool) -> int:
        key = (name, page, flat)
        if key not in self.memo:
            fragment = self.fragments.get(name)
            self.memo[key] = 0  # a cycle (refused by validation) adds nothing
            if fragment is not None:
                inner = self.schema.get_type(fragment.type_condition.name.value) or parent
                self.memo[key] = self.selection_set(fragment.selection_set, inner, page, flat)
        return self.memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None, flat: bool) -> int:
        name = node.name.value
        definition = _field_definition(parent, name)
        if definition is None:  # __typename, or a field validation would refuse
            return 1
        named = get_named_type(definition.type)
        if flat or name.startswith("__"):
            return 1 + self.selection_set(node.selection_set, named, None, flat=True)
        is_list = is_list_type(get_nullable_type(definition.type))
        if SLICING_ARGUMENT in definition.args:
            size = self.requested(node, name)
            if not is_list:  # a connection: the size applies to its page lists
                return 1 + self.selection_set(node.selection_set, named, size, flat)
        elif is_list:
            size = page if page is not None else self.list_argument_length(node)
        else:
            size = 1
        return 1 + size * self.selection_set(node.selection_set, named, None, flat)

    def requested(self, node: FieldNode, field_name: str) -> int:
        """The ``first`` a field asks for, recorded for the page-size limit."""
        value = self.argument_value(node, SLICING_ARGUMENT)
        size = value if isinstance(value, int) and not isinstance(value, bool) else None
        if size is None:
            return self.default_page_size
        self.pages.append(PageRequest(field_name, size, node))
        return max(size, 0)

    def list_argument_length(self, node: FieldNode) -> int:
        """For lists sized by a list argument (``nodes(ids:)``): its length."""
        for argument in node.arguments or ():
            value = self.argument_value(node, argument.name.value)
            if isinstance(value, list):
                return len(value)
        return UNPAGED_LIST_SIZE

    def argument_value(self, node: FieldNode, name: str) -> Any:
        """A literal int or list argument, or a variable's value; None otherwise."""
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        if argument is None:
            return None
        value = argument.value
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, ListValueNode):
            return list(value.values)
        return None


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        definition: GraphQLField | None = parent.fields.get(name)
        return definition
    return None
