"""A throwaway PostgreSQL cluster for the tests that need a real database.

``postgres`` (session scope) runs ``initdb`` into a temporary directory and
starts the server on a free port, listening only on a Unix socket in that
directory, so nothing on the machine is touched and parallel runs do not
collide. ``pg_dsn`` gives each test a fresh, empty database in it.

PostgreSQL refuses to run as root, so under root the cluster belongs to the
``postgres`` OS user (which Debian's package creates) and its commands run
through ``runuser``; as anyone else they run as that user. The root
``tests/conftest.py`` lists this module in ``pytest_plugins``, so every test
directory shares the one cluster.

Without PostgreSQL the tests that need it are skipped with a reason, except
under CI (``CI=true``), where a missing server is a failure: ``scripts/test.sh``
installs it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian keeps it off PATH)."""
    versions = [Path(path).parent.parent for path in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = sorted(versions, key=lambda d: int(d.name) if d.name.isdigit() else 0)
    if found:
        return found[-1] / "bin"
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresCluster:
    """One running test cluster; ``stop``/``start`` let a test take it away and back."""

    bin_dir: Path
    root: Path  # holds data/, the socket and the log
    port: int = field(default_factory=_free_port)
    user: str = "postgres"  # the database superuser the tests connect as
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user={self.user} dbname={dbname}"

    def run(self, program: str, *args: str) -> None:
        """Run a PostgreSQL program as the cluster's owner; its output goes to the log."""
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stdout}{result.stderr}\n{log}"
            )

    def init(self) -> None:
        self.run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            self.user,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-instructions",
            "--no-sync",  # a throwaway cluster: no need to wait for the disk
        )

    def start(self) -> None:
        # No TCP at all: the socket lives in our own directory. fsync is off
        # because no test crashes the machine; stopping the server still
        # writes everything out (a shutdown checkpoint).
        options = f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off"
        data, log = str(self.data_dir), str(self.log_file)
        self.run("pg_ctl", "start", "--wait", "-D", data, "-l", log, "-o", options)

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "stop", "--wait", "-D", str(self.data_dir), "-m", mode)

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def create_database(self) -> str:
        """A new empty database; returns its DSN."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.dsn(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.dsn(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for the whole run, in a temporary directory removed afterwards."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL is not installed (scripts/test.sh installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's tmp_path: its parents are private to the current user,
    # and under root the server runs as postgres, which must reach the directory.
    root = Path(tempfile.mkdtemp(prefix="showgraph-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PostgresCluster(bin_dir=bin_dir, root=root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            with contextlib.suppress(RuntimeError):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_dsn(postgres: PostgresCluster) -> str:
    """A fresh, empty database on the session's server (started again if a test stopped it)."""
    if not postgres.running():
        postgres.start()
    return postgres.create_database()
