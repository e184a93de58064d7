"""A PostgreSQL server of the test's own: initdb into a temporary folder, started on
a free port with `pg_ctl`, stopped and started again by the test, and always stopped
and removed at the end. Never the shared server on 5432."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("HUSH_PG_BIN", "/usr/lib/postgresql/15/bin"))


def available() -> bool:
    return (BIN / "pg_ctl").exists() and (BIN / "initdb").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnPostgres:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="hush-own-pg-"))
        self.data, self.port = self.folder / "data", _free_port()
        # initdb and postgres refuse to run as root: run them as the postgres user then.
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *argv, check=True, timeout=60):
        command = [str(BIN / argv[0]), *argv[1:]]
        if self.user:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, timeout=timeout, capture_output=True,
                              text=True)

    def init(self) -> "OwnPostgres":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", timeout=120)
        return self.start()

    def start(self) -> "OwnPostgres":
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start", timeout=90)
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                  check=False, timeout=90)

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-tAc", sql, timeout=60)
        return done.stdout.strip()

    def cut_connections(self, database: str) -> int:
        """Terminate every client backend on `database` (a cut network, a pooler restart)."""
        return int(self.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()") or 0)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
