"""Counters by day: how many recipients the consent check allowed, how many webhook
calls were refused, how many messages were ignored. Only a name and a number: nothing
of a person or a message.

Each increment is one upsert into one of a few shards (chosen at random), so that the
consent check's many concurrent callers rarely wait on the same row.
"""

import random

from django.db import connection
from django.utils import timezone

SHARDS = 8
CONSENT_ALLOWED = "consent.allowed"
_UPSERT = ("INSERT INTO preferences_dailycount (day, name, shard, count) VALUES (%s, %s, %s, %s) "
           "ON CONFLICT (day, name, shard) DO UPDATE "
           "SET count = preferences_dailycount.count + EXCLUDED.count")


def daily_count_add(*, name: str, amount: int = 1) -> None:
    """Add `amount` to today's (UTC) counter `name`, in the caller's transaction if any."""
    if amount <= 0:
        return
    shard = random.randrange(SHARDS)  # noqa: S311 (spreading writes, not a secret)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [timezone.now().date(), name[:64], shard, amount])


def rejected_name(channel: str) -> str:
    return f"webhook.rejected.{channel}"


def ignored_name(channel: str) -> str:
    return f"inbound.ignored.{channel}"
