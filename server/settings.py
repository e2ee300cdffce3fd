"""Settings, read once at start-up: environment variables ``SHOWGRAPH_*`` and CLI flags.

A flag overrides its environment variable, which overrides the profile's
default, which overrides the built-in default. The result is a frozen
``Settings`` handed to the application factory; nothing else in the code reads
the environment.

Two profiles exist. ``local`` (the default) suits a developer's machine:
introspection on, no rate limit. ``production`` is what a public endpoint
should run with: introspection (and with it field suggestions) off, rate
limiting on. Every other limit has one safe default for both.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from graph_data import BUILTIN_DATASETS
from schema.connections import MAX_PAGE_SIZE

PREFIX = "SHOWGRAPH_"
MIB = 1024 * 1024

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, with its default; each has an env var ``SHOWGRAPH_<NAME>``."""

    profile: str = "local"
    host: str = "127.0.0.1"
    port: int = 8000
    # Dataset files or directories, loaded together as one graph; the variable
    # separates them with os.pathsep (':' on Unix), the flag is repeated.
    dataset: tuple[Path, ...] = (BUILTIN_DATASETS,)
    workers: int = 1
    log_level: str = "info"

    # What clients may learn about the schema.
    introspection: bool = True

    # Limits on one request (see README, "Limits and security").
    max_depth: int = 20
    max_aliases: int = 30
    max_tokens: int = 2000
    max_directives: int = 10
    max_cost: int = 50_000
    max_page_size: int = MAX_PAGE_SIZE
    max_body_bytes: int = MIB
    execution_timeout: float = 10.0
    max_subscriptions: int = 1000  # open at once in one process, WebSocket and SSE alike

    # Browsers and proxies.
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()

    # Rate limiting: a token bucket per client, counting query cost.
    rate_limit: bool = False
    rate_limit_burst: int = 100_000
    rate_limit_per_second: float = 1_000.0

    # Writes (see README, "Writes"). An empty text means "not set".
    data_dir: str = ""  # journal + snapshots here; unset: writes live only in memory
    store: str = ""  # postgresql://...: PostgreSQL as the store of record instead
    tokens: str = ""  # name=token,name=token: who may write
    tokens_file: str = ""  # a file of name=token lines
    snapshot_every: int = 1000
    # History (see docs/api.md, "History"): how many of the latest changes to keep
    # (0: every change), and whether readers without a token see who made each.
    history_keep: int = 0
    history_writers_public: bool = False

    # Caching (see README, "Caching and persisted queries").
    cache_bytes: int = 64 * MIB  # responses kept in memory; 0 turns the cache off
    cache_control: str = "no-cache"  # on GET answers; clients revalidate with the ETag
    allow_list: str = ""  # a JSON file of the only queries this server will run
    document_cache_bytes: int = 32 * MIB  # parsed documents and their plans (an estimate)
    persisted_query_bytes: int = 16 * MIB  # learnt persisted-query documents

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, profile: str | None = None
    ) -> Settings:
        """Profile defaults overridden by ``SHOWGRAPH_*`` variables; bad values raise ValueError.

        ``profile`` (from a flag) wins over ``SHOWGRAPH_PROFILE``; it is applied
        first so that variables and flags can still override its defaults.
        """
        environ = os.environ if environ is None else environ
        chosen = profile or environ.get(PREFIX + "PROFILE") or "local"
        if chosen not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)} (got {chosen!r})")
        base = PROFILES[chosen]
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name == "profile":
                continue
            raw = environ.get(PREFIX + spec.name.upper())
            if raw is not None:
                values[spec.name] = _convert(spec.name, raw, type(getattr(base, spec.name)))
        return replace(base, **values).checked()

    def with_overrides(self, **overrides: Any) -> Settings:
        """These settings with the given (non-None) values replaced, e.g. from CLI flags."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(self, **given).checked()

    def checked(self) -> Settings:
        """These settings, or ValueError naming the first one out of range."""
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535 (got {self.port})")
        if not self.dataset:
            raise ValueError("dataset must name at least one file or directory")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1 (got {self.workers})")
        for name in ("max_depth", "max_aliases", "max_tokens", "max_directives", "max_cost"):
            _at_least(name, getattr(self, name), 1)
        _at_least("max_body_bytes", self.max_body_bytes, 1024)
        _at_least("max_subscriptions", self.max_subscriptions, 1)
        if not 1 <= self.max_page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"max_page_size must be between 1 and {MAX_PAGE_SIZE}, the most the schema "
                f"serves (got {self.max_page_size})"
            )
        if not self.execution_timeout > 0:
            raise ValueError(
                f"execution_timeout must be a positive number of seconds "
                f"(got {self.execution_timeout})"
            )
        if self.rate_limit and self.rate_limit_burst < self.max_cost:
            raise ValueError(
                f"rate_limit_burst must be at least max_cost ({self.max_cost}), or the "
                f"costliest allowed query could never run (got {self.rate_limit_burst})"
            )
        if not self.rate_limit_per_second > 0:
            raise ValueError(
                f"rate_limit_per_second must be positive (got {self.rate_limit_per_second})"
            )
        _at_least("snapshot_every", self.snapshot_every, 1)
        _at_least("history_keep", self.history_keep, 0)
        _at_least("cache_bytes", self.cache_bytes, 0)
        _at_least("document_cache_bytes", self.document_cache_bytes, 0)
        _at_least("persisted_query_bytes", self.persisted_query_bytes, 0)
        if self.store and not self.store.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"store must be a postgresql:// address (got {self.store!r})")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {proxy!r} is not an IP address or network"
                ) from None
        for origin in self.cors_origins:
            if origin != "*" and "://" not in origin:
                raise ValueError(
                    f"cors_origins: {origin!r} is not an origin such as https://example.org"
                )
        return self

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for worker processes to read back."""
        return {
            PREFIX + spec.name.upper(): _format(getattr(self, spec.name)) for spec in fields(self)
        }


PROFILES: Mapping[str, Settings] = MappingProxyType(
    {
        "local": Settings(),
        "production": Settings(profile="production", introspection=False, rate_limit=True),
    }
)


def _at_least(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum} (got {value})")


def _convert(name: str, raw: str, kind: Callable[..., Any]) -> Any:
    """Parse one variable with the type of its default (str, int, float, bool, Path, tuple)."""
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r} is not a valid bool (use true or false)")
    if name == "dataset":
        return tuple(Path(item) for item in raw.split(os.pathsep) if item.strip())
    if kind is tuple:
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    try:
        return kind(raw)
    except ValueError:
        type_name = getattr(kind, "__name__", "value")
        raise ValueError(f"{PREFIX}{name.upper()}={raw!r} is not a valid {type_name}") from None


def _format(value: object) -> str:
    """The inverse of ``_convert``: lists are comma-separated (paths os.pathsep-), booleans
    true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and value and isinstance(value[0], Path):
        return os.pathsep.join(str(path) for path in value)
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)
