"""Feedback analytics: released with OpenDP's discrete Laplace noise, a minimum cell
size on the noisy counts, and a privacy budget per period that refuses a release it
cannot pay for. Reloading shows the kept release and spends nothing."""

import math
import re
import statistics
from datetime import timedelta

import pytest
from django.utils import timezone

from anonymizer import dp
from audit.models import AuditEvent, PrivacyRelease
from preferences.models import Feedback


@pytest.fixture
def feedback(newsletter, offers):
    now = timezone.now()
    rows = [Feedback(topic=newsletter if i % 3 else offers, reason="too_frequent" if i % 4
                     else "privacy", country="FR" if i % 2 else "GB",
                     created_at=now - timedelta(days=i % 30))
            for i in range(400)]
    Feedback.objects.bulk_create(rows)
    return rows


def test_a_release_spends_epsilon_once_and_reloading_spends_nothing(staff_client, feedback):
    client = staff_client("analyst")
    assert "No release in this period yet." in client.get("/console/analytics/").content.decode()
    client.post("/console/analytics/release/")
    for _ in range(3):
        page = client.get("/console/analytics/").content.decode()
    assert PrivacyRelease.objects.count() == 1
    release = PrivacyRelease.objects.get()
    assert release.epsilon == 1.0 and release.scale == 4.0  # sensitivity 4 / epsilon 1
    assert 'id="chart-reason"' in page and "<rect" in page
    assert "discrete Laplace, scale 4.00" in page and "ε spent: 1.00" in page
    assert "ε 1.00 of 4.00 spent" in page
    event = AuditEvent.objects.get(action="analytics.released")
    assert event.details["epsilon"] == 1.0 and event.details["scale"] == 4.0


def test_the_counts_are_near_the_truth(staff_client, feedback, settings):
    settings.HUSH_DP_MIN_CELL = 40
    staff_client("analyst").post("/console/analytics/release/")
    reasons = dict(PrivacyRelease.objects.get().tables["reason"])
    # 300 and 100 rows; discrete Laplace with scale 4 strays 40 or more with odds 5e-5.
    assert abs(reasons["too_frequent"] - 300) < 40 and abs(reasons["privacy"] - 100) < 40
    assert reasons["other"] is None  # 0 + noise reaches 40 with odds 3e-5


def test_a_release_past_the_budget_is_refused_and_changes_nothing(staff_client, feedback,
                                                                 settings):
    settings.HUSH_DP_BUDGET_PER_PERIOD = 2.5
    client = staff_client("analyst")
    client.post("/console/analytics/release/")
    client.post("/console/analytics/release/")
    response = client.post("/console/analytics/release/", follow=True)
    assert "Release refused" in response.content.decode()
    assert PrivacyRelease.objects.count() == 2
    assert sum(PrivacyRelease.objects.values_list("epsilon", flat=True)) <= 2.5
    with pytest.raises(dp.BudgetExhausted):
        dp.release_make(actor=_analyst())


def _analyst():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="analyst")


def test_the_budget_renews_with_the_period(staff_client, feedback, settings):
    settings.HUSH_DP_BUDGET_PER_PERIOD = 1.0
    staff_client("analyst")
    user = _analyst()
    now = timezone.now()
    dp.release_make(actor=user, now=now)
    with pytest.raises(dp.BudgetExhausted):
        dp.release_make(actor=user, now=now)
    later = now + timedelta(days=settings.HUSH_DP_PERIOD_DAYS)
    assert dp.release_make(actor=user, now=later).period_start > dp.period_start(now)


def test_no_cell_under_the_minimum_is_ever_shown(staff_client, newsletter, settings):
    settings.HUSH_DP_MIN_CELL = 25
    now = timezone.now()
    # Small and middling counts, where noise straddles the minimum.
    Feedback.objects.bulk_create(
        Feedback(topic=newsletter, reason=reason, country=country, created_at=now)
        for reason, n in (("too_frequent", 24), ("privacy", 26), ("other", 3))
        for country in ("FR",) for _ in range(n))
    client = staff_client("privacy officer")
    for _ in range(4):
        client.post("/console/analytics/release/")
    for release in PrivacyRelease.objects.all():
        for rows in release.tables.values():
            assert all(value is None or value >= 25 for _, value in rows)
    page = client.get("/console/analytics/").content.decode()
    shown = [int(v) for v in re.findall(r"<td>(\d+)</td></tr>", page)]
    assert all(v >= 25 for v in shown)
    assert "&lt; 25" in page


def test_the_noise_has_the_configured_scale():
    """Many releases of an all-zero vector: the noise's mean absolute value and variance
    match the discrete Laplace of the configured scale. OpenDP draws from the operating
    system's secure generator and cannot be seeded (by design), so this is a statistical
    test: 20,000 draws put each estimate within 5 % with odds far beyond 1 - 1e-6."""
    measurement, scale = dp.noise_measurement(1.0)
    assert scale == 4.0 and measurement.map(dp.SENSITIVITY) <= 1.0
    draws = []
    for _ in range(200):
        draws += measurement([0] * 100)
    a = math.exp(-1 / scale)
    expected_abs = 2 * a / (1 - a * a)
    expected_var = 2 * a / (1 - a) ** 2
    assert abs(statistics.fmean(abs(x) for x in draws) / expected_abs - 1) < 0.05
    assert abs(statistics.pvariance(draws, mu=0) / expected_var - 1) < 0.08
    assert abs(statistics.fmean(draws)) < 0.25  # centred (6 standard errors)


def test_comments_only_for_privacy_officers(staff_client, feedback):
    Feedback.objects.filter(pk=Feedback.objects.first().pk).update(comment="mail me at [EMAIL]")
    staff_client("analyst").post("/console/analytics/release/")
    assert "[EMAIL]" in staff_client("privacy officer").get("/console/analytics/").content \
        .decode()
    assert "[EMAIL]" not in staff_client("analyst").get("/console/analytics/").content.decode()
