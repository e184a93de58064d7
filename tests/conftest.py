"""Shared fixtures and personas: alice is subscribed, bob is another subject whose
data alice's links must never reach.

With DATABASE_URL and CELERY_BROKER_URL set the suite runs on PostgreSQL and
Redis; without them, what needs a service is skipped with the reason. Under
CI=true such a skip is a failure.
"""

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from config.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, reason: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this service: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres(db):
    require_service(connection.vendor == "postgresql",
                    "needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


def runtime_database_url(role: str | None = None) -> str:
    """The test database's URL for a process the suite starts (a worker, gunicorn): as
    `role`, else as the runtime role CI made (HUSH_TEST_RUNTIME_ROLE, granted on the test
    database at set-up), else as the suite's own user."""
    db = connection.settings_dict
    user = role or os.environ.get("HUSH_TEST_RUNTIME_ROLE") or db["USER"]
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Under HUSH_TEST_RUNTIME_ROLE (.ci/run), the test database grants that role what
    the README's runtime role gets, so the processes the suite starts can connect as it."""
    role = os.environ.get("HUSH_TEST_RUNTIME_ROLE")
    if role and connection.vendor == "postgresql":
        from audit.database_roles import runtime_role_grant

        with django_db_blocker.unblock():
            runtime_role_grant(role=role)


def pytest_configure(config):
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("under CI=true the suite runs on PostgreSQL: set DATABASE_URL")


@pytest.fixture(autouse=True)
def _eager_tasks_in_process(settings):
    """Unit tests run tasks in-process; tests/faults runs them on a real worker."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def _own_one_click_journal(settings, tmp_path):
    """Each test its own opt-out journal folder (never the work tree's), replayed by
    the test itself (a web process's replay thread would not see the test's rows),
    and its own topic names on the one-click pages."""
    # Imported here: this module is loaded before Django has loaded the apps.
    from preferences.one_click import erased, topics

    settings.HUSH_ONE_CLICK_JOURNAL = str(tmp_path / "one-click-journal")
    settings.HUSH_ONE_CLICK_REPLAY_IN_WEB = False
    topics.forget()  # the one-click pages' topic names, read from this test's rows
    erased.forget()  # and which of this test's subjects are erased


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from preferences.branding.selectors import brand_cache_clear

    cache.clear()
    brand_cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _flush_past_audit_trigger():
    """Transactional tests end with TRUNCATE, which the audit trigger refuses.

    The test flush alone runs with session_replication_role = replica (the
    superuser's way past triggers); the product never does.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences,
                              allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements \
            else statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


# --- personas -------------------------------------------------------------------

@pytest.fixture
def newsletter(db):
    from preferences.models import Topic

    return Topic.objects.create(slug="newsletter", name="Newsletter", channel="email",
                                default_subscribed=True)


@pytest.fixture
def offers(db):
    from preferences.models import Topic

    return Topic.objects.create(slug="offers", name="Offers", channel="email")


@pytest.fixture
def sms_alerts(db):
    from preferences.models import Topic

    return Topic.objects.create(slug="sms-alerts", name="SMS alerts", channel="sms")


def _subject(email, external_id, topics, country="GB"):
    import audit
    from preferences.services import subject_upsert

    subject, _ = subject_upsert(actor=audit.SYSTEM, source="import", email=email,
                                external_id=external_id, country=country,
                                subscriptions={t.slug: True for t in topics})
    return subject


@pytest.fixture
def alice(newsletter, offers):
    return _subject("alice@example.com", "alice-1", [newsletter, offers])


@pytest.fixture
def bob(newsletter, offers):
    return _subject("bob@example.org", "bob-2", [newsletter, offers], country="FR")


@pytest.fixture
def make_key(db):
    from preferences.models import ApiKey

    def make(*scopes, name="mailer"):
        _, key = ApiKey.objects.create_key(name=name, scopes=list(scopes))
        return key

    return make


@pytest.fixture
def api(make_key):
    """A DRF test client holding a key with the scopes asked for."""
    from rest_framework.test import APIClient

    def client(*scopes):
        c = APIClient()
        if scopes:
            c.credentials(HTTP_AUTHORIZATION=f"Api-Key {make_key(*scopes)}")
        return c

    return client


@pytest.fixture
def receiver():
    from tests.receiver import Receiver

    with Receiver() as r:
        yield r


@pytest.fixture
def webhook(db, receiver):
    """A webhook destination pointing at the local receiver, every topic and event."""
    from preferences.models import Destination

    return Destination.objects.create(name="crm", kind="webhook", url=receiver.url,
                                      secret="test-signing-secret")


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, past the admin's second factor (OTPAdminSite):
    a confirmed authenticator and the verified session django-otp expects."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def purposes(db):
    """The four example purposes (as seed_demo has them), by slug."""
    from preferences.models import Purpose

    rows = [
        ("analytics", "Analytics", "We count page views.", "consent", False),
        ("personalisation", "Personalisation", "We suggest things.", "legitimate_interest",
         False),
        ("partner_sharing", "Sharing with partners", "We share with ad partners.",
         "legitimate_interest", True),
        ("profiling", "Profiling", "We build a profile.", "consent", False),
    ]
    return {slug: Purpose.objects.create(slug=slug, name=name, description=description,
                                         legal_basis=basis, is_sale_or_sharing=sharing,
                                         position=i)
            for i, (slug, name, description, basis, sharing) in enumerate(rows)}


@pytest.fixture
def carol(newsletter, offers):
    """A subject in the US (opt-out jurisdiction)."""
    return _subject("carol@example.net", "carol-3", [newsletter], country="US")


# Hypothesis: generated inputs, but no timing checks; speed is for bench/, and a busy
# CI machine must not turn a slow example into a failure.
hypothesis_settings.register_profile("hush", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("hush")
