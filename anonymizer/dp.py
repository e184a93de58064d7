"""Differentially private release of feedback counts, and the privacy budget.

Counts by reason, topic, week and country are taken over PUBLIC sets of categories
(the reason codes, the published topics, the calendar weeks of the window and the
ISO country codes). A category is shown only if a differentially private partition
selection says so: OpenDP's Laplace threshold mechanism adds discrete Laplace noise
to every count (we never sample noise ourselves) and keeps only noisy counts at or
over a threshold calibrated to the noise and a delta, so a category nobody is in
(the ~250 empty countries) appears with odds under delta, never because noise
happened to clear a minimum cell size. Every release is written to the ledger
(PrivacyRelease) with the epsilon and delta OpenDP's privacy map gives it; one that
would take its period past the budget is refused.

One feedback row adds 1 to exactly one cell of each of the four tables, so the
vector of all counts has L1 sensitivity 4 (4 cells, 1 each); the noise scale is
4 / epsilon.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

import audit
from audit.models import PrivacyRelease
from preferences.models import Feedback, Topic

TABLES = ("reason", "topic", "week", "country")
SENSITIVITY = len(TABLES)  # one row, one cell per table
NO_TOPIC = "(no topic)"
UNKNOWN_COUNTRY = "(unknown)"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday: periods and weeks align to it

# ISO 3166-1 alpha-2: the public set of countries (a fixed list, not what the data holds).
COUNTRIES = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
    "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
    "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
    "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
    "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
    "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
    "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
    "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
    "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"
]


class BudgetExhausted(Exception):
    """The period's privacy budget cannot pay for another release."""


@dataclass(frozen=True)
class Budget:
    period_start: datetime
    period_end: datetime
    total: float
    spent: float

    @property
    def remaining(self) -> float:
        return max(0.0, round(self.total - self.spent, 9))


def period_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    days = settings.HUSH_DP_PERIOD_DAYS
    return EPOCH + timedelta(days=((now - EPOCH).days // days) * days)


def budget(now: datetime | None = None) -> Budget:
    start = period_start(now)
    spent = sum(PrivacyRelease.objects.filter(period_start=start)
                .values_list("epsilon", flat=True))
    return Budget(start, start + timedelta(days=settings.HUSH_DP_PERIOD_DAYS),
                  settings.HUSH_DP_BUDGET_PER_PERIOD, spent)


def release_current(now: datetime | None = None) -> PrivacyRelease | None:
    """The latest release of this period: shown again instead of spending again."""
    return (PrivacyRelease.objects.filter(period_start=period_start(now))
            .order_by("-released_at", "-id").first())


# What one feedback row can change: a cell in each of the 4 tables (l0), by 1 each
# (l-infinity), 4 in all (l1). OpenDP's privacy map of a release takes this.
D_IN = (SENSITIVITY, SENSITIVITY, 1)
CONFIDENCE = 0.95  # of the interval shown next to each count
_KEY = "\x1f"  # table and label in one key of OpenDP's map (neither holds it)


def _threshold_measurement(scale: float, threshold: int):
    # Imported on use: OpenDP loads a native library (~0.1 s) that only a release needs.
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.m.make_laplace_threshold(
        dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=int)),
        dp.l01inf_distance(dp.absolute_distance(T=int)), scale=scale, threshold=threshold)


def calibrated_threshold(scale: float, delta: float) -> int:
    """The smallest threshold at which OpenDP's privacy map certifies delta: a cell
    under it is never shown, so a category nobody (or one person) is in appears with
    odds under delta. Close to 1 + scale * ln(l0 / (2 delta)), the Laplace formula."""
    def delta_at(threshold):
        return _threshold_measurement(scale, threshold).map(D_IN)[1]

    high = 1
    while delta_at(high) > delta:
        high *= 2
    low = high // 2  # delta_at(low) > delta, or low is 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if delta_at(middle) <= delta else (middle, high)
    return high


@dataclass(frozen=True)
class Selection:
    """A release's mechanism: OpenDP's Laplace threshold on the map of all public
    cells (noise on every count, those under the threshold dropped), its parameters
    and what OpenDP's privacy map says it spends."""

    measurement: object
    scale: float
    threshold: int
    epsilon: float
    delta: float
    interval: float  # half-width of the CONFIDENCE interval of one count's noise

    def release(self, counts: dict[str, dict[str, int]],
                labels: dict[str, list[str]]) -> dict[str, list]:
        """{table: [[label, noisy count, or None when not selected], ...]}."""
        cells = {f"{table}{_KEY}{label}": counts[table].get(label, 0)
                 for table in TABLES for label in labels[table]}
        selected = self.measurement(cells)
        return {table: [[label, selected.get(f"{table}{_KEY}{label}")]
                        for label in labels[table]] for table in TABLES}


