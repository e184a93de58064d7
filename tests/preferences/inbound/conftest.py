import pytest

from preferences.email import unsubscribe_headers
from preferences.tokens import make_unsubscribe_token


@pytest.fixture(autouse=True)
def _addresses(settings):
    settings.HUSH_UNSUBSCRIBE_MAILTO = "unsubscribe@mail.example.com"
    settings.HUSH_INBOUND_BOUNCE_ADDRESSES = ["bounces@mail.example.com", "fbl@mail.example.com"]


@pytest.fixture
def token_for():
    return lambda subject, topic: make_unsubscribe_token(subject=subject, topic=topic)


@pytest.fixture
def list_unsubscribe():
    return lambda subject, topic: unsubscribe_headers(subject, topic)["List-Unsubscribe"]
