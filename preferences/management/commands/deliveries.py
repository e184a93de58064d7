from django.core.management.base import BaseCommand, CommandError

from preferences.models import Delivery
from preferences.propagation.delivery import deliveries_retry


class Command(BaseCommand):
    help = "Failed deliveries (the dead letters): list them or retry them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        retry = sub.add_parser("retry", help="retry failed deliveries by id, or --all")
        retry.add_argument("ids", nargs="*", type=int)
        retry.add_argument("--all", action="store_true")
        sub.add_parser("failed", help="list failed deliveries")

    def handle(self, *args, action, **options):
        if action == "failed":
            for d in Delivery.objects.filter(status="failed").select_related("destination"):
                self.stdout.write(f"{d.pk}  {d.destination.name}  {d.event_type}  "
                                  f"attempts={d.attempts}  {d.last_error}")
            return
        if not options["ids"] and not options["all"]:
            raise CommandError("give delivery ids or --all")
        count = deliveries_retry(ids=None if options["all"] else options["ids"])
        self.stdout.write(f"queued {count} failed deliveries again")
