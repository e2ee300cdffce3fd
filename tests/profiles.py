"""Hypothesis profiles of the property tests, one pair per test module.

Each module's profile runs a fixed set of examples (derandomized, so CI sees
the same ones every run); with ``HYPOTHESIS_EXPLORE=1`` its ``-explore`` twin
runs more, freshly drawn, to look for new failures.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hypothesis import HealthCheck, settings

EXPLORE = os.environ.get("HYPOTHESIS_EXPLORE") == "1"


def profile(name: str, examples: int, explore: int, suppress: Sequence[HealthCheck]) -> settings:
    """Register ``name`` (``examples``, derandomized) and ``name-explore`` (``explore``
    examples, random); the one in force, by ``HYPOTHESIS_EXPLORE``."""
    common: dict[str, object] = {
        "deadline": None,
        "database": None,
        "suppress_health_check": list(suppress),
    }
    settings.register_profile(name, max_examples=examples, derandomize=True, **common)  # type: ignore[arg-type]
    settings.register_profile(
        f"{name}-explore",
        max_examples=explore,
        derandomize=False,
        **common,  # type: ignore[arg-type]
    )
    return settings.get_profile(f"{name}-explore" if EXPLORE else name)
