"""The parse stage: a document read once, its limits enforced while it is lexed.

graphql-core's parser stops at the first token over ``max_tokens`` and at a
source longer than ``max_source_length`` before lexing at all, so a huge
document costs the server what the limit allows, not what the client sent.
A document is first given to ``fastparse.parse_fast``, which builds the
same tree several times faster for the documents it handles and leaves the
rest (syntax errors, documents near the token limit, SDL, ...) to
graphql-core, so errors and limits are graphql-core's as before.

A parsed document is kept (``Documents``) with everything later stages work
out from it alone, so a repeated document is parsed and validated once: its
operations and fragments by name, its validation errors, how often it ran,
and the compiled plans of its operations; a document is kept from its second
sighting on (``Documents._seen_before``). The cache is bounded by an
estimate of the bytes those take, not by a count of entries: 300 distinct
1 MB documents once grew a count-bounded cache by 1.2 GiB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSyntaxError,
    Node,
    OperationDefinitionNode,
    Source,
    parse,
)

from server.caching import Sightings
from server.limits import LimitExceededError, describe
from server.pipeline.fastparse import parse_fast

# Bytes a parsed document holds per character of its text: the syntax tree
# measured with tracemalloc on small and 300-field documents (125-136 bytes),
# rounded up; a compiled plan is counted as much again.
BYTES_PER_CHARACTER = 150

# Texts seen once remembered (by hash) so that a second sighting keeps the document.
SEEN_TEXTS = 16_384


@dataclass(slots=True, eq=False)
class Document:
    """One parsed document and what later stages learnt about it."""

    text: str
    node: DocumentNode
    operations: list[OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]
    errors: list[GraphQLError] | None = None  # validation's verdict, once validated
    features: frozenset[str] | None = None  # what validation found in it (``validation``)
    runs: int = 0  # successful runs of the reference executor, for tiered execution
    plans: dict[str | None, Any] = field(default_factory=dict)  # operation name -> Plan | None
    # The limits' verdicts (the cost estimate) by operation, graph version and the values
    # of the variables they read (``Pipeline.prepare``), and which variables those are.
    verdicts: dict[tuple[Any, ...], int] = field(default_factory=dict)
    verdict_inputs: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # By operation: its ``server.pipeline.variables.PlainVariables``, or None.
    coercers: dict[int, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Estimated bytes held: the tree, and a plan's worth again once it has plans."""
        return len(self.text) * BYTES_PER_CHARACTER * (2 if self.plans else 1)


def parse_document(
    text: str,
    max_tokens: int,
    max_length: int,
    max_directives: int | None = None,
    max_depth: int = 0,
) -> Document:
    """Parse ``text``; a ``GraphQLError`` (syntax or limit) when it cannot be.

    ``max_directives`` bounds the directives on any one node of the document:
    checked here, before validation, so a field with a thousand directives
    gets one clear error rather than a hundred "may only be used once" ones.
    """
    if len(text) > max_length:
        raise LimitExceededError(
            f"Size limit exceeded: the document has {len(text)} characters; "
            f"the limit is {max_length}.",
            setting="max_body_bytes",
            limit=max_length,
        )
    node = parse_fast(text, max_tokens)
    if node is None:
        node = _parse_with_graphql_core(text, max_tokens, max_length, max_depth)
    if max_directives is not None:
        _check_directives(node, max_directives)
    operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
    return Document(text, node, operations, fragments)


def _parse_with_graphql_core(
    text: str, max_tokens: int, max_length: int, max_depth: int
) -> DocumentNode:
    """graphql-core's tree for ``text``, its syntax and limit errors reworded as ours."""
    try:
        return parse(Source(text), max_tokens=max_tokens, max_source_length=max_length)
    except GraphQLSyntaxError as error:
        if "nested too deeply" in error.message:  # past the interpreter's stack
            raise LimitExceededError(
                "Depth limit exceeded: the document nests too deeply to be read; "
                f"the limit is {max_depth}.",
                setting="max_depth",
                limit=max_depth,
            ) from None
        if "tokens" in error.message and "Parsing aborted" in error.message:
            raise LimitExceededError(
                f"Token limit exceeded: the document has more than {max_tokens} tokens; "
                f"the limit is {max_tokens}.",
                setting="max_tokens",
                limit=max_tokens,
            ) from None
        raise


def _check_directives(document: DocumentNode, limit: int) -> None:
    """``LimitExceededError`` for the first node carrying more than ``limit`` directives."""
    stack: list[Node] = list(document.definitions)
    while stack:
        node = stack.pop()
        directives = getattr(node, "directives", None) or ()
        if len(directives) > limit:
            raise LimitExceededError(
                f"Directive limit exceeded: {describe(node)} has {len(directives)} "
                f"directives; the limit is {limit}.",
                setting="max_directives",
                limit=limit,
                nodes=node,
            )
        stack.extend(getattr(node, "variable_definitions", None) or ())
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)


class Documents:
    """Parsed documents by their text, least recently used first out, within ``max_bytes``."""

    def __init__(
        self,
        max_bytes: int,
        max_tokens: int,
        max_length: int,
        max_directives: int | None = None,
        max_depth: int = 0,
    ) -> None:
        self.max_depth = max_depth
        self.max_bytes = max_bytes
        self.max_tokens = max_tokens
        self.max_length = max_length
        self.max_directives = max_directives
        self._entries: OrderedDict[str, Document] = OrderedDict()
        self._seen = Sightings(SEEN_TEXTS)  # texts parsed once and not kept (``get``)
        self._sizes: dict[str, int] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, text: str) -> Document:
        """The parsed document for ``text``, from the cache or parsed now (and kept if it fits)."""
        found = self._entries.get(text)
        if found is not None:
            with self._lock:
                if text in self._entries:
                    self._entries.move_to_end(text)
            return found
        document = parse_document(
            text, self.max_tokens, self.max_length, self.max_directives, self.max_depth
        )
        if self._seen_before(text):
            document.runs = 1  # its first sighting ran (if it failed: a plan one run early)
            self.resize(document)
        return document

    def _seen_before(self, text: str) -> bool:
        """Whether ``text`` was parsed recently; a text seen for the first time is only noted.

        A document is kept once it has proven that it repeats: one seen once
        (a generated query, a new alias each time) would otherwise stay in the
        cache with its plan until pushed out, and while it stays the garbage
        collector walks all its objects again and again. With every new small
        document kept, collections took about 100 µs of each request of case (g)
        in ``bench/inprocess.py`` (``gc.callbacks``); a document dropped after
        its request is freed at once by reference counting.
        """
        return self._seen.repeated(text)

    def reweigh(self, document: Document) -> None:
        """Count a kept document's new plans in the budget; one not kept stays out."""
        if self._entries.get(document.text) is document:
            self.resize(document)

    def peek(self, text: str) -> Document | None:
        """The parsed document for ``text`` if it is kept, without parsing it."""
        return self._entries.get(text)

    def resize(self, document: Document) -> None:
        """Keep (or re-weigh) ``document``; one over a quarter of the budget is not kept."""
        size = document.size
        with self._lock:
            old = self._sizes.pop(document.text, None)
            if old is not None:
                self._bytes -= old
                self._entries.pop(document.text, None)
            if size > self.max_bytes // 4:
                return
            self._entries[document.text] = document
            self._sizes[document.text] = size
            self._bytes += size
            while self._bytes > self.max_bytes:
                text, _ = self._entries.popitem(last=False)
                self._bytes -= self._sizes.pop(text)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes
