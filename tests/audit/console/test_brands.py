"""The console's Brands page: a privacy officer sets a brand without code; the form
names what is wrong and saves nothing then; others may not."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from preferences.models import Brand, Topic
from tests.preferences.branding.conftest import png

GOOD = {"slug": "acme", "name": "Acme", "accent_colour": "#8a1c7c", "text_colour": "#1b1f24",
        "background_colour": "#ffffff", "font": "serif",
        "privacy_policy_url": "https://acme.example/privacy",
        "contact_url": "mailto:help@acme.example", "legal_entity": "Acme Ltd",
        "sender_name": "Acme News", "sender_email": "news@acme.example", "is_default": "on",
        "translations_text": '{"de": {"name": "Acme Deutschland"}}'}


@pytest.fixture
def officer(staff_client):
    return staff_client("privacy officer")


def test_it_creates_a_brand_with_a_logo_and_its_topics(officer, newsletter, offers):
    response = officer.post("/console/brands/new/", {
        **GOOD, "topics": [newsletter.pk],
        "logo_file": SimpleUploadedFile("logo.png", png(), content_type="image/png")})
    assert response.status_code == 302, response.content.decode()
    brand = Brand.objects.get(slug="acme")
    assert (brand.name, brand.font, brand.is_default, brand.logo_type) == (
        "Acme", "serif", True, "image/png")
    assert brand.translations == {"de": {"name": "Acme Deutschland"}}
    assert list(Topic.objects.filter(brand=brand)) == [newsletter]
    event = AuditEvent.objects.get(action="brand.created")
    assert event.target_id == str(brand.pk) and event.actor_type == "user"
    listing = officer.get("/console/brands/").content.decode()
    assert "Acme" in listing and "Newsletter" in listing and "news@acme.example" in listing


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"accent_colour": "#f0f0a0"}, "Accent colour", "too faint"),
    ({"text_colour": "#dddddd"}, "Text colour", "too faint"),
    ({"background_colour": "#202020"}, "Background colour", "light background"),
    ({"accent_colour": "red"}, "Accent colour", "#rrggbb"),
    ({"contact_url": "javascript:alert(1)"}, "Contact", "mailto:"),
    ({"translations_text": '{"xx": {"name": 1}}'}, "Texts in other languages", "object per"),
    ({"slug": "default"}, "Short name", "settings"),
])
def test_bad_input_is_400_naming_the_field_and_saves_nothing(officer, change, field, message):
    response = officer.post("/console/brands/new/", {**GOOD, **change})
    page = response.content.decode()
    assert response.status_code == 400
    assert field in page and message in page
    assert not Brand.objects.exists()


def test_a_logo_that_is_not_an_image_or_runs_script_is_refused(officer):
    for name, data in [("x.png", b"GIF89a not really"),
                       ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'),
                       ("x.svg", b'<svg onload="alert(1)"></svg>')]:
        response = officer.post("/console/brands/new/", {
            **GOOD, "logo_file": SimpleUploadedFile(name, data)})
        assert response.status_code == 400
        assert "Logo" in response.content.decode()
    assert not Brand.objects.exists()


def test_one_default_brand_at_most(officer):
    officer.post("/console/brands/new/", GOOD)
    officer.post("/console/brands/new/", {**GOOD, "slug": "beta", "name": "Beta"})
    assert list(Brand.objects.filter(is_default=True).values_list("slug", flat=True)) == ["beta"]


@pytest.mark.parametrize("role", ["auditor", "analyst", "support"])
def test_other_roles_may_not_set_brands(staff_client, role):
    client = staff_client(role)
    assert client.get("/console/brands/").status_code == 403
    assert client.post("/console/brands/new/", GOOD).status_code == 403
    assert not Brand.objects.exists()
