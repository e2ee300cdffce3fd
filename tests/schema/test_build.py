"""The served schema: equal to the checked-in SDL, and containing the public contract."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes

from schema import build_schema
from schema.build import SDL_PATH, export_sdl

# A copy of ../shared/contract/schema.graphql, so the check runs wherever the repo is cloned.
CONTRACT = Path(__file__).with_name("contract.graphql")
SHARED_CONTRACT = Path(__file__).parents[3] / "shared" / "contract" / "schema.graphql"


def test_checked_in_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == export_sdl(build_schema()), (
        "schema/schema.graphql is stale: run `showgraph export-schema --output "
        "schema/schema.graphql`"
    )


def test_served_schema_contains_the_contract() -> None:
    contracts = [CONTRACT, *([SHARED_CONTRACT] if SHARED_CONTRACT.exists() else [])]
    served = parse_sdl(export_sdl(build_schema()))
    for contract in contracts:
        assert find_breaking_changes(parse_sdl(contract.read_text(encoding="utf-8")), served) == []


def test_every_field_and_type_is_described() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []
