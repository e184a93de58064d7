"""A bare Django project for bench/oneclick.py to measure Hush's one-click against:
its own minimal settings, no middleware, no app, the same PostgreSQL and the same
signed tokens (Hush's SECRET_KEY and `preferences.tokens`)."""
