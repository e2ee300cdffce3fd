"""A parser for executable documents, written for speed; graphql-core's ``parse`` is the oracle.

Written for speed: a document the server has never seen is parsed on every
request (issue 17), and graphql-core's ``parse``, which reads a character at a
time and links a ``Token`` per token, took about 75-100 µs of the ~530 µs such
a request costs for ``{ a1: actors { nodes { name characters { name } } } }``.
This parser lexes with one regular expression (``re.findall`` in C) and builds
the same syntax tree directly; ``bench/parse.py`` measures both in one run
(``time.process_time``, 2,000 parses, best of 3 rounds on a busy machine: the
small query 16.9 against 56.0 µs, 3.3x; the (f) variables document 37.9
against 130.7 µs; GraphiQL's default query 46.6 against 161.9 µs).

``parse_fast(text, max_tokens)`` returns a ``DocumentNode`` equal to what
``graphql.parse(Source(text))`` returns: the same node classes, field values
(in the same order in each node's ``__dict__``), ``loc.start``/``loc.end``
and one ``Source`` shared by every location, so ``GraphQLError`` computes the
same ``locations`` and ``print_ast`` prints the same text; the document's
``token_count`` is graphql-core's too. For anything else it returns None and
the caller parses with graphql-core, which gives its own errors and limits:

- any syntax error (nothing here ever reports one);
- type-system definitions and extensions (schema SDL), and experimental syntax;
- string escapes other than the simple ones and ``\\uXXXX`` outside the
  surrogates; lone or paired surrogates anywhere;
- ``max_tokens`` tokens or more, counted as graphql-core counts them for its
  limit (every token but ``<SOF>``/``<EOF>``, comments included), and texts
  longer than ``CHARACTERS_PER_TOKEN`` characters a token allowed, so that a
  huge document is not lexed whole before the limit is noticed;
- selection sets, lists, objects and list types nested (together) more than
  ``MAX_NESTING`` deep: graphql-core counts the same nesting up to 200 and
  may exhaust the interpreter's stack before that; well below both, its
  verdict is always a tree.

Tokens: a graphql-core ``Location`` also holds ``start_token`` and
``end_token``. Nothing in graphql-core reads them after parsing (its errors,
``print_location``, ``get_locations``, ``ast_to_dict`` and the validation rules
read ``loc.start``, ``loc.end`` and ``loc.source``), nothing in this project
does, and in Strawberry only the Apollo federation tracing extension does
(``loc.start_token.line``), which this server does not install. Building a
token per token would cost what this module saves, so the locations here are
``_Location``, a ``Location`` whose two tokens are made when first read, by
lexing the source again at the location: real ``Token`` objects with the same
kind, offsets, line, column and value as graphql-core's, but not linked to
their neighbours (``prev``/``next`` are None).
"""

from __future__ import annotations

import re
from itertools import accumulate, chain
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    Location,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    StringValueNode,
    Token,
    TokenKind,
    VariableDefinitionNode,
    VariableNode,
)
from graphql.language.block_string import dedent_block_string_lines

__all__ = ["CHARACTERS_PER_TOKEN", "MAX_NESTING", "parse_fast"]

# Texts longer than this many characters per allowed token are left to graphql-core,
# which stops at its limit without lexing the rest; generous for real documents
# (GraphiQL's pretty-printed ones have 4-8 characters a token).
CHARACTERS_PER_TOKEN = 16

# Selection sets, lists, objects and list types nested together deeper than this are
# left to graphql-core (its own bound is 200, or the interpreter's stack).
MAX_NESTING = 32

