"""The analyse stage: limits on the operation that runs, with its coerced variables.

Parsing enforces the token and size limits while lexing, and the directives
allowed on one node (``server.pipeline.documents``). Once the operation is chosen, validated and
its variables coerced, ``analyse`` measures what will actually run: fields
under ``@skip(if: true)`` or ``@include(if: false)`` and fragments that can
never match are left out, and operations beside the chosen one are ignored.
It checks, cheapest first:

- depth: the deepest field, through fragments (inline fragments add no level);
- aliases, counting a fragment each time it is spread;
- cost: the most fields the operation can resolve on the graph being served
  (``server.cost``).

Every refusal is a ``LimitExceededError`` naming the limit, its value and the
setting that changes it; those errors are meant for the client and shown as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues

from graph_data import ShowGraph
from schema.connections import DEFAULT_PAGE_SIZE
from server.arguments import variables_in
from server.cost import included, operation_cost
from server.settings import PREFIX, Settings


class LimitExceededError(GraphQLError):
    """A request over one of the limits; names the limit, its value and its setting."""

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        limit: float,
        nodes: Node | list[Node] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(
            message,
            nodes,
            extensions={
                "code": "LIMIT_EXCEEDED",
                "limit": limit,
                "setting": PREFIX + setting.upper(),
                **extensions,
            },
        )


@dataclass(frozen=True, slots=True)
class Shape:
    """How deep an operation nests and how many aliases it uses."""

    depth: int
    aliases: int


def analyse(
    settings: Settings,
    schema: GraphQLSchema,
    graph: ShowGraph,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: VariableValues,
) -> int:
    """The operation's estimated cost; ``LimitExceededError`` when a limit refuses it."""
    try:
        shape = measure(operation, fragments, variables.coerced)
        cost = operation_cost(
            schema,
            operation,
            fragments,
            variables,
            graph,
            default_page_size=DEFAULT_PAGE_SIZE,
            max_page_size=settings.max_page_size,
        )
    except RecursionError:  # fragments spread inside each other past the stack
        raise _depth_error(settings.max_depth + 1, settings.max_depth) from None
    if shape.depth > settings.max_depth:
        raise _depth_error(shape.depth, settings.max_depth, operation)
    if shape.aliases > settings.max_aliases:
        raise LimitExceededError(
            f"Alias limit exceeded: the operation uses {shape.aliases} aliases; "
            f"the limit is {settings.max_aliases}.",
            setting="max_aliases",
            limit=settings.max_aliases,
        )
    if cost > settings.max_cost:
        raise LimitExceededError(
            f"Cost limit exceeded: the query could resolve up to {cost} fields on this "
            f"graph (each field once per item of the lists above it, at their largest "
            f"in the data served); the limit is {settings.max_cost}.",
            setting="max_cost",
            limit=settings.max_cost,
            cost=cost,
        )
    return cost


# The arguments whose values the cost reads (``server.cost``: page sizes, lists of ids).
SIZING_ARGUMENTS = frozenset({"first", "ids"})


def verdict_inputs(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables ``analyse``'s verdict can depend on, in a fixed order.

    ``analyse`` reads the variables only in directives (``@skip``/``@include``
    decide what runs) and in the arguments that size lists (``first``,
    ``ids``); every other variable (a ``where`` filter's value, say) leaves
    the depth, the aliases and the cost as they are. So, at one graph
    version, an operation's verdict is the same for every request whose
    values of these variables are the same (``Pipeline.prepare`` keeps it):
    for (f) of ``bench/inprocess.py``, a new filter value each request, the
    analysis took 33 µs of about 200.
    """
    found: dict[str, None] = {}
    stack: list[Any] = [operation.selection_set, *fragments.values()]
    while stack:
        node = stack.pop()
        for directive in getattr(node, "directives", None) or ():
            for argument in directive.arguments or ():
                found.update(dict.fromkeys(variables_in(argument.value)))
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value in SIZING_ARGUMENTS:
                    found.update(dict.fromkeys(variables_in(argument.value)))
        selection_set = (
            node if isinstance(node, SelectionSetNode) else getattr(node, "selection_set", None)
        )
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return tuple(found)


def measure(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> Shape:
    """Depth and aliases of what runs (skipped selections left out)."""
    depth, aliases = _ShapeWalk(fragments, variables).selection_set(operation.selection_set)
    return Shape(depth, aliases)


class _ShapeWalk:
    """One walk over one operation; a fragment is measured once however often it is spread."""

    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[str, tuple[int, int]] = {}

    def selection_set(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        """(depth, aliases) of a selection set."""
        deepest = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if not included(selection, self.variables):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                depth, inner = self.selection_set(selection.selection_set)
                depth += 1
                inner += selection.alias is not None
            elif isinstance(selection, InlineFragmentNode):
                depth, inner = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                depth, inner = self.spread(selection.name.value)
            else:
                continue
            deepest = max(deepest, depth)
            aliases += inner
        return deepest, aliases

    def spread(self, name: str) -> tuple[int, int]:
        """A fragment's measure, computed once; a cycle (refused by validation) counts 0."""
        if name not in self.memo:
            self.memo[name] = (0, 0)
            fragment = self.fragments.get(name)
            if fragment is not None:
                self.memo[name] = self.selection_set(fragment.selection_set)
        return self.memo[name]


def _depth_error(depth: int, max_depth: int, node: Node | None = None) -> LimitExceededError:
    return LimitExceededError(
        f"Depth limit exceeded: the query nests fields {depth} deep; the limit is {max_depth}.",
        setting="max_depth",
        limit=max_depth,
        nodes=node,
    )


def describe(node: Node) -> str:
    name = getattr(getattr(node, "name", None), "value", None)
    kind = {
        "field": "field",
        "fragment_spread": "fragment spread",
        "inline_fragment": "inline fragment",
        "fragment_definition": "fragment",
        "operation_definition": "operation",
        "variable_definition": "variable",
    }.get(node.kind, node.kind.replace("_", " "))
    return f"{kind} '{name}'" if name else f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
