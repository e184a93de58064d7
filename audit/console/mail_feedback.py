"""Mail feedback: per day, mailto unsubscribes, bounces, complaints, refused webhook
calls, and the complaint rate against the recipients the consent check allowed, drawn
with Gmail's 0.3% line. Counts only: no address, subject line or sender is kept."""

from django.shortcuts import render

from audit.console.access import role_required
from preferences.inbound.selectors import COMPLAINT_RATE_LIMIT, mail_feedback_days

DAYS = 30
WIDTH, HEIGHT, LEFT, BOTTOM = 620, 200, 48, 24


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.3f}%"


def chart(rows: list[dict]) -> dict:
    """A server-drawn SVG: one bar per day (the complaint rate), the 0.3% line across."""
    rates = [r["complaint_rate"] for r in rows if r["complaint_rate"] is not None]
    top = max([COMPLAINT_RATE_LIMIT * 1.5, *(rate * 1.1 for rate in rates)])
    plot = HEIGHT - BOTTOM
    step = (WIDTH - LEFT) / max(1, len(rows))

    def y(rate):
        return round(plot - plot * rate / top, 1)

    bars = []
    for i, row in enumerate(rows):
        rate = row["complaint_rate"]
        x = round(LEFT + i * step + 1, 1)
        bars.append({"x": x, "width": round(max(1.0, step - 2), 1), "day": row["day"],
                     "rate": percent(rate), "y": y(rate or 0),
                     "height": round(plot - y(rate or 0), 1),
                     "over": rate is not None and rate >= COMPLAINT_RATE_LIMIT,
                     "label": i % 5 == 0, "label_x": round(x + step / 2, 1)})
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "left": LEFT, "plot": plot,
            "limit_y": y(COMPLAINT_RATE_LIMIT), "top_label": f"{top * 100:.2f}%",
            "label_y": HEIGHT - 6}


@role_required("view_mail_feedback")
def mail_feedback(request):
    rows = mail_feedback_days(days=DAYS)
    totals = {key: sum(r[key] for r in rows) for key in (
        "mailto", "hard_bounces", "soft_bounces", "complaints", "esp_unsubscribes", "ignored",
        "rejected", "allowed")}
    totals["rate"] = percent(totals["complaints"] / totals["allowed"]
                             if totals["allowed"] else None)
    table = [{**row, "rate": percent(row["complaint_rate"]),
              "over": (row["complaint_rate"] or 0) >= COMPLAINT_RATE_LIMIT}
             for row in reversed(rows)]
    return render(request, "console/mail_feedback.html", {
        "rows": table, "totals": totals, "chart": chart(rows), "days": DAYS,
        "limit": percent(COMPLAINT_RATE_LIMIT),
    })
