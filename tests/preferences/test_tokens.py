import uuid

import pytest
from django.core import signing
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from preferences.tokens import (
    PREFERENCES_SALT,
    UNSUBSCRIBE_SALT,
    BadToken,
    ExpiredToken,
    make_preferences_token,
    make_unsubscribe_token,
    read_preferences_token,
    read_unsubscribe_token,
)


class FakeSubject:
    def __init__(self, public_id=None):
        self.public_id = public_id or uuid.uuid4()


class FakeTopic:
    def __init__(self, slug="newsletter"):
        self.slug = slug


ALICE = FakeSubject()
NEWSLETTER = FakeTopic()


def test_it_round_trips_an_unsubscribe_token():
    claim = read_unsubscribe_token(make_unsubscribe_token(subject=ALICE, topic=NEWSLETTER))
    assert claim.subject_id == ALICE.public_id
    assert claim.topic_slug == "newsletter"


def test_it_never_carries_the_email():
    token = make_unsubscribe_token(subject=ALICE, topic=NEWSLETTER)
    payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    assert payload == [ALICE.public_id.hex, "newsletter"]
    assert "@" not in token


def test_it_refuses_a_preferences_token_for_one_click_and_vice_versa():
    with pytest.raises(BadToken):
        read_unsubscribe_token(make_preferences_token(subject=ALICE))
    with pytest.raises(BadToken):
        read_preferences_token(make_unsubscribe_token(subject=ALICE, topic=NEWSLETTER))


def test_it_refuses_a_token_signed_with_another_salt():
    forged = signing.dumps([ALICE.public_id.hex, "newsletter"], salt="some.other.purpose")
    with pytest.raises(BadToken):
        read_unsubscribe_token(forged)


def test_it_refuses_a_token_naming_another_subject_or_topic_without_the_key():
    bob = FakeSubject()
    payload = signing.b64_encode(
        f'["{bob.public_id.hex}","newsletter"]'.encode()).decode()
    genuine = make_unsubscribe_token(subject=ALICE, topic=NEWSLETTER)
    _, timestamp, signature = genuine.split(":")
    with pytest.raises(BadToken):
        read_unsubscribe_token(f"{payload}:{timestamp}:{signature}")
    other_topic = signing.b64_encode(f'["{ALICE.public_id.hex}","offers"]'.encode()).decode()
    with pytest.raises(BadToken):
        read_unsubscribe_token(f"{other_topic}:{timestamp}:{signature}")


def test_it_reports_an_expired_preferences_token_with_its_subject(settings):
    settings.HUSH_PREFERENCE_LINK_MAX_AGE = 60
    signer = signing.TimestampSigner(salt=PREFERENCES_SALT)
    signer.timestamp = lambda: signing.b62_encode(1_000_000)  # long ago
    old = signer.sign_object([ALICE.public_id.hex])
    with pytest.raises(ExpiredToken) as expired:
        read_preferences_token(old)
    assert expired.value.subject_id == ALICE.public_id


def test_it_accepts_a_fresh_preferences_token():
    assert read_preferences_token(make_preferences_token(subject=ALICE)) == ALICE.public_id


@given(st.text(max_size=300))
@hyp_settings(max_examples=300)
def test_it_refuses_arbitrary_text(text):
    for read in (read_unsubscribe_token, read_preferences_token):
        with pytest.raises(BadToken):
            read(text)


@given(position=st.integers(min_value=0), replacement=st.characters(
    whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_:"))
@hyp_settings(max_examples=300)
def test_it_refuses_any_single_character_edit(position, replacement):
    token = make_unsubscribe_token(subject=ALICE, topic=NEWSLETTER)
    i = position % len(token)
    tampered = token[:i] + replacement + token[i + 1:]
    if tampered == token:
        return
    try:
        claim = read_unsubscribe_token(tampered)
    except BadToken:
        return
    # Base64 can decode two spellings to the same bytes; then it must name the same pair.
    assert (claim.subject_id, claim.topic_slug) == (ALICE.public_id, "newsletter")


@given(cut=st.integers(min_value=1, max_value=200))
@hyp_settings(max_examples=100)
def test_it_refuses_a_truncated_token(cut):
    token = make_preferences_token(subject=ALICE)
    truncated = token[: max(0, len(token) - cut)]
    with pytest.raises(BadToken):
        read_preferences_token(truncated)


@given(payload=st.one_of(
    st.none(), st.integers(), st.text(), st.lists(st.text(), max_size=4),
    st.dictionaries(st.text(), st.text(), max_size=3),
))
@hyp_settings(max_examples=200)
def test_it_refuses_signed_payloads_of_the_wrong_shape(payload):
    """Even with our own key, only the exact shape we issue is accepted."""
    token = signing.dumps(payload, salt=UNSUBSCRIBE_SALT)
    with pytest.raises(BadToken):
        read_unsubscribe_token(token)
