"""Running a benchmark script from a checkout: the project importable, in its venv.

Every script under ``bench/`` starts with::

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.checkout import ROOT, use_project_venv

    use_project_venv(__file__)

so that ``python bench/<script>.py`` works from a clean clone after the
README's set-up, with whatever ``python`` is on the PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def use_project_venv(script: str) -> None:
    """Run ``script`` again with the project's venv when this Python lacks the project."""
    try:
        import orjson  # noqa: F401

        import graph_data  # noqa: F401  (only to see whether we run in the project's venv)
    except ImportError:  # started with a bare python: use the project's venv if there is one
        if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
            os.execv(VENV_PYTHON, [str(VENV_PYTHON), script, *sys.argv[1:]])
        raise
