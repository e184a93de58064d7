from django.apps import AppConfig
from django.conf import settings
from django.utils.module_loading import autodiscover_modules


class AnonymizerConfig(AppConfig):
    name = "anonymizer"
    verbose_name = "Anonymizer"

    def ready(self):
        # Each app's `pii.py` registers its entries in the PII catalog; the
        # company's own tables come from HUSH_PII_CATALOG_FILE. Imported here, not at
        # the top: models cannot load while Django loads apps. The tasks module
        # registers the tasks that are queued by name.
        from anonymizer import tasks  # noqa: F401
        from anonymizer.catalog_file import catalog_file_load

        # The recognizer registry reads HUSH_RECOGNIZERS_FILE on import: a bad file stops
        # the start here, with an error naming its line.
        from anonymizer.core import recognizers  # noqa: F401

        autodiscover_modules("pii")
        if settings.HUSH_PII_CATALOG_FILE:
            catalog_file_load(settings.HUSH_PII_CATALOG_FILE,
                              databases=settings.HUSH_EXTERNAL_DATABASES)
