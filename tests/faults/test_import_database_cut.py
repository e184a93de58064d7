"""`manage.py import` against a PostgreSQL server of the test's own whose connections
are cut in the middle of the file: the command stops, and run again it continues from
its last committed batch, every row imported once."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.faults.own_postgres import OwnPostgres, available

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]
DB = "hush_import_cut"
ROWS = 20000


def _env(pg: OwnPostgres) -> dict:
    return {**os.environ, "DATABASE_URL": pg.url(DB), "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings", "HUSH_IMPORT_BATCH": "500"}


def _import(pg, path, **popen):
    return subprocess.Popen([sys.executable, "manage.py", "import", "subjects", str(path)],
                            cwd=ROOT, env=_env(pg), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def test_an_import_cut_off_from_its_database_continues_when_run_again(tmp_path, fault_report):
    require_service(available(), "needs PostgreSQL's server binaries "
                                 "(/usr/lib/postgresql/15/bin, or HUSH_PG_BIN)")
    path = tmp_path / "people.csv"
    with open(path, "w") as out:
        out.write("email,newsletter,offers\n")
        for i in range(ROWS):
            email = f"person{i}@example.com" if i % 1000 != 3 else f"no address {i}"
            out.write(f"{email},subscribed,unsubscribed\n")
    pg = OwnPostgres()
    try:
        pg.init()
        pg.psql(f"CREATE DATABASE {DB}")
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                       cwd=ROOT, env=_env(pg), check=True, timeout=300)
        pg.psql("INSERT INTO preferences_topic (slug, name, description, channel, "
                "default_subscribed, position, frequencies, translations) VALUES "
                "('newsletter', 'N', '', 'email', false, 0, '[]', '{}'),"
                " ('offers', 'O', '', 'email', false, 1, '[]', '{}')", DB)

        first = _import(pg, path)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            done = int(pg.psql("SELECT coalesce(max(lines_done), 0) FROM preferences_import", DB))
            if done >= 2000 or first.poll() is not None:
                break
            time.sleep(0.05)
        cut = pg.cut_connections(DB)
        out, err = first.communicate(timeout=120)
        assert first.returncode != 0, (out, err)  # it stopped, loudly
        stopped_at = int(pg.psql("SELECT lines_done FROM preferences_import", DB))
        assert 0 < stopped_at < ROWS + 1

        second = _import(pg, path)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
        assert "continuing import" in err and f"after line {stopped_at}" in err

        bad = ROWS // 1000
        counts = pg.psql("SELECT (SELECT count(*) FROM preferences_subject) || ' ' || "
                         "(SELECT count(*) FROM preferences_subscription) || ' ' || "
                         "(SELECT count(*) FROM preferences_consentevent) || ' ' || "
                         "(SELECT count(*) FROM preferences_importproblem) || ' ' || "
                         "(SELECT count(DISTINCT line) FROM preferences_importproblem) || ' ' "
                         "|| (SELECT status FROM preferences_import)", DB)
        good = ROWS - bad
        assert counts == f"{good} {2 * good} {2 * good} {bad} {bad} done", counts
        assert "no address" not in out + err  # bad rows by line, never by value
        fault_report(f"import cut off from its database after line {stopped_at:,} "
                     f"({cut} connections): run again, continued; {good:,} subjects once each")
    finally:
        pg.remove()
