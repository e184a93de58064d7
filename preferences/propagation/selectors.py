"""Reads of propagation: how each destination is doing, and the deliveries waiting or
given up."""

from datetime import timedelta

from django.db.models import Count, Min, Sum
from django.utils import timezone

from preferences.models import Delivery, Destination

Status = Delivery.Status
OPEN = (Status.PENDING, Status.IN_FLIGHT)


def destination_health(destination, *, window_hours: int = 24) -> dict:
    """Last success, backlog, failure rate and propagation latency (commit to 2xx)."""
    now = timezone.now()
    rows = Delivery.objects.filter(destination=destination)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    oldest = rows.filter(status__in=OPEN).aggregate(m=Min("created_at"))["m"]
    recent = rows.filter(created_at__gte=now - timedelta(hours=window_hours))
    attempts = recent.aggregate(a=Sum("attempts"))["a"] or 0
    delivered_recent = recent.filter(status=Status.DELIVERED)
    delivered_n = delivered_recent.count()
    latencies = sorted(
        (d - c).total_seconds() * 1000
        for c, d in delivered_recent.values_list("created_at", "delivered_at")[:100_000]
    )

    def percentile(p):
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "last_success_at": destination.last_success_at,
        "pending": sum(counts.get(s, 0) for s in OPEN),
        "failed": counts.get(Status.FAILED, 0),
        "delivered": counts.get(Status.DELIVERED, 0),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        "failure_rate": round(1 - delivered_n / attempts, 4) if attempts else None,
        "attempts": attempts,  # in the window, with the failed ones: the rate in words
        "failed_attempts": max(0, attempts - delivered_n),
        "latency_p50_ms": percentile(0.50),
        "latency_p95_ms": percentile(0.95),
        "paused": destination.paused_at is not None,
    }


def deliveries_counts() -> dict:
    """How many deliveries wait (pending or in flight) and how many were given up."""
    counts = dict(Delivery.objects.filter(status__in=[*OPEN, Status.FAILED])
                  .values_list("status").annotate(n=Count("id")).order_by())
    return {"pending": sum(counts.get(s, 0) for s in OPEN), "failed": counts.get(Status.FAILED, 0)}


LIST_COLUMNS = ("id", "destination__name", "event_type", "status", "attempts",
                "last_status_code", "last_error", "created_at", "next_attempt_at")


def deliveries_open(*, limit: int = 50) -> list[dict]:
    """The oldest deliveries still waiting, oldest first."""
    return list(Delivery.objects.filter(status__in=OPEN).order_by("id")
                .values(*LIST_COLUMNS)[:limit])


def deliveries_failed(*, limit: int = 50) -> list[dict]:
    """The newest dead letters, newest first."""
    return list(Delivery.objects.filter(status=Status.FAILED).order_by("-id")
                .values(*LIST_COLUMNS)[:limit])


def destinations_health() -> list[tuple[Destination, dict]]:
    """Every destination with its health, by name."""
    return [(d, destination_health(d)) for d in Destination.objects.order_by("name")]
