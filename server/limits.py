"""Limits on one GraphQL request, each refused before execution with a clear error.

Each stage refuses as early and as cheaply as it can:

- before parsing, one pass of the lexer (``scan_document``) counts tokens and
  the nesting of selections, so a huge or 200-level-deep document never
  reaches the recursive parser;
- before the specification's validation rules, ``limit_rules`` check depth
  (through fragments), aliases and directives per field; the rule classes are
  built once, so the validation cache keys stay the same from one request to
  the next;
- before execution, ``QueryLimits.on_execute`` checks the page sizes asked for
  and the query cost with the request's variables, and takes the cost from the
  client's rate-limit bucket.

Every refusal is a ``LimitExceededError`` error naming the limit, its value and the
setting that changes it; those errors are meant for the client and shown as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    ValidationRule,
)
from graphql.language import Lexer
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from schema.connections import DEFAULT_PAGE_SIZE
from server.context import RequestContext
from server.cost import QueryCost, operation_cost
from server.settings import PREFIX, Settings

SCAN_CACHE_SIZE = 1024


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


# --- before parsing -----------------------------------------------------------------


@lru_cache(maxsize=SCAN_CACHE_SIZE)
def scan_document(source: str, max_tokens: int, max_depth: int) -> None:
    """Refuse a document with too many tokens or selections nested too deeply.

    One lexer pass, stopped at the first token over the limit, so its cost is
    bounded by ``max_tokens``. The nesting counted is that of selection sets
    (braces outside arguments), not counting inline fragments, so it never
    exceeds the depth ``limit_rules`` computes: the scan only refuses early
    what validation would refuse later. Results are cached (only successes:
    a refusal raises), so a repeated query is scanned once.
    """
    lexer = Lexer(Source(source))
    tokens = depth = deepest = 0
    parens = 0  # inside (...): arguments, variable definitions, directive arguments
    braces: list[bool] = []  # for each open selection set: does it add a level?
    after_spread = in_fragment_head = False
    while (token := lexer.advance()).kind is not TokenKind.EOF:
        tokens += 1
        if tokens > max_tokens:
            raise LimitExceededError(
                f"Token limit exceeded: the document has more than {max_tokens} tokens; "
                f"the limit is {max_tokens}.",
                setting="max_tokens",
                limit=max_tokens,
            )
        kind = token.kind
        if parens:
            parens += {TokenKind.PAREN_L: 1, TokenKind.PAREN_R: -1}.get(kind, 0)
            continue
        if kind is TokenKind.PAREN_L:
            parens = 1
        elif kind is TokenKind.SPREAD:
            after_spread = True
            continue
        if after_spread:  # `...Name` spreads a fragment; `... on T {` and `... {` inline one
            in_fragment_head = not (kind is TokenKind.NAME and token.value != "on")
            after_spread = False
        if kind is TokenKind.BRACE_L:
            counts = not in_fragment_head
            in_fragment_head = False
            braces.append(counts)
            depth += counts
            deepest = max(deepest, depth)
        elif kind is TokenKind.BRACE_R and braces:
            depth -= braces.pop()
    if deepest > max_depth:
        raise _depth_error(deepest, max_depth)


def _depth_error(depth: int, max_depth: int, node: Node | None = None) -> LimitExceededError:
    return LimitExceededError(
        f"Depth limit exceeded: the query nests fields {depth} deep; the limit is {max_depth}.",
        setting="max_depth",
        limit=max_depth,
        nodes=node,
    )


# --- before validation ------------------------------------------------------------


def limit_rules(settings: Settings) -> tuple[type[ValidationRule], ...]:
    """The validation rules for depth, aliases and directives, built once per app.

    They run before the specification's rules (see ``schema.build``), and each
    reports at most one error, so a bomb gets one clear answer rather than a
    hundred validation errors.
    """
    max_depth, max_aliases = settings.max_depth, settings.max_aliases
    max_directives = settings.max_directives

    class MaxDepthRule(ValidationRule):
        """Depth of the deepest field, through fragments; inline fragments add none."""

        def enter_document(self, node: DocumentNode, *_: Any) -> object:
            fragments = _fragments(node)
            memo: dict[str, int] = {}
            for operation in _operations(node):
                depth = _depth(operation.selection_set, fragments, memo)
                if depth > max_depth:
                    self.report_error(_depth_error(depth, max_depth, operation))
                    break
            return BREAK

    class MaxAliasesRule(ValidationRule):
        """Aliases in the document, counting a fragment each time it is spread."""

        def enter_document(self, node: DocumentNode, *_: Any) -> object:
            fragments = _fragments(node)
            memo: dict[str, int] = {}
            count = sum(_aliases(op.selection_set, fragments, memo) for op in _operations(node))
            if count > max_aliases:
                self.report_error(
                    LimitExceededError(
                        f"Alias limit exceeded: the document uses {count} aliases; "
                        f"the limit is {max_aliases}.",
                        setting="max_aliases",
                        limit=max_aliases,
                    )
                )
            return BREAK

    class MaxDirectivesRule(ValidationRule):
        """Directives on one field, fragment, operation or variable."""

        def enter(self, node: Node, *_: Any) -> object:
            directives = getattr(node, "directives", None) or ()
            if len(directives) <= max_directives:
                return None
            self.report_error(
                LimitExceededError(
                    f"Directive limit exceeded: {_describe(node)} has {len(directives)} "
                    f"directives; the limit is {max_directives}.",
                    setting="max_directives",
                    limit=max_directives,
                    nodes=node,
                )
            )
            return BREAK

    return (MaxDepthRule, MaxAliasesRule, MaxDirectivesRule)


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    memo: dict[str, int],
) -> int:
    deepest = 0
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            depth = 1 + _depth(selection.selection_set, fragments, memo)
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragments, memo)
        elif isinstance(selection, FragmentSpreadNode):
            depth = _memoised(selection.name.value, fragments, memo, _depth)
        else:
            continue
        deepest = max(deepest, depth)
    return deepest


def _aliases(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    memo: dict[str, int],
) -> int:
    count = 0
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            count += (selection.alias is not None) + _aliases(
                selection.selection_set, fragments, memo
            )
        elif isinstance(selection, InlineFragmentNode):
            count += _aliases(selection.selection_set, fragments, memo)
        elif isinstance(selection, FragmentSpreadNode):
            count += _memoised(selection.name.value, fragments, memo, _aliases)
    return count


def _memoised(
    name: str,
    fragments: dict[str, FragmentDefinitionNode],
    memo: dict[str, int],
    measure: Callable[
        [SelectionSetNode | None, dict[str, FragmentDefinitionNode], dict[str, int]], int
    ],
) -> int:
    """A fragment's measure, computed once; a cycle (refused by validation) counts 0."""
    if name not in memo:
        memo[name] = 0
        fragment = fragments.get(name)
        if fragment is not None:
            memo[name] = measure(fragment.selection_set, fragments, memo)
    return memo[name]


