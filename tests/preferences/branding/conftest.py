"""Two brands of one company: Acme (the default, Newsletter and Offers) and Beta Books
(its own topic, Book club), with their own colours, footers and senders."""

import struct
import zlib

import pytest

from preferences.models import Brand, Topic


def png(width=2, height=1) -> bytes:
    """A real, tiny PNG (signature, IHDR, IDAT, IEND), as a logo upload would be."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                                0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def acme(db, newsletter, offers):
    brand = Brand.objects.create(
        slug="acme", name="Acme", is_default=True, accent_colour="#8a1c7c",
        privacy_policy_url="https://acme.example/privacy", contact_url="mailto:help@acme.example",
        legal_entity="Acme Ltd, 1 Main Street, London", sender_name="Acme News",
        sender_email="news@acme.example",
        translations={"fr": {"name": "Acme France", "legal_entity": "Acme SAS, Paris"}})
    Topic.objects.filter(pk__in=[newsletter.pk, offers.pk]).update(brand=brand)
    return brand


@pytest.fixture
def beta(db):
    return Brand.objects.create(
        slug="beta", name="Beta Books", accent_colour="#1d6b3a", font="serif",
        privacy_policy_url="https://beta.example/privacy", contact_url="https://beta.example/help",
        legal_entity="Beta Books GmbH, Berlin", sender_name="Beta Books",
        sender_email="hello@beta.example", logo=png(), logo_type="image/png",
        logo_alt="Beta Books")


@pytest.fixture
def book_club(beta):
    return Topic.objects.create(slug="book-club", name="Book club", channel="email", brand=beta,
                                description="One book a month, chosen by our readers.")