# One match per token: the ignored characters before it (white space, commas, the BOM,
# comments), then the token, or the end of the text (an empty token). Repetitions are
# possessive so that nothing is re-read differently after a failure: a character no
# token can start with is skipped by ``findall``, which the caller notices because the
# matches no longer cover the text. Surrogates are never matched, so a text with any
# is left to graphql-core (which accepts well-formed pairs in strings and comments).
_IGNORED = r"(?:[ \t,\ufeff\n\r]|#[^\n\r\ud800-\udfff]*+)*+"
_NAME = r"[_A-Za-z][_0-9A-Za-z]*+"
_PUNCTUATOR = r"[!$&():=@\[\]{}|]|\.\.\."
# graphql-core refuses a number followed by a digit, "." or a name start; with the
# lookahead every shorter reading of such a number fails too.
_NUMBER = r"-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?(?![._A-Za-z0-9])"
_BLOCK_STRING = r'"""(?:\\"""|[^"\\\ud800-\udfff]|"(?!"")|\\)*+"""'
_STRING = r'"(?!"")(?:[^"\\\n\r\ud800-\udfff]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*+"'
_TOKENS = re.compile(f"({_IGNORED})({_NAME}|{_PUNCTUATOR}|{_NUMBER}|{_BLOCK_STRING}|{_STRING}|\\Z)")
_COMMENT = re.compile(r"#[^\n\r]*")
_ESCAPE = re.compile(r"\\(?:u(....)|(.))")
_ESCAPED = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LINES = re.compile(r"\r\n|[\n\r]")

