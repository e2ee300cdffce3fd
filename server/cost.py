"""What an operation may cost, estimated on the graph being served, and what it did cost.

Every field costs 1 each time it is resolved, so a field under lists costs
the product of their lengths (GitHub's and Shopify's model). The length of a
list is not guessed: it is the most items that list holds for any object in
the current graph (``schema.fanout``, kept exact through every write), cut
to the ``first`` the query asks for where the field pages. So ``requested``
is a true upper bound of the fields execution will resolve on this data, and
close to it; ``actual_cost`` counts what was resolved, from the answer.

The estimate judges the operation that runs, as it runs:

- with its coerced variables (``first: $n`` counts the number ``$n`` coerced to);
- fields under ``@skip(if: true)`` or ``@include(if: false)`` cost nothing,
  nor do fragments whose type can never match;
- a ``first`` over the page-size limit counts as the limit: the field itself
  answers the error (``schema.connections``), so the rest may run;
- introspection fields count 1 each: the schema bounds their size, not the data.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_list_type,
)
from graphql.execution.values import VariableValues, coerce_argument
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from graph_data import ShowGraph
from schema.fanout import list_bound, root_bound
from server.caching import LeastRecentlyUsed

SLICING_ARGUMENT = "first"
PAGE_LISTS = frozenset({"nodes", "edges"})  # the lists of a connection that `first` sizes
KEPT_FIELD_COSTS = 4096  # fields' costs kept per graph (``FieldCosts``): a text and a number each


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: VariableValues,
    graph: ShowGraph,
    *,
    default_page_size: int,
    max_page_size: int,
) -> int:
    """The most fields ``operation`` can resolve on ``graph`` with these coerced variables.

    Assumes a validated document. Raises RecursionError only for fragments
    spread inside each other deeper than the interpreter's stack, which
    validation refuses first.
    """
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walk = _CostWalk(schema, fragments, variables, graph, default_page_size, max_page_size)
    return walk.selection_set(operation.selection_set, root, page=None, flat=False)


def actual_cost(data: Any, operation: OperationDefinitionNode) -> int:
    """The fields an answer's ``data`` resolved: one per key of every object in it.

    Introspection fields at the root count 1 each, as in the estimate.
    """
    if not isinstance(data, dict):
        return 0
    introspection = {
        (field.alias or field.name).value
        for field in operation.selection_set.selections
        if isinstance(field, FieldNode) and field.name.value.startswith("__")
    }
    return _count(data) - sum(_count(data.get(key)) for key in introspection)


def _count(value: Any) -> int:
    """Keys in the objects within an answer's ``value``.

    The executors build plain dicts and lists (every scalar here serializes to
    a string, number or boolean), so exact types are checked, one recursive
    call per object: 8 µs for the small query's answer, where a walk with a
    stack and ``isinstance`` took 17 (``time.process_time`` over 20,000
    counts). Nesting is bounded by the depth limit; past the stack, ``_walk``.
    """
    try:
        if type(value) is dict:
            return _count_object(value)
        if type(value) is list:
            return _count_list(value)
    except RecursionError:
        return _walk(value)
    return 0


def _count_object(value: dict[str, Any]) -> int:
    total = len(value)
    for inner in value.values():
        kind = type(inner)
        if kind is dict:
            total += _count_object(inner)
        elif kind is list:
            total += _count_list(inner)
    return total


def _count_list(value: list[Any]) -> int:
    total = 0
    for inner in value:
        kind = type(inner)
        if kind is dict:
            total += _count_object(inner)
        elif kind is list:
            total += _count_list(inner)
    return total


def _walk(value: Any) -> int:
    """What ``_count`` counts, with a stack of its own rather than the interpreter's."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            total += len(item)
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return total


