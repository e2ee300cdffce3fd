"""Settings, read once at start-up: environment variables ``SHOWGRAPH_*`` and CLI flags.

A flag overrides its environment variable, which overrides the default. The
result is a frozen ``Settings`` handed to the application factory; nothing
else in the code reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from graph_data import BUILTIN_DATASET

PREFIX = "SHOWGRAPH_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, with its default; each has an env var ``SHOWGRAPH_<NAME>``."""

    host: str = "127.0.0.1"
    port: int = 8000
    dataset: Path = BUILTIN_DATASET
    workers: int = 1
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ``SHOWGRAPH_*`` variables; bad values raise ValueError."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = environ.get(PREFIX + spec.name.upper())
            if raw is not None:
                values[spec.name] = _convert(spec.name, raw, type(getattr(cls(), spec.name)))
        return cls(**values).checked()

    def with_overrides(self, **overrides: Any) -> Settings:
        """These settings with the given (non-None) values replaced, e.g. from CLI flags."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(self, **given).checked()

    def checked(self) -> Settings:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535 (got {self.port})")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1 (got {self.workers})")
        return self

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for worker processes to read back."""
        return {PREFIX + spec.name.upper(): str(getattr(self, spec.name)) for spec in fields(self)}


def _convert(name: str, raw: str, kind: Callable[[str], Any]) -> Any:
    """Parse one variable with the type of its default (str, int or Path)."""
    try:
        return kind(raw)
    except ValueError:
        type_name = getattr(kind, "__name__", "value")
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {type_name}") from None
