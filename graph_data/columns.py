"""Validating a whole section of records in one pydantic call: the fast path of the loader.

Why: at a million nodes, validating each record with ``model_validate`` took
more than half of the 66-80 s a dataset load took (``bench/load.py``). The
per-record cost was not pydantic's Rust core but the Python it called back:
the storable-text check on every field, the id rule on every id, the
``fieldSources`` check on every record. Here each record model's own core
schema is copied with those Python validators swapped for what Rust can
check (the id rule as a pattern, "at least one source" as a minimum length),
the section is validated as one list in one call, and the rules left out
are checked over the whole section at once: one ``orjson.dumps`` of the
section finds any NUL or lone surrogate, one pass over the records checks
the ``fieldSources`` keys and that scenes are placed.

The fast path only ever says "all valid, here are the records" or "not
sure": any section it cannot vouch for makes ``validate_section`` return
None, and the loader validates that section record by record with the
models of ``graph_data.records``, which word every problem. So verdicts and
messages are the record path's by construction. The records are built by
the same schema (same class, values and fields set); that they equal the
record path's, and that every section the record path refuses takes the
record path, is tested on generated valid and invalid records
(``tests/graph_data/test_columns.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import SchemaValidator, core_schema

from graph_data.integrity import ID_PATTERN
from graph_data.records import SceneRecord, Sourced, _check_id, _check_sources, _Model


def _function(schema: dict[str, Any]) -> Any:
    function = schema.get("function", {}).get("function")
    return getattr(function, "__func__", function)  # a classmethod arrives bound


_STORABLE_TEXT = _Model._storable_text.__func__  # type: ignore[attr-defined]


def _rewrite(schema: Any, model: type[BaseModel]) -> Any:
    """A copy of ``model``'s core schema without its Python validators, or with Rust ones.

    - the storable-text check (``_Model._storable_text``, before every field):
      dropped, checked over the whole section by ``_storable``;
    - ``_check_id`` after a ``str``: the id rule as the same pattern, in Rust.
      ``ID_PATTERN`` ends in ``$``, which in Python also accepts one trailing
      newline; ids are stripped of surrounding whitespace first, so no id
      reaching it ends in one and both accept the same ids;
    - ``_check_sources`` after a tuple: a minimum length of 1;
    - the model validators of ``model`` itself (``fieldSources`` keys, a
      scene's placement): dropped, checked over the records by ``_model_rules``.

    A nested model (a season's viewership) keeps its schema whole: its own
    validators run, in Python, for the few records that have one.
    """
    if isinstance(schema, list):
        return [_rewrite(item, model) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind == "model" and schema.get("cls") is not model:
        return schema
    function = _function(schema) if kind in ("function-before", "function-after") else None
    if function is not None:
        inner = _rewrite(schema["schema"], model)
        if function is _STORABLE_TEXT:
            return inner
        if function is _check_id and inner.get("type") == "str":
            return {**inner, "pattern": ID_PATTERN.pattern}
        if function is _check_sources and inner.get("type") == "tuple":
            return {**inner, "min_length": 1}
        if inner.get("type") == "model" and inner.get("cls") is model:
            return inner  # a model validator of the record itself
        return {**schema, "schema": inner}
    return {key: _rewrite(value, model) for key, value in schema.items()}


@cache
def _validator(model: type[BaseModel]) -> SchemaValidator:
    """Validates a list of ``model`` records in one call (``_rewrite`` of its schema)."""
    items = _rewrite(model.__pydantic_core_schema__, model)
    return SchemaValidator(core_schema.list_schema(items))


@cache
def _field_source_keys(model: type[BaseModel]) -> frozenset[str]:
    """The names a record's ``fieldSources`` may use (``Sourced._field_sources_name_fields``)."""
    known = {info.alias or name for name, info in model.model_fields.items()}
    return frozenset(known - {"id", "sources", "fieldSources"})


def _storable(items: Sequence[Any]) -> bool:
    """True when no string in the section holds a NUL or a lone surrogate (``text_problem``).

    One ``orjson.dumps`` of the whole section: orjson refuses lone surrogates
    and writes a NUL as ``\\u0000``. A string holding the six characters
    ``\\u0000`` shows the same (after a backslash): that section, like one
    orjson cannot write at all (a key that is not a string, an int beyond
    64 bits), takes the record path, which is exact.
    """
    try:
        text = orjson.dumps(items)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return b"\\u0000" not in text


def _model_rules(model: type[BaseModel], records: list[Any]) -> bool:
    """The record model's own validators, over all its records at once."""
    if issubclass(model, Sourced):
        known = _field_source_keys(model)
        for record in records:
            if record.field_sources and not known.issuperset(record.field_sources):
                return False
    if model is SceneRecord:
        for record in records:
            if record.episode is None and record.season is None:
                return False
    return True


def validate_section(model: type[BaseModel], items: Sequence[Any]) -> list[Any] | None:
    """Every record of ``items`` validated as ``model``, or None when the fast path cannot vouch.

    None means "validate record by record" (``graph_data.loader``). It is
    returned for any section that holds a record the record path refuses,
    so it never changes a verdict, only how fast a valid section loads.
    """
    if not _storable(items):
        return None
    try:
        records: list[Any] = _validator(model).validate_python(items)
    except ValidationError:
        return None
    return records if _model_rules(model, records) else None
