import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from preferences.models import ApiKey, Subject, Subscription, Topic
from preferences.tokens import read_preferences_token, read_unsubscribe_token


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_seed_demo_is_idempotent(db):
    first, _ = run("seed_demo")
    assert "staff user: staff  password: " in first
    second, _ = run("seed_demo")
    assert "exists (password unchanged)" in second
    assert Topic.objects.filter(slug="newsletter").count() == 1
    assert Subject.objects.count() == 3
    demo = Subject.objects.get(external_id="demo-1")
    assert demo.email == "demo@example.com"
    assert set(Subscription.objects.filter(subject=demo).values_list("status", flat=True)) == {
        "subscribed"}
    assert Subscription.objects.filter(subject=demo).count() == Topic.objects.count()


def test_links_json_has_the_documented_keys(alice, newsletter, settings):
    settings.HUSH_BASE_URL = "https://prefs.example.com"
    out, _ = run("links", "alice@example.com", "--topic", "newsletter", "--json")
    links = json.loads(out)
    assert set(links) == {"preferences_url", "unsubscribe_url", "headers"}
    assert links["unsubscribe_url"].startswith("https://prefs.example.com/u/")
    token = links["unsubscribe_url"].rstrip("/").rsplit("/", 1)[1]
    assert read_unsubscribe_token(token).subject_id == alice.public_id
    pref_token = links["preferences_url"].rstrip("/").rsplit("/", 1)[1]
    assert read_preferences_token(pref_token) == alice.public_id
    headers = links["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"] == f"<{links['unsubscribe_url']}>"  # no mailto unset
    assert "alice" not in json.dumps(links)


def test_links_plain_output(alice, newsletter):
    out, _ = run("links", "alice@example.com")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out


def test_links_refuses_unknown_email_or_topic(alice):
    with pytest.raises(CommandError, match="no subject"):
        run("links", "nobody@example.com")
    with pytest.raises(CommandError, match="no topic"):
        run("links", "alice@example.com", "--topic", "nope")


def test_apikey_create_prints_the_key_once_and_stores_it_hashed(db):
    out, err = run("apikey", "create", "mailer", "--scope", "consent:check",
                   "--scope", "subjects:read")
    key = out.strip()
    api_key = ApiKey.objects.get(name="mailer")
    assert api_key.scopes == ["consent:check", "subjects:read"]
    assert key not in api_key.hashed_key and api_key.is_valid(key)
    assert "shown only now" in err
    listed, _ = run("apikey", "list")
    assert key not in listed and api_key.prefix in listed


def test_apikey_refuses_unknown_scopes(db):
    with pytest.raises(CommandError):
        run("apikey", "create", "x", "--scope", "everything")


def test_apikey_revoke(db):
    run("apikey", "create", "mailer", "--scope", "consent:check")
    api_key = ApiKey.objects.get()
    run("apikey", "revoke", api_key.prefix)
    api_key.refresh_from_db()
    assert api_key.revoked


def test_rotate_field_keys_moves_every_email_to_the_newest_key(alice, bob, settings):
    from cryptography.fernet import Fernet
    from django.db import connection

    old_key = settings.HUSH_FIELD_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.HUSH_FIELD_KEYS = [new_key, old_key]
    out, _ = run("rotate_field_keys", "--batch", "1")
    assert "done: 2 emails" in out
    settings.HUSH_FIELD_KEYS = [new_key]  # the old key can now go
    assert Subject.objects.get(pk=alice.pk).email == "alice@example.com"
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM preferences_subject")
        for (token,) in cursor.fetchall():
            Fernet(new_key.encode()).decrypt(token.encode())
