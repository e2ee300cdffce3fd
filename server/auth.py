"""Bearer tokens for writes: who may change the graph, and under which name.

Queries are public. A mutation needs ``Authorization: Bearer <token>``; the
token's name is recorded as the writer of the change. Tokens come from the
settings: ``SHOWGRAPH_TOKENS`` (``name=token,name=token``) and/or a tokens
file (one ``name=token`` per line, ``#`` comments). Tokens are compared in
constant time against every configured token, and never logged or echoed.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class Tokens:
    """Configured tokens by writer name."""

    by_name: Mapping[str, str]

    def __repr__(self) -> str:  # never show a token, even in a debugger or log line
        return f"Tokens(names={sorted(self.by_name)})"

    def writer(self, authorization: str | None) -> str | None:
        """The writer a request's Authorization header names, or None.

        Every configured token is compared, whatever matches first, so the
        time taken says nothing about which token or how much of it matched.
        """
        if not authorization:
            return None
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return None
        candidate = presented.strip().encode()
        found = None
        for name, token in self.by_name.items():
            if hmac.compare_digest(candidate, token.encode()):
                found = name
        return found


def parse_tokens(lines: Iterable[str], origin: str) -> dict[str, str]:
    """``name=token`` entries; ValueError naming the origin and entry when one is wrong."""
    found: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, token = (part.strip() for part in line.partition("="))
        where = f"{origin}, entry {number}"
        if not sep or not name or not token:
            raise ValueError(f"{where}: expected name=token")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"{where}: the token of {name!r} is shorter than {MIN_TOKEN_LENGTH} characters"
            )
        if name in found:
            raise ValueError(f"{where}: {name!r} has a token already")
        found[name] = token
    return found


def load_tokens(inline: str, path: Path | None) -> Tokens:
    """Tokens from the settings: the inline list and the file, if any."""
    by_name = parse_tokens(inline.split(","), "SHOWGRAPH_TOKENS") if inline else {}
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"tokens file {path}: {error.strerror}") from None
        for name, token in parse_tokens(text.splitlines(), f"tokens file {path}").items():
            if name in by_name:
                raise ValueError(f"tokens file {path}: {name!r} is also in SHOWGRAPH_TOKENS")
            by_name[name] = token
    return Tokens(by_name)
