from django.core.management.base import BaseCommand

from audit.selectors import chain_verify
from audit.services import chain_seal


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit 1 naming the first broken event."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-seal", action="store_true", help="verify only; do not seal pending events first"
        )

    def handle(self, *args, no_seal=False, **options):
        if not no_seal:
            chain_seal()
        report = chain_verify()
        if report.ok:
            self.stdout.write(
                f"audit chain OK: {report.checked} events verified, {report.unsealed} unsealed"
            )
            return
        where = f"event seq={report.broken_seq}"
        if report.broken_id is not None:
            where += f" (id={report.broken_id})"
        self.stderr.write(f"audit chain BROKEN at {where}: {report.reason}")
        raise SystemExit(1)
