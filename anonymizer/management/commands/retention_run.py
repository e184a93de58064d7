import json

from django.core.management.base import BaseCommand, CommandError

from anonymizer import catalog
from anonymizer.retention import retention_run


class Command(BaseCommand):
    help = ("Apply the PII catalog's retention: transform (or delete) rows older than "
            "each entry's limit. Safe to stop and run again.")

    def add_arguments(self, parser):
        parser.add_argument("--entry", help="one catalog entry key, e.g. preferences.delivery")
        parser.add_argument("--dry-run", action="store_true",
                            help="count the rows that would change; change nothing")
        parser.add_argument("--batch-size", type=int, help="rows per batch")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, entry=None, dry_run=False, batch_size=None, json=False, **options):
        if entry is not None:
            try:
                if catalog.entry(entry).retention is None:
                    raise CommandError(f"{entry} has no retention period")
            except KeyError:
                raise CommandError(f"no catalog entry {entry!r} (see manage.py pii_catalog)")\
                    from None
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")

        def progress(state):
            if not json:
                done = state.rows + state.deleted
                self.stderr.write(f"  {state.key}: {done} rows after {state.batches} batches")

        result = retention_run(entry_key=entry, dry_run=dry_run, batch_size=batch_size,
                               progress=progress)
        if json:
            self.stdout.write(_json.dumps(result.summary(), indent=2))
            return
        verb = "would change" if dry_run else "changed"
        for state in result.entries.values():
            how = "SQL" if state.set_based else "Python"
            self.stdout.write(f"{state.key}: {verb} {state.rows} rows, "
                              f"{'would delete' if dry_run else 'deleted'} {state.deleted} "
                              f"({how}, {state.seconds:.1f}s)")
        self.stdout.write(f"total: {result.total} rows{' (dry run)' if dry_run else ''}")


_json = json
