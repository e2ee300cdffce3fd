"""Reading a dataset file safely and strictly, remembering the line of every record and field.

Why not ``yaml.safe_load``: it expands aliases (a 681-byte "billion laughs"
file becomes 10^9 values and gigabytes of memory), lets a key given twice
silently win, and forgets where each value was written. Here:

- YAML is composed by PyYAML's C parser (``CSafeLoader`` when built with
  libyaml), which keeps an alias as a second reference to one node, so
  composing costs only the size of the text; the values are then built here,
  and a node met twice (an alias, ``*name``, or a merge key ``<<``) is refused
  at once. A dataset never needs them: records refer to each other by id.
- Only plain data is accepted: mappings, lists, strings, numbers, booleans
  and null. Dates stay text (the records' validation reads them, with their
  precision); any other tag (``!!python/...``, ``!!set``, ``!!binary``) is refused.
- A key given twice in one mapping is an error naming both lines, in YAML and
  in JSON alike.
- Every mapping and list read remembers its line (``line_of``), and the line of
  each of its keys or items (``lines_of``), so a problem found later in a
  record can name ``file:line``. JSON is read without positions for speed (by
  jiter; by the standard library where jiter refuses a text, to word the
  problem: ``read_json``) and finds those lines with a second,
  position-keeping pass only when a problem needs one (``JsonLines``).

``short(value)`` is how every error quotes a value from a file: cut to a short
prefix, so a huge value never floods the output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import jiter
import yaml

QUOTE_LIMIT = 60
"""Characters of a value that an error message quotes at most."""


def short(value: Any) -> str:
    """``repr(value)``, cut to ``QUOTE_LIMIT`` characters (with ``...``) when longer."""
    text = repr(value)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 3] + "..."


class ReadError(Exception):
    """A file that cannot be read as data; ``line`` is where, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class LineDict(dict[Any, Any]):
    """A mapping read from a file, with its own line and the line of each key."""

    line: int | None = None
    lines: dict[Any, int]


class LineList(list[Any]):
    """A list read from a file, with its own line and the line of each item."""

    line: int | None = None
    lines: list[int]


def line_of(value: Any) -> int | None:
    """The line a mapping or list read by this module starts on (None for other values)."""
    return getattr(value, "line", None)


def field_line(record: Any, key: Any) -> int | None:
    """The line of ``key`` in a mapping read by this module, when it was there."""
    lines = getattr(record, "lines", None)
    return lines.get(key) if isinstance(lines, dict) else None


def item_line(items: Any, index: int) -> int | None:
    """The line of item ``index`` of a list read by this module."""
    lines = getattr(items, "lines", None)
    return lines[index] if isinstance(lines, list) and index < len(lines) else None


def read_data(path: Path) -> Any:
    """The data of a YAML or JSON file (by its suffix); ``ReadError`` says what is wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReadError("file not found") from None
    except IsADirectoryError:
        raise ReadError("is a directory, not a file") from None
    except OSError as error:
        raise ReadError(f"cannot read the file: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReadError(f"not UTF-8 text (byte {error.start})") from None
    if path.suffix == ".json":
        return read_json(text)
    return read_yaml(text)


# --- YAML -------------------------------------------------------------------------------------

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types minus timestamps: a date stays the text it was written as."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


class _ComposeLoader(_Loader):  # type: ignore[misc]
    """The (C) parser and composer with our resolver; constructing is done by ``_Builder``."""


_ComposeLoader.yaml_implicit_resolvers = _Resolver.yaml_implicit_resolvers
_SCALARS = yaml.SafeLoader("")  # whose scalar constructors (int, float, bool, null) are used
_CONSTRUCT = yaml.constructor.SafeConstructor.yaml_constructors


def read_yaml(text: str) -> Any:
    """Plain data of one YAML document, refusing aliases, tags and repeated keys."""
    loader = _ComposeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        raise ReadError(f"invalid YAML{where}: {reason}", line) from None
    finally:
        loader.dispose()
    return None if node is None else _Builder().build(node)


class _Builder:
    """Builds plain data from composed YAML nodes, each node at most once."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def build(self, node: yaml.Node, within: int = 1) -> Any:
        """The value of ``node``; ``within`` is the line of the collection holding it."""
        line = node.start_mark.line + 1
        if id(node) in self.seen:
            raise ReadError(
                f"a YAML alias (*name) repeats the value of line {line}: aliases and merge "
                "keys (<<) are not accepted; write the value out, or refer to a record by its id",
                within,
            )
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise ReadError(f"the tag {short(node.tag)} is not plain data", line)
            items = LineList(self.build(item, line) for item in node.value)
            items.line = line
            items.lines = [item.start_mark.line + 1 for item in node.value]
            return items
        if node.tag not in _PLAIN_TAGS:
            raise ReadError(f"the tag {short(node.tag)} is not plain data", line)
        return _CONSTRUCT[node.tag](_SCALARS, node)  # not construct_object: it caches every node

    def _mapping(self, node: yaml.MappingNode, line: int) -> LineDict:
        if node.tag != "tag:yaml.org,2002:map":
            raise ReadError(f"the tag {short(node.tag)} is not plain data", line)
        mapping = LineDict()
        mapping.line = line
        mapping.lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ReadError(
                    "YAML merge keys (<<) are not accepted: write the fields out", key_line
                )
            key = self.build(key_node, key_line)
            if isinstance(key, list | dict):
                raise ReadError("a key must be a plain value", key_line)
            if key in mapping.lines:
                raise ReadError(
                    f"the key {short(key)} is given twice in one mapping "
                    f"(lines {mapping.lines[key]} and {key_line}); keep one",
                    key_line,
                )
            mapping.lines[key] = key_line
            mapping[key] = self.build(value_node, key_line)
        return mapping


