"""The graphql-http server audit (GraphQL over HTTP) against the real running server.

``scripts/test.sh`` installs the pinned ``graphql-http`` into
``tests/server/audit/node_modules``; ``audit.cjs`` there runs every audit the
package has and prints the results as JSON. Only "ok" counts as a pass: a
"warn" or "notice" is a failed recommendation, not a pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import LiveServer

AUDIT_DIR = Path(__file__).with_name("audit")
# graphql-http 1.23.1 (pinned in audit/package.json) has 61 server audits; 1.22
# had 60. A different count means the pin moved: look at what changed.
AUDITS = 61


def run_audit(url: str) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("the audit needs Node.js (`node`) on PATH")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        pytest.fail("graphql-http is not installed: run `bash scripts/test.sh`, which installs it")
    result = subprocess.run(
        [node, str(AUDIT_DIR / "audit.cjs"), url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: list[dict[str, object]] = json.loads(result.stdout)
    return report


def test_every_graphql_over_http_audit_passes(live_server: LiveServer) -> None:
    report = run_audit(f"{live_server.url}/graphql")

    failures = [
        f"{entry['id']} {entry['name']}: {entry['status']}: {entry['reason']} "
        f"(HTTP {entry['responseStatus']})"
        for entry in report
        if entry["status"] != "ok"
    ]
    assert failures == [], "\n".join(failures)
    assert len(report) == AUDITS
