"""Mail feedback per day, for the console: what came in (from the ledger) and the
day's counters (ignored messages, refused webhook calls, recipients the consent
check allowed), with the complaint rate against those allowed recipients."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from preferences.inbound import counters
from preferences.models import DailyCount, InboundEvent

Kind = InboundEvent.Kind
# Gmail's and Yahoo's bulk-sender line: complaints must stay under 0.3% of mail sent.
COMPLAINT_RATE_LIMIT = 0.003
_COLUMNS = {Kind.MAILTO: "mailto", Kind.SENDER: "mailto", Kind.HARD_BOUNCE: "hard_bounces",
            Kind.SOFT_BOUNCE: "soft_bounces", Kind.COMPLAINT: "complaints",
            Kind.ESP_UNSUBSCRIBE: "esp_unsubscribes"}


def mail_feedback_days(*, days: int = 30, today: date | None = None) -> list[dict]:
    """One row per day, oldest first: counts and `complaint_rate` (None when the consent
    check allowed nobody that day)."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    rows = defaultdict(lambda: defaultdict(int))
    ledger = (InboundEvent.objects.filter(received_at__date__gte=first)
              .annotate(day=TruncDate("received_at")).values("day", "kind")
              .annotate(n=Count("id")))
    for item in ledger:
        if item["kind"] in _COLUMNS:
            rows[item["day"]][_COLUMNS[item["kind"]]] += item["n"]
    daily = (DailyCount.objects.filter(day__gte=first).values("day", "name")
             .annotate(n=Sum("count")))
    for item in daily:
        name = item["name"]
        if name == counters.CONSENT_ALLOWED:
            rows[item["day"]]["allowed"] += item["n"]
        elif name.startswith("webhook.rejected."):
            rows[item["day"]]["rejected"] += item["n"]
        elif name.startswith("inbound.ignored."):
            rows[item["day"]]["ignored"] += item["n"]
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = {"day": day, **{c: rows[day][c] for c in (
            "mailto", "hard_bounces", "soft_bounces", "complaints", "esp_unsubscribes",
            "ignored", "rejected", "allowed")}}
        row["complaint_rate"] = row["complaints"] / row["allowed"] if row["allowed"] else None
        result.append(row)
    return result