# --- JSON ---------------------------------------------------------------------------------------


def read_json(text: str) -> Any:
    """Plain data of a JSON text; a key given twice in one object is an error with both lines.

    jiter reads it first: at a million nodes the standard library with its
    duplicate-key hook took 2.3 s and 1,113 MiB for the 281 MB file, jiter
    1.9 s and 671 MiB (it makes one object of each repeated short string; a
    fresh process each). jiter refuses every text the standard library
    refuses, and some more (a key given twice, a lone surrogate escape,
    nesting deeper than 200); those go to ``_read_json_exactly``, which
    reads them or words the problem. Where jiter reads a text, it reads the
    same values, so the answer is always ``_read_json_exactly``'s
    (``tests/graph_data/test_reading.py`` compares the two on generated texts).
    """
    try:
        return jiter.from_json(text.encode(), catch_duplicate_keys=True)
    except ValueError:  # refused, or not encodable (a lone surrogate in the text itself)
        return _read_json_exactly(text)


def _read_json_exactly(text: str) -> Any:
    """``read_json`` by the standard library, which says what is wrong and where."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(items)
        if len(found) != len(items):
            seen: set[str] = set()
            twice = next(key for key, _ in items if key in seen or seen.add(key))  # type: ignore[func-returns-value]
            lines = JsonLines(text).key_lines(twice)
            where = f" (lines {', '.join(map(str, lines))})" if lines else ""
            raise ReadError(
                f"the key {short(twice)} is given twice in one object{where}; keep one",
                lines[1] if len(lines) > 1 else None,
            )
        return found

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ReadError(f"invalid JSON at {where}: {error.msg}", error.lineno) from None
    except RecursionError:
        raise ReadError("invalid JSON: nested too deeply") from None


_NUMBER_OR_WORD = re.compile(r"-?(?:\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_SPACE = re.compile(r"[ \t\n\r]*")


class JsonLines:
    """Lines of a JSON text's values, found by a second, position-keeping pass.

    Used only when a problem needs a line: the first pass (the standard
    library's C parser) keeps no positions. ``locate()`` gives its lists and
    objects the same ``line``/``lines`` as YAML's, by reading
    the text again (which the first pass accepted).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line(self, position: int) -> int:
        """The 1-based line of a character position."""
        low, high = 0, len(self._starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._starts[middle] <= position:
                low = middle
            else:
                high = middle - 1
        return low + 1

    def key_lines(self, wanted: str) -> list[int]:
        """The lines where an object key ``wanted`` is written (for the duplicate-key error)."""
        lines: list[int] = []
        self._walk(0, lambda key, at: lines.append(self.line(at)) if key == wanted else None)
        return lines

    def locate(self) -> Any:
        """The text's data with lines: objects as ``LineDict``, arrays as ``LineList``."""
        located, _ = self._value(self._skip(0))
        return located

    # A tiny reader of already valid JSON, keeping positions.

    def _skip(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        return match.end() if match else at

    def _walk(self, at: int, on_key: Callable[[str, int], object]) -> None:
        self._value(self._skip(at), on_key)

    def _value(
        self, at: int, on_key: Callable[[str, int], object] | None = None
    ) -> tuple[Any, int]:
        text = self.text
        char = text[at]
        if char == "{":
            found = LineDict()
            found.line, found.lines = self.line(at), {}
            at = self._skip(at + 1)
            while text[at] != "}":
                key_at = at
                key, at = scanstring(text, at + 1)
                if on_key is not None:
                    on_key(key, key_at)
                at = self._skip(self._skip(at) + 1)  # past ':'
                found.lines.setdefault(key, self.line(key_at))
                found[key], at = self._value(at, on_key)
                at = self._skip(at)
                if text[at] == ",":
                    at = self._skip(at + 1)
            return found, at + 1
        if char == "[":
            items = LineList()
            items.line, items.lines = self.line(at), []
            at = self._skip(at + 1)
            while text[at] != "]":
                items.lines.append(self.line(at))
                value, at = self._value(at, on_key)
                items.append(value)
                at = self._skip(at)
                if text[at] == ",":
                    at = self._skip(at + 1)
            return items, at + 1
        if char == '"':
            string: tuple[str, int] = scanstring(text, at + 1)
            return string
        match = _NUMBER_OR_WORD.match(text, at)
        if match is None:  # cannot happen for text json.loads accepted
            raise ReadError(f"invalid JSON at line {self.line(at)}", self.line(at))
        return json.loads(match.group()), match.end()
