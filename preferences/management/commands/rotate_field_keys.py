from django.core.management.base import BaseCommand
from django.db import transaction

import audit
from preferences.models import Subject


class Command(BaseCommand):
    help = ("Re-encrypt stored emails under the newest key in HUSH_FIELD_KEYS. Run after "
            "putting a new key first; remove the old key only once this has finished.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch, **options):
        rotated, last_pk = 0, 0
        while True:
            with transaction.atomic():
                rows = list(Subject.objects.filter(pk__gt=last_pk, email__isnull=False)
                            .order_by("pk").only("pk", "email")[:batch])
                for subject in rows:
                    # Saving the decrypted value encrypts it under the first (newest) key.
                    Subject.objects.filter(pk=subject.pk).update(email=subject.email)
            if not rows:
                break
            rotated += len(rows)
            last_pk = rows[-1].pk
            self.stdout.write(f"re-encrypted {rotated} emails")
        audit.record(actor=audit.SYSTEM, action="field_keys.rotated", details={"rows": rotated})
        self.stdout.write(f"done: {rotated} emails now under the newest key")
