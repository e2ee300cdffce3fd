"""The validate stage gives graphql-core's verdict exactly, running only the rules that can fire.

Each generated document is validated twice: by ``Validator`` (the rules its
features can break) and by graphql-core's ``validate`` with every rule; the
errors (messages, locations, extensions) must be the same list, in the same
order, with introspection on and off. Documents come from the served schema
(hypothesis-graphql: valid ones and ones it makes invalid on purpose, some
with characters changed) and from a grammar of fragments, variables,
directives, arguments, aliases, several operations and introspection, most
of them invalid somewhere.

Example counts are the ``validation`` hypothesis profile's below (derandomised,
so CI sees the same documents); ``HYPOTHESIS_EXPLORE=1`` explores ten times as
many new ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, GraphQLSchema, GraphQLSyntaxError, parse, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, queries

from server.app import served_schema
from server.pipeline.documents import parse_document
from server.pipeline.validation import (
    ALWAYS,
    CAN_FIRE,
    EVERYTHING,
    Validator,
    document_features,
)
from server.settings import Settings
from tests.profiles import profile

PROFILE = profile("validation", 150, 1500, [HealthCheck.too_slow, HealthCheck.data_too_large])

SCHEMA: GraphQLSchema = served_schema(Settings())._schema
OPEN = Validator(SCHEMA, introspection=True)
CLOSED = Validator(SCHEMA, introspection=False)


def formatted(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    return [error.formatted for error in errors]


def assert_same_verdict(text: str) -> None:
    """Both validators (introspection on and off) agree with graphql-core on ``text``."""
    try:
        node = parse(text)
    except GraphQLSyntaxError:
        return  # not a document: nothing to validate
    for validator in (OPEN, CLOSED):
        expected = validate(
            SCHEMA, node, validator.rules, hide_suggestions=validator.hide_suggestions
        )
        document = parse_document(text, max_tokens=100_000, max_length=10**7)
        assert formatted(validator.errors(document)) == formatted(expected), text


# --- documents from the served schema -----------------------------------------------------


@settings(PROFILE)
@given(query=queries(SCHEMA))
def test_valid_generated_queries(query: str) -> None:
    assert_same_verdict(query)


@settings(PROFILE)
@given(query=from_schema(SCHEMA, mode=Mode.NEGATIVE))
def test_invalid_generated_queries(query: str) -> None:
    assert_same_verdict(query)


@settings(PROFILE)
@given(
    query=queries(SCHEMA),
    edits=st.lists(
        st.tuples(st.integers(0, 2000), st.sampled_from(["", "{", "}", "$", "@", "...", "x", "("])),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_generated_queries(query: str, edits: list[tuple[int, str]]) -> None:
    for position, text in edits:
        at = position % (len(query) + 1)
        query = query[:at] + text + query[at + 1 :]
    assert_same_verdict(query)


# --- documents from a grammar of the features the rules look at ----------------------------

FIELDS = [
    "actors",
    "shows",
    "characters",
    "nodes",
    "edges",
    "node",
    "name",
    "id",
    "seasons",
    "number",
    "episodes",
    "title",
    "portrayals",
    "role",
    "actor",
    "totalCount",
    "pageInfo",
    "hasNextPage",
    "cursor",
    "__typename",
    "__schema",
    "__type",
    "types",
    "fields",
    "ofType",
    "kind",
    "queryType",
    "graphChanged",
    "createShow",
    "bogus",
]
ALIASES = ["", "", "", "a: ", "b: ", "name: ", "nodes: "]
ARGUMENTS = [
    "",
    "",
    "",
    "(first: 2)",
    "(first: $m)",
    '(first: "x")',
    "(first: null)",
    "(first: 1, first: 2)",
    '(where: {name: {eq: "Jenny"}})',
    '(where: {name: {in: [$n, "B"]}})',
    "(where: {nme: {eq: 1}})",
    '(where: {name: {eq: "a", eq: "b"}})',
    '(id: "abc")',
    "(id: $n)",
    '(name: "__Type")',
    "(number: 1)",
    "(bogus: 1)",
    "(first: $undefined)",
    "(after: $m)",
]
DIRECTIVES = [
    "",
    "",
    "",
    "",
    " @include(if: true)",
    " @skip(if: $b)",
    " @include",
    " @unknown",
    " @include(if: true) @include(if: false)",
    " @defer",
    ' @defer(label: "x")',
    " @stream(initialCount: 1)",
    " @skip(if: 1)",
]
TYPES = ["Actor", "Character", "Show", "Query", "Node", "String", "Bogus", "ActorConnection"]
VARIABLES = [
    "$n: String!",
    "$n: String",
    "$m: Int = 3",
    "$m: Int",
    "$b: Boolean!",
    "$x: Actor",
    "$n: Strin",
    '$w: ActorWhere = {name: {eq: "x"}}',
    '$m: Int = "three"',
    "$n: String! @unknown",
    "$unused: ID",
]
FRAGMENT_NAMES = ["F", "G", "H"]


@st.composite
def selection_set(draw: st.DrawFn, depth: int = 0) -> str:
    """``{ ... }`` with one to three selections, nested up to three levels deep."""
    selections = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["field"] * 5 + ["spread", "inline"]))
        if kind == "field":
            field = draw(st.sampled_from(ALIASES)) + draw(st.sampled_from(FIELDS))
            field += draw(st.sampled_from(ARGUMENTS)) + draw(st.sampled_from(DIRECTIVES))
            if depth < 2 and draw(st.booleans()):
                field += " " + draw(selection_set(depth + 1))
            selections.append(field)
        elif kind == "spread":
            selections.append(
                "..." + draw(st.sampled_from(FRAGMENT_NAMES)) + draw(st.sampled_from(DIRECTIVES))
            )
        else:
            condition = draw(st.sampled_from(["", *(f" on {name}" for name in TYPES)]))
            directives = draw(st.sampled_from(DIRECTIVES))
            inner = draw(selection_set(depth + 1)) if depth < 2 else "{ __typename }"
            selections.append(f"...{condition}{directives} {inner}")
    return "{ " + " ".join(selections) + " }"


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A document of operations and fragments (sometimes a type definition)."""
    definitions = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["", "query", "query", "mutation", "subscription"]))
        selections = draw(selection_set())
        if not kind:
            definitions.append(selections)
            continue
        name = draw(st.sampled_from(["", " Q", " Q", " R"]))
        variables = draw(st.lists(st.sampled_from(VARIABLES), max_size=3))
        declared = f"({', '.join(variables)})" if variables else ""
        directives = draw(st.sampled_from(DIRECTIVES))
        definitions.append(f"{kind}{name}{declared}{directives} {selections}")
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(FRAGMENT_NAMES))
        condition = draw(st.sampled_from(TYPES))
        directives = draw(st.sampled_from(DIRECTIVES))
        definitions.append(f"fragment {name} on {condition}{directives} {draw(selection_set())}")
    if draw(st.integers(0, 20)) == 0:
        definitions.append("type Extra { a: Int }")
    order = draw(st.permutations(definitions))
    return "\n".join(order)


