"""Hush settings. Every value comes from the environment (see README.md).

`HUSH_DEV=1` is the embedded first-look mode: DEBUG, SQLite, in-process tasks and
throwaway keys. Without it every secret must be set, or start-up fails.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_colour,
    env_database_urls,
    env_ec_public_key,
    env_ed25519_keys,
    env_fernet_keys,
    env_float,
    env_imap_url,
    env_int,
    env_list,
    env_networks,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEV = env_bool("HUSH_DEV", False)
DEBUG = env_bool("DEBUG", DEV)

# Throwaway values for HUSH_DEV only; production must provide its own.
SECRET_KEY = env_required("SECRET_KEY", unless=DEV, fallback="dev-only-" + "x" * 50)
HUSH_FIELD_KEYS = env_list("HUSH_FIELD_KEYS") or (
    ["ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="] if DEV else []
)
env_fernet_keys("HUSH_FIELD_KEYS", HUSH_FIELD_KEYS)
HUSH_DIGEST_KEY = env_required("HUSH_DIGEST_KEY", unless=DEV, fallback="dev-only-digest-key")
HUSH_BASE_URL = (env_str("HUSH_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
HUSH_UNSUBSCRIBE_MAILTO = env_str("HUSH_UNSUBSCRIBE_MAILTO", "")
HUSH_PREFERENCE_LINK_MAX_AGE = env_int("HUSH_PREFERENCE_LINK_MAX_AGE", 7 * 24 * 3600, minimum=60)
HUSH_ONE_CLICK_MAX_AGE = env_int("HUSH_ONE_CLICK_MAX_AGE", 365 * 24 * 3600, minimum=3600)
HUSH_LINK_RATE_PER_ADDRESS = env_str("HUSH_LINK_RATE_PER_ADDRESS", "3/h")
HUSH_LINK_RATE_PER_CLIENT = env_str("HUSH_LINK_RATE_PER_CLIENT", "20/h")
HUSH_AUDIT_SEAL_INTERVAL = env_int("HUSH_AUDIT_SEAL_INTERVAL", 2, minimum=1)
# The audit chain's anchor outside the database (audit/checkpoints.py): every sealing
# appends a checkpoint signed with this Ed25519 key to a file in this directory; old
# keys' public halves keep verifying. `check --deploy` warns when either is missing.
HUSH_AUDIT_CHECKPOINT_DIR = env_str("HUSH_AUDIT_CHECKPOINT_DIR", "")
_audit_signing_keys = env_ed25519_keys("HUSH_AUDIT_SIGNING_KEY", private=True)
if len(_audit_signing_keys) > 1:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("HUSH_AUDIT_SIGNING_KEY holds one key (old keys' public "
                               "halves go in HUSH_AUDIT_VERIFY_KEYS)")
HUSH_AUDIT_SIGNING_KEY = _audit_signing_keys[0] if _audit_signing_keys else ""
HUSH_AUDIT_VERIFY_KEYS = env_ed25519_keys("HUSH_AUDIT_VERIFY_KEYS", private=False)
# Behind PgBouncer in transaction mode: no server-side cursors, no prepared statements.
HUSH_BEHIND_TRANSACTION_POOLER = env_bool("HUSH_BEHIND_TRANSACTION_POOLER", False)
HUSH_PREPARE_ONE_CLICK = env_bool("HUSH_PREPARE_ONE_CLICK", not HUSH_BEHIND_TRANSACTION_POOLER)
# One-click opt-outs accepted while the database is down wait here, on the web host.
HUSH_ONE_CLICK_JOURNAL = (env_str("HUSH_ONE_CLICK_JOURNAL")
                          or str(BASE_DIR / "var" / "one-click-journal"))
HUSH_ONE_CLICK_REPLAY_INTERVAL = env_int("HUSH_ONE_CLICK_REPLAY_INTERVAL", 5, minimum=1)
# The web processes replay the journal themselves once the database answers again.
HUSH_ONE_CLICK_REPLAY_IN_WEB = env_bool("HUSH_ONE_CLICK_REPLAY_IN_WEB", True)
# Double opt-in: how long a confirmation link works; unconfirmed sign-ups are deleted after.
HUSH_DOI_EXPIRY = env_int("HUSH_DOI_EXPIRY", 7 * 24 * 3600, minimum=60)
HUSH_DOI_PURGE_INTERVAL = env_int("HUSH_DOI_PURGE_INTERVAL", 3600, minimum=5)
HUSH_SIGNUP_RATE_PER_CLIENT = env_str("HUSH_SIGNUP_RATE_PER_CLIENT", "10/h")
HUSH_SIGNUP_RATE_PER_ADDRESS = env_str("HUSH_SIGNUP_RATE_PER_ADDRESS", "3/h")
# A sign-up for a known address mails it at most once per this many seconds.
HUSH_SIGNUP_NOTE_PERIOD = env_int("HUSH_SIGNUP_NOTE_PERIOD", 24 * 3600, minimum=60)
# "Download my data": encrypted files wait here (private: never under STATIC or MEDIA).
HUSH_EXPORT_DIR = env_str("HUSH_EXPORT_DIR") or str(BASE_DIR / "var" / "exports")
HUSH_EXPORT_LINK_MAX_AGE = env_int("HUSH_EXPORT_LINK_MAX_AGE", 48 * 3600, minimum=60)
HUSH_EXPORT_EXPIRE_INTERVAL = env_int("HUSH_EXPORT_EXPIRE_INTERVAL", 600, minimum=5)
# Rights requests (/privacy/): the emailed code's life and tries, the signed link's life,
# the rates per address and per client, and which kinds wait for a privacy officer
# after verification (the others run at once).
HUSH_RIGHTS_CODE_MAX_AGE = env_int("HUSH_RIGHTS_CODE_MAX_AGE", 15 * 60, minimum=60)
HUSH_RIGHTS_CODE_TRIES = env_int("HUSH_RIGHTS_CODE_TRIES", 5, minimum=1)
HUSH_RIGHTS_LINK_MAX_AGE = env_int("HUSH_RIGHTS_LINK_MAX_AGE", 15 * 60, minimum=60)
HUSH_RIGHTS_RATE_PER_ADDRESS = env_str("HUSH_RIGHTS_RATE_PER_ADDRESS", "5/h")
HUSH_RIGHTS_RATE_PER_CLIENT = env_str("HUSH_RIGHTS_RATE_PER_CLIENT", "20/h")
HUSH_RIGHTS_REVIEWED = env_list("HUSH_RIGHTS_REVIEWED", ["erasure", "correction"])
HUSH_RIGHTS_EXPIRE_INTERVAL = env_int("HUSH_RIGHTS_EXPIRE_INTERVAL", 300, minimum=5)
# Imports uploaded through the API or the console wait here (private) until imported.
HUSH_IMPORT_DIR = env_str("HUSH_IMPORT_DIR") or str(BASE_DIR / "var" / "imports")
HUSH_IMPORT_MAX_BYTES = env_int("HUSH_IMPORT_MAX_BYTES", 512 * 1024 * 1024, minimum=1024)
# An import whose last batch committed longer ago than this has stopped: queued again.
HUSH_IMPORT_STALE_AFTER = env_int("HUSH_IMPORT_STALE_AFTER", 120, minimum=5)
HUSH_IMPORT_SWEEP_INTERVAL = env_int("HUSH_IMPORT_SWEEP_INTERVAL", 30, minimum=1)
HUSH_IMPORT_BATCH = env_int("HUSH_IMPORT_BATCH", 10000, minimum=1)  # rows per transaction

# Mail in (preferences/inbound): the addresses the SMTP listener accepts at RCPT (the
# mailto address above and these bounce / feedback-loop addresses, each also with a
# +tag), the largest message, and whether a mailto without a token acts on a sender
# whose DMARC passed (as our own MTA's Authentication-Results, by its authserv-id, says).
HUSH_INBOUND_BOUNCE_ADDRESSES = env_list("HUSH_INBOUND_BOUNCE_ADDRESSES")
HUSH_INBOUND_MAX_BYTES = env_int("HUSH_INBOUND_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
HUSH_INBOUND_ACT_ON_SENDER = env_bool("HUSH_INBOUND_ACT_ON_SENDER", False)
HUSH_INBOUND_AUTHSERV_ID = env_str("HUSH_INBOUND_AUTHSERV_ID", "")
if HUSH_INBOUND_ACT_ON_SENDER and not HUSH_INBOUND_AUTHSERV_ID:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("HUSH_INBOUND_ACT_ON_SENDER needs HUSH_INBOUND_AUTHSERV_ID: the "
                               "authserv-id your MTA writes in Authentication-Results")
HUSH_SOFT_BOUNCE_LIMIT = env_int("HUSH_SOFT_BOUNCE_LIMIT", 3, minimum=1)
HUSH_SOFT_BOUNCE_WINDOW = env_int("HUSH_SOFT_BOUNCE_WINDOW", 7 * 24 * 3600, minimum=60)
HUSH_INBOUND_IMAP_URL = env_imap_url("HUSH_INBOUND_IMAP_URL")
HUSH_INBOUND_IMAP_INTERVAL = env_int("HUSH_INBOUND_IMAP_INTERVAL", 60, minimum=1)
HUSH_INBOUND_IMAP_MOVE_TO = env_str("HUSH_INBOUND_IMAP_MOVE_TO", "")
# Complaints and hard bounces are applied before the answer, set-based, however many; of
# the events applied one by one (unsubscribes, soft bounces), up to this many are too, and
# past it they are recorded, answered and applied by workers (the sweeper re-queues).
HUSH_INBOUND_INLINE_MAX = env_int("HUSH_INBOUND_INLINE_MAX", 50, minimum=0)
HUSH_INBOUND_REQUEUE_AFTER = env_int("HUSH_INBOUND_REQUEUE_AFTER", 10, minimum=1)
HUSH_INBOUND_SWEEP_INTERVAL = env_int("HUSH_INBOUND_SWEEP_INTERVAL_MS", 5000, minimum=100) / 1000
# The email providers' webhooks: each is off until configured.
HUSH_INBOUND_WEBHOOK_MAX_AGE = env_int("HUSH_INBOUND_WEBHOOK_MAX_AGE", 300, minimum=10)
HUSH_SES_TOPIC_ARNS = env_list("HUSH_SES_TOPIC_ARNS")
HUSH_SNS_CERT_HOSTS = env_list("HUSH_SNS_CERT_HOSTS",
                               ["sns.*.amazonaws.com", "sns.*.amazonaws.com.cn"])
HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY = env_ec_public_key("HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY")
HUSH_MAILGUN_WEBHOOK_SIGNING_KEY = env_str("HUSH_MAILGUN_WEBHOOK_SIGNING_KEY", "")
HUSH_POSTMARK_WEBHOOK_USER = env_str("HUSH_POSTMARK_WEBHOOK_USER", "")
HUSH_POSTMARK_WEBHOOK_PASSWORD = env_str("HUSH_POSTMARK_WEBHOOK_PASSWORD", "")
if bool(HUSH_POSTMARK_WEBHOOK_USER) != bool(HUSH_POSTMARK_WEBHOOK_PASSWORD):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("HUSH_POSTMARK_WEBHOOK_USER and HUSH_POSTMARK_WEBHOOK_PASSWORD "
                               "go together")

# Feedback analytics: each release spends epsilon from a budget per period.
HUSH_DP_EPSILON_PER_RELEASE = env_float("HUSH_DP_EPSILON_PER_RELEASE", 1.0, minimum=0.01)
HUSH_DP_BUDGET_PER_PERIOD = env_float("HUSH_DP_BUDGET_PER_PERIOD", 4.0, minimum=0.01)
HUSH_DP_PERIOD_DAYS = env_int("HUSH_DP_PERIOD_DAYS", 7, minimum=1)
HUSH_DP_MIN_CELL = env_int("HUSH_DP_MIN_CELL", 20, minimum=0)
HUSH_DP_WEEKS = env_int("HUSH_DP_WEEKS", 12, minimum=1)
# Partition selection: the odds that a category no one is in gets shown (per release).
HUSH_DP_DELTA = env_float("HUSH_DP_DELTA", 1e-6, minimum=1e-12)
if HUSH_DP_DELTA >= 0.5:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"HUSH_DP_DELTA must be under 0.5, got {HUSH_DP_DELTA}")

# Propagation: every opt-out reaches every destination; these bound the retrying.
HUSH_DELIVERY_MAX_ATTEMPTS = env_int("HUSH_DELIVERY_MAX_ATTEMPTS", 25, minimum=1)
HUSH_DELIVERY_MAX_AGE = env_int("HUSH_DELIVERY_MAX_AGE", 48 * 3600, minimum=60)
HUSH_DELIVERY_BACKOFF_BASE = env_int("HUSH_DELIVERY_BACKOFF_BASE_MS", 1000, minimum=1) / 1000
HUSH_DELIVERY_BACKOFF_CAP = env_int("HUSH_DELIVERY_BACKOFF_CAP", 600, minimum=1)
HUSH_DELIVERY_CONNECT_TIMEOUT = env_int("HUSH_DELIVERY_CONNECT_TIMEOUT", 3, minimum=1)
HUSH_DELIVERY_READ_TIMEOUT = env_int("HUSH_DELIVERY_READ_TIMEOUT", 10, minimum=1)
# Destinations may point only at public addresses, unless a network is allowed here
# (preferences/propagation/safe_urls.py), e.g. 10.20.0.0/16 for an internal CRM.
HUSH_DESTINATION_ALLOW_NETWORKS = env_networks("HUSH_DESTINATION_ALLOW_NETWORKS")
HUSH_DELIVERY_LEASE = env_int("HUSH_DELIVERY_LEASE", 30, minimum=2)
HUSH_DELIVERY_REQUEUE_AFTER = env_int("HUSH_DELIVERY_REQUEUE_AFTER", 15, minimum=1)
HUSH_DESTINATION_PAUSE_AFTER = env_int("HUSH_DESTINATION_PAUSE_AFTER", 20, minimum=1)
HUSH_DESTINATION_PROBE_EVERY = env_int("HUSH_DESTINATION_PROBE_EVERY", 30, minimum=1)
HUSH_SWEEP_INTERVAL = env_int("HUSH_SWEEP_INTERVAL_MS", 2000, minimum=100) / 1000

# Erasure: each step is retried with backoff, then failed for staff to retry.
HUSH_ERASURE_MAX_ATTEMPTS = env_int("HUSH_ERASURE_MAX_ATTEMPTS", 8, minimum=1)
HUSH_ERASURE_BACKOFF_BASE = env_int("HUSH_ERASURE_BACKOFF_BASE_MS", 1000, minimum=1) / 1000
HUSH_ERASURE_BACKOFF_CAP = env_int("HUSH_ERASURE_BACKOFF_CAP", 300, minimum=1)
HUSH_ERASURE_LEASE = env_int("HUSH_ERASURE_LEASE", 330, minimum=2)
HUSH_ERASURE_REQUEUE_AFTER = env_int("HUSH_ERASURE_REQUEUE_AFTER", 15, minimum=1)
HUSH_ERASURE_POLL = env_int("HUSH_ERASURE_POLL_MS", 1000, minimum=10) / 1000
HUSH_ERASURE_SWEEP_INTERVAL = env_int("HUSH_ERASURE_SWEEP_INTERVAL_MS", 5000, minimum=100) / 1000

# The PII catalog: the company's own PostgreSQL databases that erasure, retention and
# pii_audit reach (label=postgres://..., comma-separated), and a file declaring
# their tables (JSON or TOML, loaded and validated at start-up).
HUSH_EXTERNAL_DATABASES = env_database_urls("HUSH_EXTERNAL_DATABASES")
# The erasure ledger outside Hush's database (a directory or a PostgreSQL URL): what
# `manage.py erasure replay` re-applies after a backup is restored.
HUSH_ERASURE_LEDGER = env_str("HUSH_ERASURE_LEDGER", "")
HUSH_PII_CATALOG_FILE = env_str("HUSH_PII_CATALOG_FILE") or None
if HUSH_PII_CATALOG_FILE and not Path(HUSH_PII_CATALOG_FILE).is_file():
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"HUSH_PII_CATALOG_FILE: no file at {HUSH_PII_CATALOG_FILE}")
# Retention: how often the purge runs (seconds), and rows per batch.
HUSH_RETENTION_INTERVAL = env_int("HUSH_RETENTION_INTERVAL", 24 * 3600, minimum=5)
HUSH_RETENTION_BATCH = env_int("HUSH_RETENTION_BATCH", 50_000, minimum=100)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEV else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Append-only tables declare their PostgreSQL triggers in their models (Meta.triggers).
    "pgtrigger",
    "audit",
    "preferences",
    "anonymizer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A lost database connection: retry once before any write, else 503 + Retry-After.
    "common.db.LostConnectionMiddleware",
    "common.middleware.json_errors_for_api",
    "csp.middleware.CSPMiddleware",
    "common.middleware.refuse_control_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.no_store",  # after WhiteNoise: static files keep their caching
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audit.console.middleware.current_actor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Staff console: a password, then a TOTP or backup code (django-otp); passwords are
# throttled by django-axes per username and client, OTP attempts by django-otp's devices.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:overview"
OTP_TOTP_ISSUER = env_str("HUSH_OTP_ISSUER", "Hush")
AXES_FAILURE_LIMIT = env_int("HUSH_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("HUSH_LOGIN_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "console/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # Hush's own 403 page

# Brands: without a Brand row marked default (set in the console), these describe the
# one brand subscriber pages and emails wear. HUSH_TEMPLATE_DIR is a folder of template
# overrides: <dir>/<brand slug>/preferences/center.html for one brand, <dir>/preferences/...
# for all.
HUSH_BRAND_NAME = env_str("HUSH_BRAND_NAME", "Hush")
HUSH_BRAND_ACCENT_COLOUR = env_colour("HUSH_BRAND_ACCENT_COLOUR", "#0b5cad")
HUSH_BRAND_PRIVACY_POLICY_URL = env_str("HUSH_BRAND_PRIVACY_POLICY_URL", "")
HUSH_BRAND_CONTACT_URL = env_str("HUSH_BRAND_CONTACT_URL", "")
HUSH_BRAND_LEGAL_ENTITY = env_str("HUSH_BRAND_LEGAL_ENTITY", "")
HUSH_TEMPLATE_DIR = env_str("HUSH_TEMPLATE_DIR") or None
if HUSH_TEMPLATE_DIR and not Path(HUSH_TEMPLATE_DIR).is_dir():
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"HUSH_TEMPLATE_DIR: no folder at {HUSH_TEMPLATE_DIR}")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [*([Path(HUSH_TEMPLATE_DIR)] if HUSH_TEMPLATE_DIR else []), BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "preferences.branding.context.context",
            ],
            # {% load plain %}: the console's durations, rates and details in words.
            "libraries": {"plain": "audit.console.plain_tags"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if HUSH_BEHIND_TRANSACTION_POOLER:  # a cursor's portal would not outlive its transaction
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache (Redis) is what makes rate limits hold across processes.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RATELIMIT_USE_CACHE = "default"
# Behind a proxy set HUSH_CLIENT_IP_HEADER (e.g. HTTP_X_FORWARDED_FOR is not safe unless trusted).
RATELIMIT_IP_META_KEY = env_str("HUSH_CLIENT_IP_HEADER") or None
AXES_IPWARE_META_PRECEDENCE_ORDER = [RATELIMIT_IP_META_KEY or "REMOTE_ADDR"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale",
                # the console's and the error pages' / download's own catalogs, ahead of
                # Django's (which would otherwise win for "Username", "Status", ...)
                BASE_DIR / "audit" / "locale", BASE_DIR / "preferences" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed files from `collectstatic`; dev and tests serve from the source.
STATIC_MANIFEST = env_bool("HUSH_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEV
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")  # for the file-based backend
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Hush <no-reply@localhost>")

# Production hardening; `manage.py check --deploy` passes with these.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("HUSH_BEHIND_TLS_PROXY", False) else None
)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The API key model (scopes, hashed keys), named as AUTH_USER_MODEL names the user's.
HUSH_API_KEY_MODEL = "preferences.ApiKey"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["common.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["common.api.auth.HasScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["common.api.auth.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("HUSH_API_RATE", "6000/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hush API",
    "DESCRIPTION": "Subjects, subscriptions and consent checks for the company's mailer and apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: the product runs offline, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Erasure requests and their steps share one set of statuses; a subscription's
    # keeps the name it had before erasures had a status too.
    "ENUM_NAME_OVERRIDES": {"ErasureStatusEnum": "anonymizer.models.ErasureRequest.Status",
                            "StatusEnum": "preferences.models.Subscription.Status"},
    # A body whose cross-field rules require a field is itself required.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "common.api.schema.require_ruled_bodies"],
}

# Celery: no broker means the embedded mode, where tasks run in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep our LOGGING (and its token filter)
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "seal-audit-trail": {"task": "audit.chain_seal", "schedule": float(HUSH_AUDIT_SEAL_INTERVAL)},
    "sweep-deliveries": {"task": "preferences.deliveries_sweep", "schedule": HUSH_SWEEP_INTERVAL},
    "sweep-erasures": {"task": "anonymizer.erasures_sweep",
                       "schedule": HUSH_ERASURE_SWEEP_INTERVAL},
    "purge-unconfirmed": {"task": "preferences.unconfirmed_purge",
                          "schedule": float(HUSH_DOI_PURGE_INTERVAL)},
    "expire-exports": {"task": "preferences.exports_expire",
                       "schedule": float(HUSH_EXPORT_EXPIRE_INTERVAL)},
    "expire-rights-requests": {"task": "preferences.rights_requests_expire",
                               "schedule": float(HUSH_RIGHTS_EXPIRE_INTERVAL)},
    "retention-purge": {"task": "anonymizer.retention_run",
                        "schedule": float(HUSH_RETENTION_INTERVAL)},
    "replay-one-click-journal": {"task": "preferences.one_click_journal_replay",
                                 "schedule": float(HUSH_ONE_CLICK_REPLAY_INTERVAL)},
    "sweep-inbound": {"task": "preferences.inbound_events_sweep",
                      "schedule": HUSH_INBOUND_SWEEP_INTERVAL},
    "sweep-imports": {"task": "preferences.imports_sweep",
                      "schedule": float(HUSH_IMPORT_SWEEP_INTERVAL)},
    **({"poll-inbound-mailbox": {"task": "preferences.inbound_imap_poll",
                                 "schedule": float(HUSH_INBOUND_IMAP_INTERVAL)}}
       if HUSH_INBOUND_IMAP_URL else {}),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_tokens": {"()": "config.logging.RedactLinkTokens"},
                "redact_pii": {"()": "config.logging.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["redact_tokens", "redact_pii"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own handlers (its console in DEBUG, mail_admins) would bypass the
    # filters above: every Django logger writes through ours instead.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False},
                "django.server": {"handlers": ["console"], "level": "INFO",
                                  "propagate": False},
                "django.db.backends": {"level": "WARNING"}},
}

# Hardening against bad input (common/api/base.py, common/middleware.py): JSON nested
# deeper than this is refused before it is decoded; bodies larger than Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE answer 413.
HUSH_API_MAX_JSON_DEPTH = env_int("HUSH_API_MAX_JSON_DEPTH", 32, minimum=2)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HUSH_MAX_BODY_BYTES", 2_621_440, minimum=1024)

# Content-Security-Policy on every page: scripts and styles from Hush's own static files
# only, no inline script or style attribute (templates/drf_spectacular overrides the API
# docs page for that), nothing framed, forms posted back to Hush alone.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF], "style-src": [SELF], "img-src": [SELF, "data:"],
    "font-src": [SELF], "connect-src": [SELF], "object-src": [NONE], "base-uri": [NONE],
    "frame-ancestors": [NONE], "form-action": [SELF],
}}
