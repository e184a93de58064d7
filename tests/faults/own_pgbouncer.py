"""A PgBouncer of the test's own, in transaction mode, in front of a PostgreSQL
(the test's own): config and sockets in a temporary folder, a free port on
127.0.0.1, stopped at the end. Debian's `pgbouncer` (`.ci/run` installs it)."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARY = Path(os.environ.get("HUSH_PGBOUNCER", "/usr/sbin/pgbouncer"))


def available() -> bool:
    return BINARY.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnPgBouncer:
    def __init__(self, upstream_port: int, *, pool_size: int = 6):
        self.folder = Path(tempfile.mkdtemp(prefix="hush-own-pgbouncer-"))
        self.port, self.upstream_port, self.pool_size = _free_port(), upstream_port, pool_size
        self.process: subprocess.Popen | None = None
        # pgbouncer refuses to run as root: run it as the postgres user then.
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    def start(self) -> "OwnPgBouncer":
        (self.folder / "userlist.txt").write_text('"postgres" ""\n')
        (self.folder / "pgbouncer.ini").write_text(f"""\
[databases]
* = host=127.0.0.1 port={self.upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir = {self.folder}
auth_type = trust
auth_file = {self.folder / "userlist.txt"}
admin_users = postgres
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {self.folder / "pgbouncer.log"}
""")
        if self.user:
            shutil.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
            for path in self.folder.iterdir():
                shutil.chown(path, self.user.pw_uid, self.user.pw_gid)
        command = [str(BINARY), str(self.folder / "pgbouncer.ini")]
        if self.user:
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"pgbouncer exited:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.1)
        raise AssertionError(f"pgbouncer did not listen:\n{self.log()}")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def show(self, what: str, psql: Path) -> list[list[str]]:
        """`SHOW <what>` on the admin console, as rows of columns."""
        done = subprocess.run([str(psql), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               "postgres", "-d", "pgbouncer", "-tA", "-F", "|", "-c",
                               f"SHOW {what}"], capture_output=True, text=True, timeout=30,
                              check=True)
        return [line.split("|") for line in done.stdout.splitlines() if line]

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
