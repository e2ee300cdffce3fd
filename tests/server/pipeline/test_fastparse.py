"""``parse_fast`` builds graphql-core's tree exactly, or leaves the document to graphql-core.

Trees are compared strictly (``same_tree``): node classes, every key in field
order, ``loc.start``/``loc.end``, one shared ``Source``, the lazily made
tokens and ``token_count``, rather than ``==`` (which ignores the source and
compares locations by offsets only). Documents come from the grammars of
``test_validation`` and the served schema (hypothesis-graphql), damaged ones
from random edits, under this module's ``fastparse`` profile.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, GraphQLSyntaxError, Source, parse, print_ast, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from server.limits import LimitExceededError
from server.pipeline.documents import parse_document
from server.pipeline.fastparse import MAX_NESTING, parse_fast
from tests.profiles import profile
from tests.server.pipeline.test_validation import SCHEMA, documents, plausible_documents

PROFILE = profile("fastparse", 150, 1500, [HealthCheck.too_slow, HealthCheck.data_too_large])
LIMIT = 100_000


def same_tree(ours: Any, theirs: Any, source: Any = None, path: str = "document") -> None:
    """Assert ``ours`` is ``theirs`` node for node, key for key, location for location."""
    assert type(ours) is type(theirs), path
    if isinstance(ours, tuple):
        assert len(ours) == len(theirs), path
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same_tree(a, b, source, f"{path}[{index}]")
        return
    if not hasattr(type(ours), "__dataclass_fields__"):
        assert ours == theirs, path
        return
    assert list(vars(ours)) == list(vars(theirs)), path
    for key in type(ours).keys:
        if key != "loc":
            same_tree(getattr(ours, key), getattr(theirs, key), source, f"{path}.{key}")
            continue
        a, b = ours.loc, theirs.loc
        assert (a.start, a.end) == (b.start, b.end), path
        assert a.source.body == b.source.body, path
        assert source is None or a.source is source, path  # one Source for the document
        assert a.start_token == b.start_token, path
        assert a.end_token == b.end_token, path


def assert_parsed_alike(text: str) -> bool:
    """parse_fast agrees with graphql-core on ``text``; whether it handled it itself."""
    ours = parse_fast(text, LIMIT)
    try:
        theirs = parse(Source(text), max_tokens=LIMIT)
    except GraphQLSyntaxError:
        assert ours is None, text
        return False
    if ours is None:
        return False
    same_tree(ours, theirs, ours.loc.source)
    assert ours.token_count == theirs.token_count, text
    assert print_ast(ours) == print_ast(theirs), text
    return True


# --- valid documents -----------------------------------------------------------------------

PLAIN = [
    "{ a123: actors { nodes { name characters { name } } } }",
    'query Actors($n: String!) { actors(where: {name: {in: [$n, "Ada Bianchi", "Ada Garcia"]}}) '
    "{ nodes { name characters { name } } } }",
    '"described" query Q($a: [Int!]! = [1, -2.5e3, 0, 1E+2] @d(x: "\\u00e9\\n\\"")) @x '
    "{ ...F ... on A @y { b(o: {k: [null, true, false, ENUM, {}]}) } ... { c } e {} } "
    '"""\n  fragment\n   doc \\""" """ fragment F on Q @z { a # a comment\n }',
    "\ufeff mutation { a } , subscription S { b }\r\n# the end",
    'query { a(x: """ block """, y: "π ünïcödé 🎬") }',
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_are_handled(text: str) -> None:
    assert assert_parsed_alike(text), text


@settings(PROFILE)
@given(text=documents())
def test_grammar_documents(text: str) -> None:
    handled = assert_parsed_alike(text)
    if "type Extra" not in text:  # the grammar's documents parse; only SDL is left over
        assert handled, text


@settings(PROFILE)
@given(text=plausible_documents())
def test_plausible_documents(text: str) -> None:
    assert assert_parsed_alike(text), text


@settings(PROFILE)
@given(query=queries(SCHEMA))
def test_schema_queries(query: str) -> None:
    assert assert_parsed_alike(query), query


# --- damaged documents ---------------------------------------------------------------------

PIECES = ["", "{", "}", "$", "@", "...", "..", "x", "(", ")", '"', '"""', "#", "\n", "1", "-", "."]


@settings(PROFILE)
@given(
    text=st.one_of(documents(), plausible_documents()),
    edits=st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(PIECES)), max_size=4),
    cut=st.integers(0, 4000),
)
def test_damaged_documents(text: str, edits: list[tuple[int, str]], cut: int) -> None:
    for position, piece in edits:
        at = position % (len(text) + 1)
        text = text[:at] + piece + text[at + 1 :]
    assert_parsed_alike(text)
    assert_parsed_alike(text[: cut % (len(text) + 1)])