def included(
    node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: Mapping[str, Any]
) -> bool:
    """Whether ``@skip``/``@include`` let this selection run, with the request's variables."""
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        argument = next((a for a in directive.arguments or () if a.name.value == "if"), None)
        if argument is None:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            condition = bool(variables.get(value.name.value))
        else:
            condition = isinstance(value, BooleanValueNode) and value.value
        if condition == (name == "skip"):
            return False
    return True


def alias_free_text(node: FieldNode) -> str | None:
    """A field's text from its name on: all that decides what it asks, but for the
    fragments it spreads; None for a document parsed without locations."""
    loc, name = node.loc, node.name.loc
    if loc is None or name is None:
        return None
    return loc.source.body[name.start : loc.end]


def spreads_fragments(selection_set: SelectionSetNode | None) -> bool:
    """Whether a named fragment is spread anywhere in ``selection_set``."""
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for selection in current.selections if current is not None else ():
            if isinstance(selection, FragmentSpreadNode):
                return True
            stack.append(selection.selection_set)  # type: ignore[attr-defined]
    return False


class FieldCosts(LeastRecentlyUsed[tuple[Any, ...], int]):
    """The costs of fields whose text alone decides them, kept across documents.

    A field without variables, directives or fragment spreads below its name
    costs the same in every document at one graph version (every change
    takes a new one, ``graph_data.changes.apply``, as ``Pipeline._analyse``'s
    verdicts also rely on): a new document
    that differs from a known one by aliases (a tool's, GraphiQL's edits)
    then costs a lookup per field it shares. The small query under a new
    alias took 13 µs to estimate, walking every field (``time.process_time``
    over 3,000 documents). The least recently used costs go first.
    """


_FIELD_COSTS: weakref.WeakKeyDictionary[ShowGraph, FieldCosts] = weakref.WeakKeyDictionary()


def field_costs_of(graph: ShowGraph) -> FieldCosts:
    """The graph's kept field costs, made on first use."""
    found = _FIELD_COSTS.get(graph)
    if found is None:
        found = _FIELD_COSTS[graph] = FieldCosts(KEPT_FIELD_COSTS)
    return found


def _text_decides(node: FieldNode) -> str | None:
    """The field's text when it alone decides the field's cost (``FieldCosts``)."""
    text = alias_free_text(node)
    if text is None or "$" in text or "@" in text:
        return None
    if "..." in text and spreads_fragments(node.selection_set):
        return None
    return text


