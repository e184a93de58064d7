from preferences.email import unsubscribe_headers
from preferences.tokens import read_unsubscribe_token


def test_headers_carry_https_then_mailto_and_the_one_click_post(alice, newsletter, settings):
    settings.HUSH_UNSUBSCRIBE_MAILTO = "leave@mail.example.com"
    headers = unsubscribe_headers(alice, newsletter)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<https://") and https.endswith("/>")
    assert mailto.startswith("<mailto:leave@mail.example.com?subject=unsubscribe%20")
    token = https[1:-2].rsplit("/", 1)[1]
    assert read_unsubscribe_token(token).topic_slug == "newsletter"
    assert "alice" not in headers["List-Unsubscribe"]


def test_without_a_configured_address_no_mailto_is_invented(alice, newsletter, settings):
    """An address nobody reads would lose every opt-out a mail client sends to it."""
    settings.HUSH_UNSUBSCRIBE_MAILTO = ""
    headers = unsubscribe_headers(alice, newsletter)
    assert "mailto:" not in headers["List-Unsubscribe"]
    assert headers["List-Unsubscribe"].startswith("<https://")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