@settings(PROFILE)
@given(text=documents())
def test_documents_with_every_feature(text: str) -> None:
    assert_same_verdict(text)


@st.composite
def plausible_documents(draw: st.DrawFn) -> str:
    """Documents with fragments, variables and directives that are mostly valid.

    Each piece is right for where it goes and declares exactly the variables it
    uses, unless one of the few wrong choices is drawn.
    """
    used: dict[str, str] = {}
    fragments: list[str] = []

    def variable(name: str, kind: str) -> str:
        used[name] = kind
        return f"${name}"

    def directive() -> str:
        choice = draw(st.sampled_from(["", "", "include", "skip", "defer", "both"]))
        if choice == "include":
            return f" @include(if: {variable('b', 'Boolean!')})"
        if choice == "skip":
            return " @skip(if: false)"
        if choice == "both":
            return f" @include(if: true) @skip(if: {variable('c', 'Boolean = false')})"
        return " @unknown" if choice == "defer" and draw(st.integers(0, 9)) == 0 else ""

    def character() -> str:
        return "{ name" + directive() + " __typename }"

    def actor() -> str:
        parts = ["name" + directive()]
        if draw(st.booleans()):
            parts.append("characters " + character())
        if draw(st.booleans()):
            fragments.append("fragment ActorBits on Actor { id name }")
            parts.append("...ActorBits" + directive())
        if draw(st.booleans()):
            parts.append("... on Actor" + directive() + " { alias: name }")
        if draw(st.integers(0, 9)) == 0:
            parts.append("alias: id")  # conflicts with an "alias: name" (or not)
        return "{ " + " ".join(parts) + " }"

    arguments = draw(st.sampled_from(["", "first", "where", "both", "wrong"]))
    given = ""
    if arguments in ("first", "both"):
        given = f"first: {variable('m', draw(st.sampled_from(['Int', 'Int = 2', 'Int!'])))}"
    if arguments in ("where", "both"):
        names = f'[{variable("n", "String!")}, "Someone"]'
        given += (", " if given else "") + f"where: {{name: {{in: {names}}}}}"
    if arguments == "wrong":
        given = f"first: {variable('n', 'String')}"  # a variable in the wrong position
    root = f"actors({given})" if given else "actors"
    body = f"{{ {root}{directive()} {{ nodes {actor()} totalCount }} }}"
    if draw(st.integers(0, 9)) == 0:
        used["unused"] = "ID"
    declared = ", ".join(f"${name}: {kind}" for name, kind in used.items())
    head = f"query Q({declared})" if declared else draw(st.sampled_from(["", "query", "query Q"]))
    return "\n".join([f"{head} {body}", *dict.fromkeys(fragments)])


