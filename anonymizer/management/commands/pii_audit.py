import json

from django.core.management.base import BaseCommand, CommandError

from anonymizer.pii_audit import pii_audit_report, pii_audit_run


class Command(BaseCommand):
    help = ("Sample every text column of every connected database, detect PII, and report "
            "columns the catalog does not cover and catalogued policies not applied. "
            "Exits 1 when there are findings (to gate a deploy).")

    def add_arguments(self, parser):
        parser.add_argument("--sample", type=int, default=100,
                            help="values sampled per column (default 100)")
        parser.add_argument("--database", help="only this database: default, or a label "
                                               "from HUSH_EXTERNAL_DATABASES")
        parser.add_argument("--json", action="store_true", help="print the run as JSON")

    def handle(self, *args, sample=100, database=None, json=False, **options):
        if sample < 1:
            raise CommandError("--sample must be at least 1")
        try:
            run = pii_audit_run(sample=sample, database=database)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if json:
            self.stdout.write(_json.dumps({
                "id": run.pk, "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat(), "databases": run.databases,
                "sample": run.sample_size, "columns_sampled": run.columns_sampled,
                "findings": run.findings}, indent=2))
        else:
            self.stdout.write(pii_audit_report(run))
        if run.findings:
            raise CommandError(f"{len(run.findings)} findings", returncode=1)


_json = json
