from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        # Imported here, not at the top: models cannot load while Django loads apps.
        from audit import (
            checks,  # noqa: F401  (registers the deployment checks)
            tasks,  # noqa: F401  (registers the sealer, queued by name)
        )
        from audit.console import signals

        signals.connect()
