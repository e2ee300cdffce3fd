"""Settings come from defaults, then SHOWGRAPH_* variables, then flags."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from graph_data import BUILTIN_DATASETS
from server.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.dataset == (BUILTIN_DATASETS,)


def test_environment_then_flags() -> None:
    settings = Settings.from_env({"SHOWGRAPH_PORT": "9000", "SHOWGRAPH_DATASET": "/tmp/x.yaml"})
    assert (settings.port, settings.dataset) == (9000, (Path("/tmp/x.yaml"),))
    settings = settings.with_overrides(port=9100, host=None)
    assert (settings.port, settings.host) == (9100, "127.0.0.1")


def test_round_trip_through_the_environment() -> None:
    settings = Settings(port=1234, workers=2, dataset=(Path("/data/show.yaml"), Path("/more")))
    assert Settings.from_env(settings.to_env()) == settings


def test_several_datasets_are_separated_by_the_path_separator() -> None:
    paths = os.pathsep.join(["/data/a.yaml", "/data/shows", ""])
    settings = Settings.from_env({"SHOWGRAPH_DATASET": paths})
    assert settings.dataset == (Path("/data/a.yaml"), Path("/data/shows"))
    with pytest.raises(ValueError, match="dataset must name at least one"):
        Settings.from_env({"SHOWGRAPH_DATASET": os.pathsep})


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


def test_safe_limits_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.profile == "local"
    assert (settings.max_depth, settings.max_aliases, settings.max_tokens) == (20, 30, 2000)
    assert (settings.max_directives, settings.max_cost, settings.max_page_size) == (10, 50_000, 100)
    assert (settings.max_body_bytes, settings.execution_timeout) == (1024 * 1024, 10.0)
    assert settings.cors_origins == settings.trusted_proxies == ()
    assert settings.introspection is True
    assert settings.rate_limit is False


def test_production_profile_turns_rate_limiting_on_and_introspection_off() -> None:
    for settings in (
        Settings.from_env({"SHOWGRAPH_PROFILE": "production"}),
        Settings.from_env({}, profile="production"),
    ):
        assert settings.profile == "production"
        assert settings.rate_limit is True
        assert settings.introspection is False
        assert settings.max_cost == Settings().max_cost


def test_variables_and_flags_override_the_profile() -> None:
    settings = Settings.from_env(
        {"SHOWGRAPH_PROFILE": "production", "SHOWGRAPH_INTROSPECTION": "true"}
    )
    assert (settings.introspection, settings.rate_limit) == (True, True)
    settings = settings.with_overrides(rate_limit=False)
    assert (settings.profile, settings.rate_limit) == ("production", False)
    # A --profile flag beats SHOWGRAPH_PROFILE.
    assert (
        Settings.from_env({"SHOWGRAPH_PROFILE": "production"}, profile="local").rate_limit is False
    )


def test_lists_and_booleans_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "SHOWGRAPH_CORS_ORIGINS": "https://a.example, https://b.example",
            "SHOWGRAPH_TRUSTED_PROXIES": "10.0.0.0/8",
            "SHOWGRAPH_RATE_LIMIT": "yes",
            "SHOWGRAPH_EXECUTION_TIMEOUT": "2.5",
        }
    )
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.trusted_proxies == ("10.0.0.0/8",)
    assert (settings.rate_limit, settings.execution_timeout) == (True, 2.5)


def test_every_setting_round_trips_through_the_environment() -> None:
    settings = Settings(
        profile="production",
        introspection=False,
        cors_origins=("https://a.example",),
        trusted_proxies=("127.0.0.1", "10.0.0.0/8"),
        execution_timeout=0.5,
        max_cost=1234,
    )
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SHOWGRAPH_PROFILE": "staging"}, "profile must be one of local, production"),
        (
            {"SHOWGRAPH_INTROSPECTION": "maybe"},
            "SHOWGRAPH_INTROSPECTION='maybe' is not a valid bool",
        ),
        ({"SHOWGRAPH_MAX_DEPTH": "0"}, "max_depth must be at least 1 (got 0)"),
        ({"SHOWGRAPH_MAX_PAGE_SIZE": "500"}, "max_page_size must be between 1 and 100"),
        ({"SHOWGRAPH_MAX_BODY_BYTES": "10"}, "max_body_bytes must be at least 1024 (got 10)"),
        ({"SHOWGRAPH_EXECUTION_TIMEOUT": "0"}, "execution_timeout must be a positive number"),
        (
            {"SHOWGRAPH_RATE_LIMIT": "on", "SHOWGRAPH_RATE_LIMIT_BURST": "10"},
            "rate_limit_burst must be at least max_cost",
        ),
        ({"SHOWGRAPH_TRUSTED_PROXIES": "proxy.local"}, "trusted_proxies: 'proxy.local' is not"),
        ({"SHOWGRAPH_CORS_ORIGINS": "example.org"}, "cors_origins: 'example.org' is not an origin"),
    ],
)
def test_bad_limits_say_which_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        Settings.from_env(environ)
