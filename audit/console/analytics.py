"""Feedback analytics: a differentially private release, shown as tables and SVG bars.

Only what the release's partition selection kept is drawn; each shown count carries
the interval its noise allows."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anonymizer import dp
from audit.console.access import role_required
from preferences.models import Feedback

TITLES = {"reason": gettext_lazy("Unsubscribes by reason"), "topic": gettext_lazy("by topic"),
          "week": gettext_lazy("by week (starting Monday)"),
          "country": gettext_lazy("by country")}
HEADINGS = {"reason": gettext_lazy("Reason"), "topic": gettext_lazy("Topic"),
            "week": gettext_lazy("Week"), "country": gettext_lazy("Country")}
CHART_ROWS = 20  # the longest tables (countries) chart their largest shown cells only
BAR_WIDTH = 320
COMMENT_DAYS = 30


def chart(rows: list) -> dict:
    """Bars for a server-drawn SVG: shown cells only (withheld ones have no bar)."""
    shown = [(label, value) for label, value in rows if value is not None]
    if len(shown) > CHART_ROWS:
        shown = sorted(shown, key=lambda r: -r[1])[:CHART_ROWS]
    top = max((v for _, v in shown), default=0) or 1
    bars = [{"label": label, "value": value, "y": i * 22, "text_y": i * 22 + 15,
             "width": max(1, round(BAR_WIDTH * value / top))} for i, (label, value)
            in enumerate(shown)]
    return {"bars": bars, "height": max(22, 22 * len(bars))}


def _labels(table: str, rows: list) -> list:
    if table == "reason":
        names = dict(Feedback.Reason.choices)
        return [[str(names.get(label, label)), value] for label, value in rows]
    return rows


def _with_intervals(rows: list, release) -> list[dict]:
    """Each shown count with its confidence interval (never under 0); a count the
    selection did not keep has none. Releases from before intervals show none."""
    out = []
    for label, value in rows:
        row = {"label": label, "value": value, "low": None, "high": None}
        if value is not None and release.interval is not None:
            row["low"] = max(0, value - int(release.interval))
            row["high"] = value + int(release.interval)
        out.append(row)
    return out


def _comments(request):
    """Redacted comments (stored redacted), for privacy officers only."""
    if not request.user.has_perm("audit.view_feedback_comments"):
        return None
    # The last 30 days only: a read along the created_at index that stops there, where
    # "the newest 50 anywhere" would walk the whole table when comments are rare.
    since = timezone.now() - timedelta(days=COMMENT_DAYS)
    return list(Feedback.objects.filter(created_at__gte=since).exclude(comment="")
                .order_by("-created_at").values("created_at", "reason", "comment")[:50])


@role_required("view_analytics")
def analytics(request):
    # Whether feedback arrived since the release is not shown: that bit is not noised.
    release = dp.release_current()
    sections = []
    if release is not None:
        for table in dp.TABLES:
            rows = _labels(table, release.tables[table])
            withheld = sum(1 for _, v in rows if v is None)
            # Only selected countries are listed: ~250 "not shown" rows say nothing.
            listed = [r for r in rows if r[1] is not None] if table == "country" else rows
            sections.append({"key": table, "title": TITLES[table], "heading": HEADINGS[table],
                             "rows": _with_intervals(listed, release),
                             "withheld": withheld, "chart": chart(rows)})
    return render(request, "console/analytics.html", {
        "release": release, "sections": sections, "budget": dp.budget(),
        "epsilon": dp.settings.HUSH_DP_EPSILON_PER_RELEASE,
        "delta": dp.settings.HUSH_DP_DELTA,
        "can_release": request.user.has_perm("audit.release_analytics"),
        "comments": _comments(request),
    })


@require_POST
@role_required("release_analytics")
def analytics_release(request):
    try:
        dp.release_make(actor=request.user)
    except dp.BudgetExhausted as refused:
        messages.error(request, _("Release refused: %(why)s") % {"why": refused})
    return redirect("console:analytics")
