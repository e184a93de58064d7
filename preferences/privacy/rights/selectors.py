"""Reads of rights requests: the staff queue, sorted by due date, and what is due soon."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from preferences.models import RightsRequest

State = RightsRequest.State
OPEN = (State.AWAITING_REVIEW, State.RUNNING)
SOON = timedelta(days=3)


def requests_queue(*, state: str = ""):
    """Every verified request, the soonest due first (unverified ones have no due date
    yet and are counted apart)."""
    rows = RightsRequest.objects.exclude(state=State.AWAITING_VERIFICATION)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by(F("due_at").asc(nulls_last=True), "pk")


def requests_due_counts(now=None) -> dict:
    """Open requests past their due date, and those due within three days."""
    now = now or timezone.now()
    open_requests = RightsRequest.objects.filter(state__in=OPEN)
    return {
        "overdue": open_requests.filter(due_at__lt=now).count(),
        "due_soon": open_requests.filter(due_at__gte=now, due_at__lt=now + SOON).count(),
        "awaiting_verification": RightsRequest.objects.filter(
            state=State.AWAITING_VERIFICATION).count(),
    }


def time_left(request: RightsRequest, now=None) -> dict | None:
    """Whole days left (negative once overdue), for the queue."""
    if request.due_at is None or request.state not in OPEN:
        return None
    seconds = (request.due_at - (now or timezone.now())).total_seconds()
    days = int(seconds // 86400)
    return {"days": days, "overdue": seconds < 0, "soon": 0 <= seconds < SOON.total_seconds()}
