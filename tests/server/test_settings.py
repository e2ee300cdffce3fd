"""Settings come from defaults, then SHOWGRAPH_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_data import BUILTIN_DATASET
from server.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.dataset == BUILTIN_DATASET


def test_environment_then_flags() -> None:
    settings = Settings.from_env({"SHOWGRAPH_PORT": "9000", "SHOWGRAPH_DATASET": "/tmp/x.yaml"})
    assert (settings.port, settings.dataset) == (9000, Path("/tmp/x.yaml"))
    settings = settings.with_overrides(port=9100, host=None)
    assert (settings.port, settings.host) == (9100, "127.0.0.1")


def test_round_trip_through_the_environment() -> None:
    settings = Settings(port=1234, workers=2, dataset=Path("/data/show.yaml"))
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SHOWGRAPH_PORT": "eighty"}, "SHOWGRAPH_PORT='eighty' is not a valid int"),
        ({"SHOWGRAPH_PORT": "70000"}, "port must be between 0 and 65535 (got 70000)"),
        ({"SHOWGRAPH_WORKERS": "0"}, "workers must be at least 1 (got 0)"),
    ],
)
def test_bad_values_say_which_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(environ)
