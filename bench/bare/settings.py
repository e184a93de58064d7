"""The bare project's settings: what a one-click view needs and nothing more."""

import os
from pathlib import Path

import dj_database_url

SECRET_KEY = os.environ["SECRET_KEY"]  # Hush's: the tokens are Hush's own
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare.urls"
USE_TZ = True
# Connections as Hush keeps them (config/settings.py).
DATABASES = {"default": dj_database_url.parse(
    os.environ["DATABASE_URL"],
    conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    conn_health_checks=True)}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
              "DIRS": [Path(__file__).resolve().parent / "templates"]}]
LOGGING_CONFIG = None
