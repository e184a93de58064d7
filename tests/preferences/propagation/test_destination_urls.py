"""The attack: point a destination at the operator's own network (Redis, the cloud's
metadata service, an internal host) and let Hush's workers make the request. Refused
when the destination is added and again at every connection, unless the operator
allows a network explicitly."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

import audit
from preferences import services
from preferences.models import Delivery, Destination
from preferences.propagation import delivery as deliveries
from preferences.propagation import safe_urls

ATTACKS = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:6379/",
    "http://10.0.0.1/",
    "http://192.168.1.1/admin",
    "http://172.16.0.1/",
    "http://100.64.0.1/",                      # carrier-grade shared space
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",                       # multicast
    "http://[::ffff:127.0.0.1]/",              # IPv4-mapped IPv6
    "http://[fe80::1]/",                       # IPv6 link-local
    "http://[fd00::1]/",                       # IPv6 unique local
    "http://2130706433/",                      # 127.0.0.1 as one number
    "http://0x7f.1/",                          # and in hex
    "http://localhost:6379/",                  # a name for loopback
    "https://user:secret@93.184.216.34/hook",  # credentials in the URL
    "https://token@93.184.216.34/hook",
]


@pytest.fixture
def no_network_allowed(settings):
    settings.HUSH_DESTINATION_ALLOW_NETWORKS = []


@pytest.mark.parametrize("url", ATTACKS)
def test_the_command_refuses_a_private_address_or_credentials(db, no_network_allowed, url):
    with pytest.raises(CommandError, match=r"refused|needs an http\(s\) URL"):
        call_command("destination", "add", "crm", "--webhook", url)
    assert not Destination.objects.exists()


@pytest.mark.parametrize("url", ATTACKS)
def test_the_admin_form_refuses_it_too(db, no_network_allowed, url):
    with pytest.raises(ValidationError) as refused:
        Destination(name="crm", kind="webhook", url=url).clean()
    assert "url" in refused.value.message_dict


def test_a_public_address_is_accepted(db, no_network_allowed):
    call_command("destination", "add", "crm", "--webhook", "https://93.184.216.34/hook")
    assert Destination.objects.get().url == "https://93.184.216.34/hook"


def test_a_network_the_operator_allows_is_accepted(db, settings):
    from ipaddress import ip_network

    settings.HUSH_DESTINATION_ALLOW_NETWORKS = [ip_network("10.20.0.0/16")]
    Destination(name="crm", kind="webhook", url="http://10.20.3.4:8080/hook").clean()
    with pytest.raises(ValidationError):  # only that network
        Destination(name="crm", kind="webhook", url="http://10.21.3.4/").clean()
    with pytest.raises(ValidationError):  # and never with credentials
        Destination(name="crm", kind="webhook", url="http://u:p@10.20.3.4/").clean()


def _deliver_one(alice, newsletter, destination):
    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="api", actor=audit.SYSTEM)
    delivery = Delivery.objects.get(destination=destination)
    deliveries.delivery_run(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_a_destination_that_got_in_is_refused_at_connect_time(alice, newsletter, receiver,
                                                              settings):
    """Added while the network was allowed (or written straight to the table), then the
    operator withdrew it: nothing reaches the local receiver."""
    crm = Destination.objects.create(name="crm", kind="webhook", url=receiver.url,
                                     secret="s")
    settings.HUSH_DESTINATION_ALLOW_NETWORKS = []
    delivery = _deliver_one(alice, newsletter, crm)
    assert receiver.received == []
    assert delivery.status == "failed" and "loopback" in delivery.last_error


def test_a_name_that_later_resolves_to_a_private_address_is_refused(
        alice, newsletter, receiver, settings, monkeypatch):
    """DNS rebinding: public when added, 127.0.0.1 when the worker connects."""
    settings.HUSH_DESTINATION_ALLOW_NETWORKS = []
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host != "crm.rebind.test":
            return real(host, *args, **kwargs)
        ip = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(safe_urls.socket, "getaddrinfo", rebinding)
    call_command("destination", "add", "crm", "--webhook", f"http://crm.rebind.test:{port}/")
    crm = Destination.objects.get()
    delivery = _deliver_one(alice, newsletter, crm)
    assert receiver.received == []
    assert delivery.status == "failed" and "loopback" in delivery.last_error


def test_the_suites_own_receivers_work_because_the_suite_allows_loopback(
        alice, newsletter, webhook, receiver):
    delivery = _deliver_one(alice, newsletter, webhook)
    assert delivery.status == "delivered" and len(receiver.received) == 1