def selection_make(*, epsilon: float, delta: float, min_cell: int = 0) -> Selection:
    import opendp.prelude as dp  # on use, as above

    scale = SENSITIVITY / epsilon
    # The operator's minimum cell size can only raise the threshold (a smaller delta).
    threshold = max(calibrated_threshold(scale, delta), min_cell)
    measurement = _threshold_measurement(scale, threshold)
    spent_epsilon, spent_delta = measurement.map(D_IN)
    if spent_epsilon > epsilon * (1 + 1e-9) or spent_delta > delta:
        raise AssertionError(f"measurement spends ({spent_epsilon}, {spent_delta}), "
                             f"more than ({epsilon}, {delta})")
    interval = math.floor(dp.discrete_laplacian_scale_to_accuracy(scale, 1 - CONFIDENCE))
    return Selection(measurement, scale, threshold, spent_epsilon, spent_delta, interval)


def week_starts(end: datetime, weeks: int) -> list[datetime]:
    monday = end.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=end.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def categories(*, window_start: datetime, weeks: list[datetime]) -> dict[str, list[str]]:
    return {
        "reason": [code for code, _ in Feedback.Reason.choices],
        "topic": [*Topic.objects.order_by("slug").values_list("slug", flat=True), NO_TOPIC],
        "week": [w.date().isoformat() for w in weeks],
        "country": [*COUNTRIES, UNKNOWN_COUNTRY],
    }


_COUNTS_SQL = """
SELECT GROUPING(f.reason, t.slug, date_trunc('week', f.created_at AT TIME ZONE 'UTC'), f.country),
       f.reason, t.slug, date_trunc('week', f.created_at AT TIME ZONE 'UTC'), f.country, count(*)
FROM preferences_feedback f LEFT JOIN preferences_topic t ON t.id = f.topic_id
WHERE f.created_at >= %(start)s AND f.created_at < %(end)s AND f.id <= %(last)s
GROUP BY GROUPING SETS ((f.reason), (t.slug), (date_trunc('week', f.created_at AT TIME ZONE 'UTC')),
                        (f.country))
"""


def true_counts(*, window_start, window_end, last_id) -> dict[str, dict[str, int]]:
    """Exact counts per table: one scan on PostgreSQL (grouping sets)."""
    out = {table: {} for table in TABLES}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_COUNTS_SQL, {"start": window_start, "end": window_end,
                                         "last": last_id})
            for grouping, reason, slug, week, country, n in cursor.fetchall():
                # GROUPING() sets a bit for each column NOT grouped in that set.
                if grouping == 0b0111:
                    out["reason"][reason] = n
                elif grouping == 0b1011:
                    out["topic"][slug or NO_TOPIC] = n
                elif grouping == 0b1101:
                    out["week"][week.date().isoformat()] = n
                elif grouping == 0b1110:
                    out["country"][country or UNKNOWN_COUNTRY] = n
        return out
    rows = Feedback.objects.filter(created_at__gte=window_start, created_at__lt=window_end,
                                   id__lte=last_id)
    for expr, table in (("reason", "reason"), ("topic__slug", "topic"), ("country", "country")):
        for value, n in rows.values_list(expr).annotate(n=Count("id")).order_by():
            label = value or (NO_TOPIC if table == "topic" else UNKNOWN_COUNTRY)
            out[table][label] = n
    for week, n in (rows.annotate(w=TruncWeek("created_at")).values_list("w")
                    .annotate(n=Count("id")).order_by()):
        out["week"][week.date().isoformat()] = n
    return out


def release_make(*, actor, now: datetime | None = None) -> PrivacyRelease:
    """Spend one release's epsilon and keep its noisy tables; BudgetExhausted if the
    period cannot pay. The check and the ledger row share one locked transaction,
    so two analysts releasing at once cannot both squeeze under the budget."""
    now = now or timezone.now()
    epsilon = settings.HUSH_DP_EPSILON_PER_RELEASE
    min_cell = settings.HUSH_DP_MIN_CELL
    weeks = week_starts(now, settings.HUSH_DP_WEEKS)
    window_start, window_end = weeks[0], now
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('hush.dp.budget'))")
        current = budget(now)
        if current.spent + epsilon > current.total * (1 + 1e-9):
            raise BudgetExhausted(
                f"this period's budget (epsilon {current.total}) has {current.remaining} left; "
                f"a release costs {epsilon}. It renews on {current.period_end:%Y-%m-%d}.")
        last_id = Feedback.objects.order_by("-id").values_list("id", flat=True).first() or 0
        labels = categories(window_start=window_start, weeks=weeks)
        counts = true_counts(window_start=window_start, window_end=window_end, last_id=last_id)
        selection = selection_make(epsilon=epsilon, delta=settings.HUSH_DP_DELTA,
                                   min_cell=min_cell)
        tables = selection.release(counts, labels)
        release = PrivacyRelease.objects.create(
            period_start=current.period_start, released_at=now, released_by=str(actor.pk),
            epsilon=epsilon, delta=selection.delta, scale=selection.scale,
            threshold=selection.threshold, interval=selection.interval,
            confidence=CONFIDENCE, min_cell=min_cell, window_start=window_start,
            window_end=window_end, last_feedback_id=last_id, tables=tables)

        audit.record(actor=actor, action="analytics.released", target=release,
                     details={"epsilon": epsilon, "delta": selection.delta,
                              "scale": selection.scale, "threshold": selection.threshold,
                              "min_cell": min_cell,
                              "period_start": current.period_start.isoformat()})
    return release
