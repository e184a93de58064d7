"""An import on a real worker (prefork) with beat running the sweeper, on Redis and
PostgreSQL: killed in the middle of the file, it continues from its last committed
batch once a worker is back, and ends with every row imported once."""

import pytest

from preferences.imports.services import import_upload
from preferences.models import ConsentEvent, Import, ImportProblem, Subject, Subscription
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults

ROWS = 6000
IMPORT_ENV = {"HUSH_IMPORT_BATCH": "200", "HUSH_IMPORT_STALE_AFTER": "5",
              "HUSH_IMPORT_SWEEP_INTERVAL": "1"}


class Upload:
    def __init__(self, path, name):
        self.path, self.name = path, name
        self.size = path.stat().st_size

    def chunks(self):
        yield self.path.read_bytes()


def _file(tmp_path):
    path = tmp_path / "people.csv"
    with open(path, "w") as out:
        out.write("email,newsletter,offers\n")
        for i in range(ROWS):
            email = f"person{i}@example.com" if i % 500 != 7 else f"bad address {i}"
            out.write(f"{email},subscribed,unsubscribed\n")
    return Upload(path, "people.csv")


def _job():
    return Import.objects.get()


def test_an_import_killed_mid_file_continues_where_it_stopped(
        celery_cluster, newsletter, offers, tmp_path, settings, fault_report):
    settings.HUSH_IMPORT_DIR = str(tmp_path / "imports")
    cluster = celery_cluster(**IMPORT_ENV, HUSH_IMPORT_DIR=str(tmp_path / "imports"))
    import_upload(kind="subjects", upload=_file(tmp_path), actor=None)

    wait_for(lambda: _job().lines_done >= 1000, timeout=120, every=0.05,
             what="the import to commit a few batches")
    cluster.worker.kill()
    stopped_at = _job().lines_done
    assert _job().status == "running" and stopped_at < ROWS + 1, cluster.logs()

    cluster.worker.start()
    wait_for(lambda: _job().status == "done", timeout=240, what="the import to finish")

    job = _job()
    bad = ROWS // 500
    assert (job.lines_done, job.created, job.bad) == (ROWS + 1, ROWS - bad, bad), cluster.logs()
    assert Subject.objects.count() == ROWS - bad
    assert Subscription.objects.count() == 2 * (ROWS - bad)
    assert ConsentEvent.objects.count() == 2 * (ROWS - bad)  # none twice
    lines = list(ImportProblem.objects.values_list("line", flat=True))
    assert sorted(lines) == [i + 2 for i in range(ROWS) if i % 500 == 7]  # each once
    fault_report(f"import killed after line {stopped_at:,} of {ROWS + 1:,}: resumed, "
                 f"{job.created:,} created once each, {job.bad} bad rows reported once")