_NAME_START = frozenset("_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NUMBER_START = frozenset("-0123456789")
_OPERATIONS = {
    "query": OperationType.QUERY,
    "mutation": OperationType.MUTATION,
    "subscription": OperationType.SUBSCRIPTION,
}

_new = object.__new__


class _UnhandledError(Exception):
    """Raised inside the builder for anything left to graphql-core."""


class _Location(Location):
    """A ``Location`` whose tokens are lexed from its source when first read."""

    __slots__ = ()

    @property
    def start_token(self) -> Token:
        try:
            return _START_TOKEN.__get__(self, Location)  # type: ignore[no-any-return]
        except AttributeError:
            token = _token_at(self.source, self.start)
            _START_TOKEN.__set__(self, token)
            return token

    @start_token.setter
    def start_token(self, token: Token) -> None:
        _START_TOKEN.__set__(self, token)

    @property
    def end_token(self) -> Token:
        try:
            return _END_TOKEN.__get__(self, Location)  # type: ignore[no-any-return]
        except AttributeError:
            token = _token_ending(self.source, self.start, self.end)
            _END_TOKEN.__set__(self, token)
            return token

    @end_token.setter
    def end_token(self, token: Token) -> None:
        _END_TOKEN.__set__(self, token)


_START_TOKEN: Any = Location.__dict__["start_token"]
_END_TOKEN: Any = Location.__dict__["end_token"]


def _token_at(source: Source, start: int) -> Token:
    """The token graphql-core's lexer makes for the one at ``start`` of ``source``."""
    match = _TOKENS.match(source.body, start)
    assert match is not None
    assert match.start(2) == start
    return _token(source, match.group(2), start)


def _token_ending(source: Source, start: int, end: int) -> Token:
    """The token ending at ``end``, of those from ``start`` on."""
    for match in _TOKENS.finditer(source.body, start):
        if match.end(2) == end:
            return _token(source, match.group(2), match.start(2))
    raise AssertionError("no token ends there")  # pragma: no cover


def _token(source: Source, text: str, start: int) -> Token:
    line, column = source.get_location(start)
    head = text[:1]
    if head in _NAME_START:
        return Token(TokenKind.NAME, start, start + len(text), line, column, text)
    if head in _NUMBER_START:
        kind = TokenKind.FLOAT if any(c in text for c in ".eE") else TokenKind.INT
        return Token(kind, start, start + len(text), line, column, text)
    if head == '"':
        kind = TokenKind.BLOCK_STRING if text.startswith('"""') else TokenKind.STRING
        value = _string_value(text)
        return Token(kind, start, start + len(text), line, column, value)
    return Token(TokenKind(text), start, start + len(text), line, column)


class _DocumentLocation(Location):
    """The document's location: from graphql-core's ``<SOF>`` token to its ``<EOF>``."""

    __slots__ = ()

    @property
    def start_token(self) -> Token:  # type: ignore[override]
        return Token(TokenKind.SOF, 0, 0, 0, 0)

    @property
    def end_token(self) -> Token:  # type: ignore[override]
        line, column = self.source.get_location(self.end)
        return Token(TokenKind.EOF, self.end, self.end, line, column)


def _string_value(token: str) -> str:
    """The value of a string token: escapes decoded, a block string's lines dedented."""
    if token.startswith('"""'):
        lines = _LINES.split(token[3:-3].replace('\\"""', '"""'))
        return "\n".join(dedent_block_string_lines(lines))
    body = token[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match[str]) -> str:
    hexadecimal, character = match.groups()
    if character is not None:
        return _ESCAPED[character]
    code = int(hexadecimal, 16)
    if 0xD800 <= code <= 0xDFFF:  # graphql-core pairs them, or refuses a lone one
        raise _UnhandledError
    return chr(code)


def parse_fast(text: str, max_tokens: int) -> DocumentNode | None:
    """``text``'s document as graphql-core parses it, or None to leave it to graphql-core.

    >>> parse_fast("{ actors { nodes { name } } }", 100).definitions[0].operation
    <OperationType.QUERY: 'query'>
    >>> parse_fast("type Query { a: Int }", 100) is None
    True
    """
    if len(text) > CHARACTERS_PER_TOKEN * max_tokens:
        return None
    pieces = _TOKENS.findall(text)
    if len(pieces) > 1 and not pieces[-2][1]:  # trailing ignored text, then a second empty end
        pieces.pop()
    count = len(pieces) - 1  # the last piece is the end of the text
    if count >= max_tokens:
        return None
    flat = list(chain.from_iterable(pieces))  # ignored, token, ignored, token, ...
    offsets = list(accumulate(map(len, flat)))
    if offsets[-1] != len(text):  # a character no token starts with
        return None
    if "#" in text:
        # A comment runs to the end of its line, so runs of ignored characters joined by
        # line breaks hold the same comments.
        count += len(_COMMENT.findall("\n".join(flat[0::2])))
        if count >= max_tokens:
            return None
    try:
        document = _Builder(Source(text), flat[1::2], offsets).document()
    except _UnhandledError:
        return None
    object.__setattr__(document, "token_count", count)
    return document


class _Builder:
    """Recursive descent over the tokens, building graphql-core's nodes without ``__init__``.

    The nodes are frozen dataclasses whose generated ``__init__`` sets each
    field through ``object.__setattr__``: filling the instance's ``__dict__``
    in field order makes the same object in a third of the time. Token ``i``
    spans ``offsets[2 * i]`` to ``offsets[2 * i + 1]``; the last token is
    ``""``, the end of the text.
    """

    __slots__ = ("depth", "i", "offsets", "source", "tokens")

    def __init__(self, source: Source, tokens: list[str], offsets: list[int]) -> None:
        self.source = source
        self.tokens = tokens
        self.offsets = offsets
        self.i = 0
        self.depth = 0

    def location(self, first: int) -> _Location:
        """From token ``first`` to the last one consumed."""
        loc = _new(_Location)
        loc.start = self.offsets[2 * first]
        loc.end = self.offsets[2 * self.i - 1]
        loc.source = self.source
        return loc

    def expect(self, token: str) -> None:
        if self.tokens[self.i] != token:
            raise _UnhandledError
        self.i += 1

    def name(self) -> NameNode:
        i = self.i
        value = self.tokens[i]
        if value[:1] not in _NAME_START:
            raise _UnhandledError
        self.i = i + 1
        loc = _new(_Location)
        loc.start = self.offsets[2 * i]
        loc.end = self.offsets[2 * i + 1]
        loc.source = self.source
        node = _new(NameNode)
        node.__dict__.update(loc=loc, value=value)
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _UnhandledError

    # --- definitions -------------------------------------------------------------------

    def document(self) -> DocumentNode:
        tokens = self.tokens
        definitions = [self.definition()]
        while tokens[self.i]:
            definitions.append(self.definition())
        loc = _new(_DocumentLocation)
        loc.start = 0
        loc.end = len(self.source.body)
        loc.source = self.source
        node = _new(DocumentNode)
        node.__dict__.update(loc=loc, definitions=tuple(definitions))
        return node

    def definition(self) -> OperationDefinitionNode | FragmentDefinitionNode:
        tokens = self.tokens
        first = self.i
        token = tokens[first]
        if token == "{":
            selection_set = self.selection_set()
            node = _new(OperationDefinitionNode)
            node.__dict__.update(
                loc=self.location(first),
                selection_set=selection_set,
                description=None,
                name=None,
                variable_definitions=None,
                directives=None,
                operation=OperationType.QUERY,
            )
            return node
        description = self.description()
        keyword = tokens[self.i]
        operation = _OPERATIONS.get(keyword)
        if operation is not None:
            self.i += 1
            name = self.name() if tokens[self.i][:1] in _NAME_START else None
            variable_definitions = self.variable_definitions()
            directives = self.directives(False)
            selection_set = self.selection_set()
            node = _new(OperationDefinitionNode)
            node.__dict__.update(
                loc=self.location(first),
                selection_set=selection_set,
                description=description,
                name=name,
                variable_definitions=variable_definitions,
                directives=directives,
                operation=operation,
            )
            return node
        if keyword == "fragment":
            self.i += 1
            if tokens[self.i] == "on":
                raise _UnhandledError
            name = self.name()
            self.expect("on")
            type_condition = self.named_type()
            directives = self.directives(False)
            selection_set = self.selection_set()
            fragment = _new(FragmentDefinitionNode)
            fragment.__dict__.update(
                loc=self.location(first),
                selection_set=selection_set,
                description=description,
                name=name,
                variable_definitions=(),
                directives=directives,
                type_condition=type_condition,
            )
            return fragment
        raise _UnhandledError  # type-system definitions and extensions, or not GraphQL

    def description(self) -> StringValueNode | None:
        if self.tokens[self.i][:1] == '"':
            return self.string()
        return None

    def variable_definitions(self) -> tuple[VariableDefinitionNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "(":
            return None
        self.i += 1
        definitions = [self.variable_definition()]
        while tokens[self.i] != ")":
            definitions.append(self.variable_definition())
        self.i += 1
        return tuple(definitions)

    def variable_definition(self) -> VariableDefinitionNode:
        first = self.i
        description = self.description()
        variable = self.variable()
        self.expect(":")
        type_ = self.type_reference()
        if self.tokens[self.i] == "=":
            self.i += 1
            default_value = self.value(True)
        else:
            default_value = None
        directives = self.directives(True)
        node = _new(VariableDefinitionNode)
        node.__dict__.update(
            loc=self.location(first),
            description=description,
            variable=variable,
            type=type_,
            default_value=default_value,
            directives=directives,
        )
        return node

    def variable(self) -> VariableNode:
        first = self.i
        self.expect("$")
        name = self.name()
        node = _new(VariableNode)
        node.__dict__.update(loc=self.location(first), name=name)
        return node

    def type_reference(self) -> NamedTypeNode | ListTypeNode | NonNullTypeNode:
        first = self.i
        type_: NamedTypeNode | ListTypeNode
        if self.tokens[first] == "[":
            self.i += 1
            self.enter()
            inner = self.type_reference()
            self.depth -= 1
            self.expect("]")
            type_ = _new(ListTypeNode)
            type_.__dict__.update(loc=self.location(first), type=inner)
        else:
            type_ = self.named_type()
        if self.tokens[self.i] == "!":
            self.i += 1
            non_null = _new(NonNullTypeNode)
            non_null.__dict__.update(loc=self.location(first), type=type_)
            return non_null
        return type_

    def named_type(self) -> NamedTypeNode:
        first = self.i
        name = self.name()
        node = _new(NamedTypeNode)
        node.__dict__.update(loc=self.location(first), name=name)
        return node

    # --- selections --------------------------------------------------------------------

    def selection_set(self) -> SelectionSetNode:
        self.enter()
        tokens = self.tokens
        first = self.i
        if tokens[first] != "{":
            raise _UnhandledError
        self.i += 1
        selections: list[FieldNode | FragmentSpreadNode | InlineFragmentNode] = []
        while True:
            token = tokens[self.i]
            if token == "}":
                break
            selections.append(self.fragment() if token == "..." else self.field())
        self.i += 1
        self.depth -= 1
        node = _new(SelectionSetNode)
        node.__dict__.update(loc=self.location(first), selections=tuple(selections))
        return node

    def field(self) -> FieldNode:
        tokens = self.tokens
        first = self.i
        name = self.name()
        alias: NameNode | None = None
        if tokens[self.i] == ":":
            self.i += 1
            alias, name = name, self.name()
        arguments = self.arguments(False) if tokens[self.i] == "(" else None
        directives = self.directives(False) if tokens[self.i] == "@" else None
        selection_set = self.selection_set() if tokens[self.i] == "{" else None
        node = _new(FieldNode)
        node.__dict__.update(
            loc=self.location(first),
            directives=directives,
            name=name,
            alias=alias,
            arguments=arguments,
            selection_set=selection_set,
        )
        return node

    def fragment(self) -> FragmentSpreadNode | InlineFragmentNode:
        tokens = self.tokens
        first = self.i
        self.i += 1  # the "..."
        on = tokens[self.i] == "on"
        if on:
            self.i += 1
        elif tokens[self.i][:1] in _NAME_START:
            name = self.name()
            directives = self.directives(False)
            spread = _new(FragmentSpreadNode)
            spread.__dict__.update(
                loc=self.location(first), directives=directives, name=name, arguments=None
            )
            return spread
        type_condition = self.named_type() if on else None
        directives = self.directives(False)
        selection_set = self.selection_set()
        node = _new(InlineFragmentNode)
        node.__dict__.update(
            loc=self.location(first),
            directives=directives,
            selection_set=selection_set,
            type_condition=type_condition,
        )
        return node

    def arguments(self, const: bool) -> tuple[ArgumentNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "(":
            return None
        self.i += 1
        arguments = []
        while True:
            first = self.i
            name = self.name()
            self.expect(":")
            value = self.value(const)
            argument = _new(ArgumentNode)
            argument.__dict__.update(loc=self.location(first), name=name, value=value)
            arguments.append(argument)
            if tokens[self.i] == ")":
                break
        self.i += 1
        return tuple(arguments)

    def directives(self, const: bool) -> tuple[DirectiveNode, ...] | None:
        tokens = self.tokens
        if tokens[self.i] != "@":
            return None
        directives = []
        while tokens[self.i] == "@":
            first = self.i
            self.i += 1
            name = self.name()
            arguments = self.arguments(const)
            directive = _new(DirectiveNode)
            directive.__dict__.update(loc=self.location(first), name=name, arguments=arguments)
            directives.append(directive)
        return tuple(directives)

    # --- values ------------------------------------------------------------------------

    def value(self, const: bool) -> Any:
        i = self.i
        token = self.tokens[i]
        head = token[:1]
        node: Any
        if head in _NAME_START:
            self.i = i + 1
            if token == "true":
                node = _new(BooleanValueNode)
                node.__dict__.update(loc=self.location(i), value=True)
            elif token == "false":
                node = _new(BooleanValueNode)
                node.__dict__.update(loc=self.location(i), value=False)
            elif token == "null":
                node = _new(NullValueNode)
                node.__dict__.update(loc=self.location(i))
            else:
                node = _new(EnumValueNode)
                node.__dict__.update(loc=self.location(i), value=token)
            return node
        if head in _NUMBER_START:
            self.i = i + 1
            node = _new(
                FloatValueNode if "." in token or "e" in token or "E" in token else IntValueNode
            )
            node.__dict__.update(loc=self.location(i), value=token)
            return node
        if head == '"':
            return self.string()
        if head == "$":
            if const:
                raise _UnhandledError
            return self.variable()
        if head == "[":
            self.enter()
            self.i = i + 1
            values = []
            while self.tokens[self.i] != "]":
                values.append(self.value(const))
            self.i += 1
            self.depth -= 1
            node = _new(ListValueNode)
            node.__dict__.update(loc=self.location(i), values=tuple(values))
            return node
        if head == "{":
            self.enter()
            self.i = i + 1
            fields = []
            while self.tokens[self.i] != "}":
                first = self.i
                name = self.name()
                self.expect(":")
                value = self.value(const)
                field = _new(ObjectFieldNode)
                field.__dict__.update(loc=self.location(first), name=name, value=value)
                fields.append(field)
            self.i += 1
            self.depth -= 1
            node = _new(ObjectValueNode)
            node.__dict__.update(loc=self.location(i), fields=tuple(fields))
            return node
        raise _UnhandledError

    def string(self) -> StringValueNode:
        i = self.i
        token = self.tokens[i]
        self.i = i + 1
        node = _new(StringValueNode)
        node.__dict__.update(
            loc=self.location(i), value=_string_value(token), block=token.startswith('"""')
        )
        return node
