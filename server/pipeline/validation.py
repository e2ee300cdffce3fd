"""The validate stage: the specification's rules, once per document, only those that can fire.

The rules are graphql-core's ``specified_rules`` plus the two Strawberry adds
(as its own validation does); without introspection, ``__schema``/``__type``
are refused and no error suggests a field, argument or type name. The
verdict is kept on the parsed document (``Documents``), so a repeated
document is validated once.

A new document is checked only against the rules its features can break
(``document_features``, ``rules_for``): a document without variables cannot
break a variable rule, one without fragments no fragment rule, one without
directives no directive rule, and so on. graphql-core runs its rules side by
side in one traversal, each reporting its errors where it finds them, so
leaving out rules that report nothing leaves the others' errors, their order
and their locations exactly as they were; ``tests/server/test_validation.py``
compares the two verdicts on generated valid and invalid documents. For the
small query ``{ actors { nodes { name characters { name } } } }`` this took
validation from about 1,100 µs (all 34 rules) to about 200 (4 rules), measured
with ``time.process_time`` over repeated runs in one process. A rule this
module does not know always runs.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    is_required_argument,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from schema.build import STRAWBERRY_RULES
from server.pipeline.documents import Document

# Features of a document, each the reason some rules can report an error.
EVERYTHING = "everything"  # something this module does not look into: run every rule
ALWAYS = "always"  # every executable document: its fields
NOT_EXECUTABLE = "a type-system definition"
OPERATIONS = "more than one operation"
NOT_QUERY = "a mutation or subscription"
SUBSCRIPTION = "a subscription"
FRAGMENT_DEFINITIONS = "fragment definitions"
SPREADS = "fragment spreads"
INLINE_FRAGMENTS = "inline fragments"
TYPE_CONDITIONS = "type conditions"
VARIABLE_DEFINITIONS = "variable definitions"
VARIABLES = "variables used"
DIRECTIVES = "directives"
ARGUMENTS = "arguments"
OBJECT_VALUES = "input object values"
INTROSPECTION = "__schema or __type"
REPEATED_KEYS = "a response key twice in one selection set"

# The features that let each rule report anything: a rule runs when the
# document has one of them. Each entry was read off the rule's visitor (which
# nodes it enters, and what must be there for it to report).
CAN_FIRE: dict[str, frozenset[str]] = {
    name: frozenset(features) | {EVERYTHING}
    for name, features in {
        "ExecutableDefinitionsRule": [NOT_EXECUTABLE],
        "KnownOperationTypesRule": [NOT_QUERY],
        "UniqueOperationNamesRule": [OPERATIONS],
        "LoneAnonymousOperationRule": [OPERATIONS],
        "SingleFieldSubscriptionsRule": [SUBSCRIPTION],
        "KnownTypeNamesRule": [VARIABLE_DEFINITIONS, FRAGMENT_DEFINITIONS, TYPE_CONDITIONS],
        "FragmentsOnCompositeTypesRule": [FRAGMENT_DEFINITIONS, TYPE_CONDITIONS],
        "VariablesAreInputTypesRule": [VARIABLE_DEFINITIONS],
        "ScalarLeafsRule": [ALWAYS],
        "FieldsOnCorrectTypeRule": [ALWAYS],
        "UniqueFragmentNamesRule": [FRAGMENT_DEFINITIONS],
        "KnownFragmentNamesRule": [SPREADS],
        "NoUnusedFragmentsRule": [FRAGMENT_DEFINITIONS],
        "PossibleFragmentSpreadsRule": [SPREADS, INLINE_FRAGMENTS],
        "NoFragmentCyclesRule": [FRAGMENT_DEFINITIONS],
        "UniqueVariableNamesRule": [VARIABLE_DEFINITIONS],
        "NoUndefinedVariablesRule": [VARIABLES],
        "NoUnusedVariablesRule": [VARIABLE_DEFINITIONS],
        "KnownDirectivesRule": [DIRECTIVES],
        "UniqueDirectivesPerLocationRule": [DIRECTIVES],
        "DeferStreamDirectiveOnRootField": [DIRECTIVES],
        "DeferStreamDirectiveOnValidOperationsRule": [DIRECTIVES],
        "DeferStreamDirectiveLabel": [DIRECTIVES],
        "StreamDirectiveOnListField": [DIRECTIVES],
        "KnownArgumentNamesRule": [ARGUMENTS],
        "UniqueArgumentNamesRule": [ARGUMENTS],
        # Values are arguments' and variables' defaults.
        "ValuesOfCorrectTypeRule": [ARGUMENTS, VARIABLE_DEFINITIONS],
        # A field (or directive) can miss a required argument without having any.
        "ProvidedRequiredArgumentsRule": [ALWAYS],
        "VariablesInAllowedPositionRule": [VARIABLES],
        # Without fragments, fields conflict only where one selection set repeats a key.
        "OverlappingFieldsCanBeMergedRule": [REPEATED_KEYS, SPREADS, INLINE_FRAGMENTS],
        "UniqueInputFieldNamesRule": [OBJECT_VALUES],
        "MaxIntrospectionDepthRule": [INTROSPECTION],
        "NoSchemaIntrospectionCustomRule": [INTROSPECTION],
        # Strawberry's: null for a Maybe argument or input field; oneOf inputs.
        "MaybeNullValidationRule": [ARGUMENTS, VARIABLE_DEFINITIONS],
        "OneOfInputValidationRule": [OBJECT_VALUES],
    }.items()
}


class Validator:
    """The rules of one served schema, built once so that every document meets the same ones."""

    def __init__(self, schema: GraphQLSchema, introspection: bool) -> None:
        self.schema = schema
        self.hide_suggestions = not introspection
        rules: list[type[ASTValidationRule]] = [*specified_rules, *STRAWBERRY_RULES]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        self._missing_roots = frozenset(
            kind
            for kind, root in [
                (OperationType.QUERY, schema.query_type),
                (OperationType.MUTATION, schema.mutation_type),
                (OperationType.SUBSCRIPTION, schema.subscription_type),
            ]
            if root is None
        )
        # Whether a document of fields alone meets exactly the rules ``plainly_valid``
        # checks (a rule this module does not know would run too: then it is not used).
        self._plain_rules = {rule.__name__ for rule in self.rules_for(_PLAIN)} == PLAIN_RULES

    def errors(self, document: Document) -> list[GraphQLError]:
        """The document's validation errors (empty when valid), worked out on its first use."""
        if document.errors is None:
            document.features = features = document_features(document.node)
            if features == _PLAIN and self._plain_rules and plainly_valid(self.schema, document):
                document.errors = []
                return document.errors
            rules = self.rules_for(features)
            document.errors = validate(
                self.schema, document.node, rules, hide_suggestions=self.hide_suggestions
            )
        return document.errors

    def rules_for(self, features: frozenset[str]) -> tuple[type[ASTValidationRule], ...]:
        """The rules a document with ``features`` can break, in the order of ``rules``."""
        if OperationType.QUERY in self._missing_roots:  # no schema of ours; be safe
            features = features | {EVERYTHING}
        return _rules_for(self.rules, features)


