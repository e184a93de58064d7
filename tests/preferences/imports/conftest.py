import pytest


@pytest.fixture
def write_file(tmp_path):
    """Write `text` to a file (bytes as given) and return its path as a string."""
    def write(text: str, name: str = "import.csv") -> str:
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return str(path)

    return write


@pytest.fixture
def run_import(postgres):
    """Open and run an import the way `manage.py import` does; returns the job."""
    import audit
    from preferences.imports.services import import_open, import_run

    def run(kind, path, **options):
        batch_size = options.pop("batch_size", 10000)
        progress = options.pop("progress", None)
        job, _ = import_open(kind=kind, path=path, actor=audit.SYSTEM, **options)
        return import_run(job_id=job.pk, batch_size=batch_size, progress=progress)

    return run
