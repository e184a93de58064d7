from django.apps import AppConfig


class AnonymizerConfig(AppConfig):
    name = "anonymizer"
    verbose_name = "Anonymizer"

    def ready(self):
        # Each app's `pii.py` registers its entries in the PII catalog.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("pii")
