"""The console is translatable: its text is marked for translation and the French
catalog (audit/locale, beside the pages' locale/) holds every message."""

from pathlib import Path

import polib
import pytest

CATALOGS = [Path(__file__).resolve().parents[3] / p / "locale/fr/LC_MESSAGES/django.po"
            for p in ("audit", "preferences")]


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parts[-5])
def test_every_message_has_a_french_translation(catalog):
    po = polib.pofile(str(catalog))
    assert len(po) > 50
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []


def test_an_officer_reads_the_console_in_french(staff_client):
    client = staff_client("privacy officer")
    client.cookies["django_language"] = "fr"
    page = client.get("/console/").content.decode()
    page = page.replace("&#x27;", "'")
    assert "<h1>Vue d'ensemble</h1>" in page
    assert "Journal d'audit" in page and "Se déconnecter" in page
    assert "Overview" not in page and "Sign out" not in page
    trail = client.get("/console/audit/").content.decode()
    assert "Exporter ces événements en CSV" in trail and "Filtrer" in trail
    deliveries = client.get("/console/deliveries/").content.decode()
    assert "Abandonnés (lettres mortes)" in deliveries


def test_the_french_console_says_durations_in_french(settings):
    from django.utils import translation

    from audit.console import plain

    with translation.override("fr"):
        assert plain.duration_words(149) == "2 minutes 29 secondes"
        assert plain.rate_words(3, 3) == "les 3 tentatives ont échoué"