_PLAIN = frozenset({ALWAYS})  # one query of fields only: no arguments, fragments, directives...
PLAIN_RULES = {"ScalarLeafsRule", "FieldsOnCorrectTypeRule", "ProvidedRequiredArgumentsRule"}


def plainly_valid(schema: GraphQLSchema, document: Document) -> bool:
    """Whether a document of fields alone (features ``{ALWAYS}``) passes ``PLAIN_RULES``.

    Those three rules are all that can fire on such a document: every field is
    one of its parent's (or ``__typename``), takes no required argument, and has
    a selection exactly when its type is not a leaf. One walk answers that in
    a few µs where graphql-core's traversal took about 160 (the small query
    under a new alias, ``time.process_time``). True only when every check
    passes; anything else (False) is left to graphql-core, which then words
    the errors, so a verdict never differs from its.
    """
    root = schema.query_type
    if root is None:
        return False
    known = _PLAIN_FIELDS.get(schema)
    if known is None:
        known = _PLAIN_FIELDS[schema] = {}
    stack: list[tuple[Any, SelectionSetNode]] = [
        (root, definition.selection_set)  # type: ignore[attr-defined]
        for definition in document.node.definitions
    ]
    while stack:
        parent, selection_set = stack.pop()
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode):
                return False
            name = selection.name.value
            if name == "__typename":
                if selection.selection_set is not None:
                    return False
                continue
            facts = known.get((parent.name, name))
            if facts is None:
                facts = _plain_facts(parent, name)
                if facts is None:
                    return False
                known[parent.name, name] = facts
            named, leaf = facts
            if leaf:
                if selection.selection_set is not None:
                    return False
            elif selection.selection_set is None:
                return False
            else:
                stack.append((named, selection.selection_set))
    return True