def _describe(node: Node) -> str:
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


# --- before execution -------------------------------------------------------------


class QueryLimits(SchemaExtension):
    """The per-request stages of the limits, plugged into Strawberry's pipeline.

    Make one per request (pass ``lambda: QueryLimits(settings)``): Strawberry
    sets ``execution_context`` on the instance.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_parse(self) -> Iterator[None]:
        settings = self.settings
        scan_document(self.execution_context.query or "", settings.max_tokens, settings.max_depth)
        yield

    def on_execute(self) -> Iterator[None]:
        refusal = self._refusal()
        if refusal is not None:
            self.execution_context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def _refusal(self) -> GraphQLError | None:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # execution follows a parsed document
        request = context.context if isinstance(context.context, RequestContext) else None
        return operation_refusal(
            self.settings,
            context.schema._schema,
            document,
            context.operation_name,
            context.variables,
            request,
        )


def cost_estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> QueryCost:
    """The operation's cost and page sizes, as the limits count them."""
    return operation_cost(schema, document, operation_name, variables, DEFAULT_PAGE_SIZE)


def operation_refusal(
    settings: Settings,
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    request: RequestContext | None,
) -> GraphQLError | None:
    """Why the operation must not run, or None; charges the rate limit when it may.

    ``operation_name`` is the one that runs (Strawberry fills it in), while
    ``request.operation_name`` is what the client sent.
    """
    several = len(_operations(document)) > 1
    if request is not None and request.operation_name is None and several:
        return GraphQLError(
            "The document has several operations: say which to run with `operationName`."
        )
    try:
        estimate = cost_estimate(schema, document, operation_name, variables)
    except RecursionError:  # fragments spread inside each other past the stack
        return _depth_error(settings.max_depth + 1, settings.max_depth)
    refusal = estimate_refusal(settings, estimate)
    if refusal is not None or request is None:
        return refusal
    return charge(request, estimate.cost)


def estimate_refusal(settings: Settings, estimate: QueryCost) -> GraphQLError | None:
    """Why an operation of this estimated cost and these page sizes must not run, or None."""
    largest = estimate.largest_page()
    if largest is not None and largest.size > settings.max_page_size:
        limit = settings.max_page_size
        return GraphQLError(  # as the schema words it (schema.connections), located
            f"`first` is limited to {limit} items per page (got {largest.size}); "
            "page through with `after`",
            largest.node,
            extensions={"code": "BAD_USER_INPUT", "limit": limit},
        )
    if estimate.cost > settings.max_cost:
        return LimitExceededError(
            f"Cost limit exceeded: the query would cost {estimate.cost}, counting each "
            f"field once per item of the lists above it; the limit is "
            f"{settings.max_cost}.",
            setting="max_cost",
            limit=settings.max_cost,
            cost=estimate.cost,
        )
    return None


def charge(request: RequestContext, cost: int) -> GraphQLError | None:
    """Note the cost on the request, and charge it to the client's rate limit if it has one."""
    request.cost = cost
    return request.charge(cost) if request.charge is not None else None
