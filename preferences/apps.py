from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "preferences"
    verbose_name = "Preferences"

    def ready(self):
        # Imported here, not at the top: models cannot load while Django loads apps.
        # The tasks modules register their tasks, which services queue by name.
        from common.api import schema  # noqa: F401  (registers the schema extensions)
        from preferences import tasks  # noqa: F401
        from preferences.imports import tasks as imports_tasks  # noqa: F401
        from preferences.inbound import tasks as inbound_tasks  # noqa: F401
        from preferences.one_click import tasks as one_click_tasks  # noqa: F401
        from preferences.privacy import consent_cache
        from preferences.privacy import tasks as privacy_tasks  # noqa: F401
        from preferences.propagation import tasks as propagation_tasks  # noqa: F401
        from preferences.signup import tasks as signup_tasks  # noqa: F401

        consent_cache.connect()