# What ``plainly_valid`` asks of each field a document used, by its parent type's name and
# its own, per schema (whose types never change): the small query under a new alias took
# 11 µs to check, 4 of them once these were kept (``time.process_time``, 5,000 documents).
# Only fields that exist are kept, so the table is as big as the schema at most.
_PLAIN_FIELDS: weakref.WeakKeyDictionary[
    GraphQLSchema, dict[tuple[str, str], tuple[GraphQLNamedType, bool]]
] = weakref.WeakKeyDictionary()


def _plain_facts(parent: Any, name: str) -> tuple[GraphQLNamedType, bool] | None:
    """A field's type and whether it is a leaf; None when the field is not one of the
    parent's or takes a required argument (``plainly_valid`` then says no)."""
    fields = parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
    field = fields.get(name)
    if field is None or any(is_required_argument(argument) for argument in field.args.values()):
        return None
    named = get_named_type(field.type)
    return named, is_leaf_type(named)


@lru_cache(maxsize=256)
def _rules_for(
    rules: tuple[type[ASTValidationRule], ...], features: frozenset[str]
) -> tuple[type[ASTValidationRule], ...]:
    return tuple(
        rule
        for rule in rules
        if rule.__name__ not in CAN_FIRE or not CAN_FIRE[rule.__name__].isdisjoint(features)
    )


def document_features(document: DocumentNode) -> frozenset[str]:
    """What the document holds that some rule looks at (``CAN_FIRE``), in one walk.

    Anything unexpected (a node kind or attribute not handled here) yields
    ``EVERYTHING``, so that every rule runs.
    """
    found: set[str] = {ALWAYS}
    operations = 0
    stack: list[Node] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations += 1
            if definition.operation is not OperationType.QUERY:
                found.add(NOT_QUERY)
                if definition.operation is OperationType.SUBSCRIPTION:
                    found.add(SUBSCRIPTION)
        elif isinstance(definition, FragmentDefinitionNode):
            found.add(FRAGMENT_DEFINITIONS)
            if getattr(definition, "variable_definitions", None):  # experimental syntax
                return frozenset({EVERYTHING})
        else:
            return frozenset({EVERYTHING, NOT_EXECUTABLE})
        for variable in definition.variable_definitions or ():
            found.add(VARIABLE_DEFINITIONS)
            stack.append(variable)
        _add_directives(definition.directives, found, stack)
        stack.append(definition.selection_set)
    if operations > 1:
        found.add(OPERATIONS)
    while stack:
        node = stack.pop()
        if isinstance(node, SelectionSetNode):
            keys: set[str] = set()
            for selection in node.selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    if key in keys:
                        found.add(REPEATED_KEYS)
                    keys.add(key)
                    if selection.name.value in ("__schema", "__type"):
                        found.add(INTROSPECTION)
                    if selection.arguments:
                        found.add(ARGUMENTS)
                        stack.extend(selection.arguments)
                    _add_directives(selection.directives, found, stack)
                    if selection.selection_set is not None:
                        stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    found.add(SPREADS)
                    if getattr(selection, "arguments", None):  # experimental syntax
                        return frozenset({EVERYTHING})
                    _add_directives(selection.directives, found, stack)
                elif isinstance(selection, InlineFragmentNode):
                    found.add(INLINE_FRAGMENTS)
                    if selection.type_condition is not None:
                        found.add(TYPE_CONDITIONS)
                    _add_directives(selection.directives, found, stack)
                    stack.append(selection.selection_set)
                else:
                    return frozenset({EVERYTHING})
        elif isinstance(node, ArgumentNode):
            stack.append(node.value)
        elif isinstance(node, VariableDefinitionNode):
            _add_directives(node.directives, found, stack)
            if node.default_value is not None:
                stack.append(node.default_value)
        elif isinstance(node, VariableNode):
            found.add(VARIABLES)
        elif isinstance(node, ObjectValueNode):
            found.add(OBJECT_VALUES)
            stack.extend(field.value for field in node.fields)
        elif isinstance(node, ListValueNode):
            stack.extend(node.values)
        elif isinstance(node, DirectiveNode) and node.arguments:
            found.add(ARGUMENTS)
            stack.extend(node.arguments)
    return frozenset(found)


def _add_directives(
    directives: Iterable[DirectiveNode] | None, found: set[str], stack: list[Node]
) -> None:
    for directive in directives or ():
        found.add(DIRECTIVES)
        stack.append(directive)
