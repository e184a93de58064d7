"""A private Dovecot IMAP server for the tests: its own config, mailbox, TLS
certificate and ports in a temporary folder, started and stopped by the fixture (never
the system's Dovecot). `.ci/run` installs Debian's dovecot-imapd."""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.preferences.inbound.tls import Authority

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "hush", "mailbox-password-1"


def available() -> bool:
    return Path(DOVECOT).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, folder: Path):
        self.folder = folder
        self.authority = Authority(folder)
        self.port, self.tls_port = _free_port(), _free_port()
        self.process = None
        owner = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        home = folder / "home" / USER
        home.mkdir(parents=True)
        (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        login = "dovenull" if os.geteuid() == 0 else owner.pw_name
        (folder / "dovecot.conf").write_text(f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.authority.server_cert}
ssl_key = <{self.authority.server_key}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = {owner.pw_uid}
default_internal_user = {owner.pw_name}
default_internal_group = {owner.pw_name if os.geteuid() != 0 else "dovecot"}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={folder}/home/%u
}}
namespace inbox {{
  inbox = yes
  mailbox Done {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        for path in (folder / "home", home):
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def start(self):
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dovecot exited at start:\n" + self.log())
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.tls_port), timeout=1):
                return self
            time.sleep(0.1)
        raise RuntimeError("dovecot did not start:\n" + self.log())

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def url(self, *, tls=True, mailbox="INBOX") -> str:
        scheme, port = ("imaps", self.tls_port) if tls else ("imap", self.port)
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}/{mailbox}"
