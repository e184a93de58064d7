from django.apps import AppConfig


class AnonymizerConfig(AppConfig):
    name = "anonymizer"
    verbose_name = "Anonymizer"

    def ready(self):
        # Each app's `pii.py` registers its entries in the PII catalog; the
        # company's own tables come from HUSH_PII_CATALOG_FILE.
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("pii")
        if settings.HUSH_PII_CATALOG_FILE:
            from anonymizer.catalog_file import catalog_file_load

            catalog_file_load(settings.HUSH_PII_CATALOG_FILE,
                              databases=settings.HUSH_EXTERNAL_DATABASES)