@settings(PROFILE)
@given(text=plausible_documents())
def test_mostly_valid_documents_with_features(text: str) -> None:
    assert_same_verdict(text)


# --- the cases by hand ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{ actors { nodes { name characters { name } } } }",
        "{ actors { nodes { name name: id } } }",  # a repeated key that conflicts
        "{ actors { nodes { a: name a: name } } }",  # one that does not
        "{ actors { nodes } }",  # a missing selection
        "{ actors { nodes { name { x } } } }",  # a selection on a leaf
        "{ node { id } }",  # a missing required argument
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        '{ __type(name: "Actor") { name } }',
        "subscription { graphChanged { __typename } a: graphChanged { __typename } }",
        "mutation { __typename }",
        "{ a } { b }",
        "query Q { __typename } query Q { __typename }",
        "fragment F on Actor { name } { actors { nodes { ...F ...F } } }",
        "fragment F on Actor { ...F } { actors { nodes { ...F } } }",
        "query($n: String) { actors(where: {name: {eq: $n}}) { totalCount } }",
        "type Extra { a: Int } { __typename }",
    ],
)
def test_chosen_documents(text: str) -> None:
    assert_same_verdict(text)


def test_the_small_query_runs_three_rules() -> None:
    """The document the benchmark's new-document case sends meets only what it can break."""
    node = parse("{ a1: actors { nodes { name characters { name } } } }")
    assert document_features(node) == {ALWAYS}
    names = [rule.__name__ for rule in OPEN.rules_for(document_features(node))]
    assert names == ["ScalarLeafsRule", "FieldsOnCorrectTypeRule", "ProvidedRequiredArgumentsRule"]


def test_every_rule_is_accounted_for() -> None:
    """A rule that graphql-core adds one day runs until this module learns about it."""
    for rule in CLOSED.rules:
        assert rule.__name__ in CAN_FIRE, rule.__name__
    unknown = type("SomeNewRule", (CLOSED.rules[0],), {})
    validator = Validator(SCHEMA, introspection=True)
    validator.rules = (*validator.rules, unknown)
    assert unknown in validator.rules_for(frozenset({ALWAYS}))


def test_a_type_definition_runs_every_rule() -> None:
    node = parse("type Extra { a: Int } { __typename }")
    assert EVERYTHING in document_features(node)
    assert OPEN.rules_for(document_features(node)) == OPEN.rules


def test_documents_of_fields_alone_are_judged_in_one_walk(monkeypatch: Any) -> None:
    """The small query under a new alias never reaches graphql-core's validate; a document
    of fields alone that breaks a rule does, so its errors are graphql-core's own."""
    import server.pipeline.validation as validation

    calls: list[str] = []
    real = validation.validate

    def counting(schema: Any, node: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("validate")
        return real(schema, node, *args, **kwargs)

    monkeypatch.setattr(validation, "validate", counting)
    for validator in (OPEN, CLOSED):
        assert validator._plain_rules
        for text in (
            "{ a1: actors { nodes { name characters { name } } } }",
            "{ __typename shows { nodes { __typename name } } }",
        ):
            document = parse_document(text, max_tokens=100_000, max_length=10**7)
            assert validator.errors(document) == []
    assert calls == []
    for text in (
        "{ actors }",  # a selection missing
        "{ actors { nodes { name { x } } } }",  # a leaf with one
        "{ actors { nope } }",
        "{ node { id } }",  # a required argument missing
        "{ search { score } }",
    ):
        assert_same_verdict(text)
        document = parse_document(text, max_tokens=100_000, max_length=10**7)
        assert OPEN.errors(document)
    assert len(calls) == 5 * 3  # two validators in assert_same_verdict, then OPEN
