"""Reads of propagation: how each destination is doing."""

from datetime import timedelta

from django.db.models import Count, Min, Sum
from django.utils import timezone

from preferences.models import Delivery


def destination_health(destination, *, window_hours: int = 24) -> dict:
    """Last success, backlog, failure rate and propagation latency (commit to 2xx)."""
    now = timezone.now()
    rows = Delivery.objects.filter(destination=destination)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    oldest = rows.filter(status__in=["pending", "in_flight"]).aggregate(m=Min("created_at"))["m"]
    recent = rows.filter(created_at__gte=now - timedelta(hours=window_hours))
    attempts = recent.aggregate(a=Sum("attempts"))["a"] or 0
    delivered_recent = recent.filter(status="delivered")
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
        "pending": counts.get("pending", 0) + counts.get("in_flight", 0),
        "failed": counts.get("failed", 0),
        "delivered": counts.get("delivered", 0),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        "failure_rate": round(1 - delivered_n / attempts, 4) if attempts else None,
        "latency_p50_ms": percentile(0.50),
        "latency_p95_ms": percentile(0.95),
        "paused": destination.paused_at is not None,
    }