@settings(PROFILE)
@given(text=st.text(alphabet=st.sampled_from('{}()[]:$@!=."\\#,\n\r\t aqn1-eE_\ufeff\ud800é')))
def test_random_text(text: str) -> None:
    assert_parsed_alike(text)


# --- limits --------------------------------------------------------------------------------


def verdict(text: str, max_tokens: int) -> str:
    try:
        return print_ast(parse_document(text, max_tokens, 10**6).node)
    except LimitExceededError as error:
        return error.message


@pytest.mark.parametrize(
    "text",
    [
        "{ a123: actors { nodes { name characters { name } } } }",
        "# one\n# two\n{ a b c } # three",
    ],
)
def test_the_token_limit_gives_the_same_verdict(text: str) -> None:
    count = parse(Source(text)).token_count
    for limit in (count - 1, count, count + 1):
        try:
            expected = print_ast(parse(Source(text), max_tokens=limit))
        except GraphQLSyntaxError:
            expected = (
                f"Token limit exceeded: the document has more than {limit} tokens; "
                f"the limit is {limit}."
            )
        assert verdict(text, limit) == expected


def test_documents_near_the_limit_are_left_to_graphql_core() -> None:
    text = "{ a b c }"
    assert parse_fast(text, 5) is None  # exactly at the limit
    assert parse_fast(text, 6) is not None


@pytest.mark.parametrize(
    "nest",
    [
        lambda depth: "{ " + "a { " * (depth - 1) + "b" + " }" * depth,  # selection sets
        # lists, objects: inside the operation's selection set, one level of the nesting
        lambda depth: "{ a(x: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + ") }",
        lambda depth: "{ a(x: " + "{k: " * (depth - 1) + "1" + "}" * (depth - 1) + ") }",
        # selection sets and list values nested together
        lambda depth: (
            "{ "
            + "a { " * (depth // 2 - 1)
            + "b(x: "
            + "[" * (depth - depth // 2)
            + "1"
            + "]" * (depth - depth // 2)
            + ")"
            + " }" * (depth // 2)
        ),
    ],
)
def test_nesting_past_the_bound_is_left_to_graphql_core(nest: Any) -> None:
    """Up to ``MAX_NESTING`` the tree is built here (and is graphql-core's); past it the
    document goes to graphql-core, whose tree the pipeline then gets all the same."""
    assert assert_parsed_alike(nest(MAX_NESTING))
    deep = nest(MAX_NESTING + 1)
    assert parse_fast(deep, LIMIT) is None
    assert not assert_parsed_alike(deep)
    same_tree(parse_document(deep, LIMIT, 10**6).node, parse(Source(deep), max_tokens=LIMIT))


# --- errors located alike ------------------------------------------------------------------


def locations(errors: list[GraphQLError]) -> list[Any]:
    return [(error.message, error.locations) for error in errors]


@settings(PROFILE)
@given(text=documents())
def test_validation_errors_are_located_alike(text: str) -> None:
    try:
        theirs = parse(Source(text))
    except GraphQLSyntaxError:
        return
    ours = parse_document(text, LIMIT, 10**7).node
    assert locations(validate(SCHEMA, ours)) == locations(validate(SCHEMA, theirs))
