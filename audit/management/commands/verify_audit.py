import base64

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.selectors import chain_verify
from audit.services import chain_seal
from common.crypto import ed25519_key_load


class Command(BaseCommand):
    help = ("Walk the audit hash chain and hold it against the signed checkpoints; exit 1 "
            "naming the first broken event (or checkpoint).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-seal", action="store_true",
            help="verify only; do not seal pending events first (a verifier holding only "
                 "the public key: HUSH_AUDIT_VERIFY_KEYS)")
        parser.add_argument(
            "--public-key", action="store_true",
            help="print the public half of HUSH_AUDIT_SIGNING_KEY (for HUSH_AUDIT_VERIFY_KEYS) "
                 "and exit")

    def handle(self, *args, no_seal=False, public_key=False, **options):
        if public_key:
            if not settings.HUSH_AUDIT_SIGNING_KEY:
                raise CommandError("HUSH_AUDIT_SIGNING_KEY is not set")
            key = ed25519_key_load(settings.HUSH_AUDIT_SIGNING_KEY, private=True).public_key()
            self.stdout.write(base64.b64encode(key.public_bytes_raw()).decode())
            return
        if not no_seal:
            chain_seal()
        report = chain_verify()
        if report.ok:
            self.stdout.write(
                f"audit chain OK: {report.checked} events verified, {report.unsealed} unsealed; "
                + _anchor(report))
            return
        if report.broken_seq is None:
            self.stderr.write(f"audit chain BROKEN: {report.reason}")
        else:
            where = f"event seq={report.broken_seq}"
            if report.broken_id is not None:
                where += f" (id={report.broken_id})"
            self.stderr.write(f"audit chain BROKEN at {where}: {report.reason}")
        raise SystemExit(1)


def _anchor(report) -> str:
    if report.anchored_seq is None:
        return ("no signed checkpoints (HUSH_AUDIT_CHECKPOINT_DIR unset): the chain is only "
                "as safe as the database")
    behind = report.checked - report.anchored_seq
    return (f"{report.checkpoints} signed checkpoints, the latest at event {report.anchored_seq}"
            + (f" ({behind} sealed after it)" if behind else ""))