class _CostWalk:
    """One walk over one operation; fragment costs are memoised per use, and fields'
    costs across documents where their text decides them (``FieldCosts``)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        graph: ShowGraph,
        default_page_size: int,
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.values = variables.coerced
        self.graph = graph
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.memo: dict[tuple[str, str, int | None, bool], int] = {}
        self.bounds: dict[tuple[str, str, str], int | None] = {}
        self.kept = field_costs_of(graph)
        # What a field's kept cost depends on besides its text, its parent and its page.
        self.setting = (schema, graph.version, default_page_size, max_page_size)

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
            if not included(selection, self.values):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page, flat)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                if inner is not None and self.can_match(parent, inner):
                    total += self.selection_set(selection.selection_set, inner, page, flat)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, parent, page, flat)
        return total

    def can_match(self, parent: GraphQLNamedType, condition: GraphQLNamedType) -> bool:
        """Whether an object where ``parent`` is expected can be of type ``condition``."""
        if parent is condition:
            return True
        if isinstance(parent, GraphQLObjectType):
            return is_abstract_type(condition) and self.schema.is_sub_type(condition, parent)
        return True  # an abstract parent: some of its objects may match

    def spread(self, name: str, parent: GraphQLNamedType, page: int | None, flat: bool) -> int:
        key = (name, parent.name, page, flat)
        if key not in self.memo:
            fragment = self.fragments.get(name)
            self.memo[key] = 0  # a cycle (refused by validation) adds nothing
            if fragment is not None:
                inner = self.schema.get_type(fragment.type_condition.name.value) or parent
                if self.can_match(parent, inner):
                    self.memo[key] = self.selection_set(fragment.selection_set, inner, page, flat)
        return self.memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None, flat: bool) -> int:
        """The field's cost: kept from another document when its text decides it."""
        if node.selection_set is None:
            return 1  # a leaf, or a list of them, costs 1 (and so does an unknown field)
        text = _text_decides(node)
        if text is None:
            return self.new_field(node, parent, page, flat)
        key = (*self.setting, parent.name, text, page, flat)
        found = self.kept.get(key)
        if found is None:
            found = self.new_field(node, parent, page, flat)
            self.kept.put(key, found)
        return found

    def new_field(
        self, node: FieldNode, parent: GraphQLNamedType, page: int | None, flat: bool
    ) -> int:
        name = node.name.value
        definition = _field_definition(parent, name)
        if definition is None:  # __typename, or a field validation would refuse
            return 1
        named = get_named_type(definition.type)
        if flat or name.startswith("__"):
            return 1 + self.selection_set(node.selection_set, named, None, flat=True)
        if node.selection_set is None:
            return 1  # a leaf, or a list of them, costs 1
        is_list = is_list_type(get_nullable_type(definition.type))
        if SLICING_ARGUMENT in definition.args:
            asked = self.first(definition, node)
            if not is_list:  # a connection: the size applies to its page lists
                items = _page_item(named)
                bound = self.bound(parent, name, items) if items else None
                size = asked if bound is None else min(asked, bound)
                return 1 + self.selection_set(node.selection_set, named, size, flat)
            size = asked
        elif is_list:
            sized = page if page is not None and name in PAGE_LISTS else None
            if sized is None:
                sized = self.list_argument_length(definition, node)
            size = sized if sized is not None else self.bound(parent, name, named.name) or 0
        else:
            size = 1
        return 1 + size * self.selection_set(node.selection_set, named, None, flat)

    def bound(self, parent: GraphQLNamedType, field: str, item: str) -> int | None:
        """The most items ``parent.field`` holds on the graph (memoised for this walk)."""
        key = (parent.name, field, item)
        if key not in self.bounds:
            found = root_bound(self.graph, item) if parent is self.schema.query_type else None
            if found is None:
                found = list_bound(self.graph, parent.name, field, item)
            self.bounds[key] = found
        return self.bounds[key]

    def argument(self, definition: GraphQLField, node: FieldNode, name: str) -> Any:
        """One argument as execution will coerce it; None when it does not coerce.

        Only that argument is coerced: coercing all of a field's arguments
        walked its whole ``where`` literal for nothing on every request with
        variables (about a tenth of (f) in ``bench/inprocess.py``).
        """
        argument = definition.args[name]
        given = next((a for a in node.arguments or () if a.name.value == name), None)
        found: dict[str, Any] = {}
        try:
            coerce_argument(found, node, name, argument, given, self.variables, None)
        except GraphQLError:  # execution reports it, on that field
            return None
        return found.get(argument.out_name or name)

    def first(self, definition: GraphQLField, node: FieldNode) -> int:
        """The page a ``first`` asks for, within the page-size limit (above it, the field fails)."""
        asked = self.argument(definition, node, SLICING_ARGUMENT)
        if not isinstance(asked, int):
            return self.default_page_size
        return max(0, min(asked, self.max_page_size))

    def list_argument_length(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """For lists of the nodes an argument names (``nodes(ids:)``): how many it names."""
        if "ids" not in definition.args:
            return None
        ids = self.argument(definition, node, "ids")
        return len(ids) if isinstance(ids, list) else None


def _page_item(connection: GraphQLNamedType) -> str | None:
    """The type of a connection's ``nodes``, or None when the type has no such list."""
    if not isinstance(connection, GraphQLObjectType | GraphQLInterfaceType):
        return None
    nodes = connection.fields.get("nodes")
    return get_named_type(nodes.type).name if nodes is not None else None


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        definition: GraphQLField | None = parent.fields.get(name)
        return definition
    return None
