from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "preferences"
    verbose_name = "Preferences"

    def ready(self):
        from preferences import (
            api_schema,  # noqa: F401  (registers the schema extension)
            consent_cache,
        )

        consent_cache.connect()
