import json
import os
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.db import transaction

import audit
from preferences.models import Destination, EventType, Topic
from preferences.propagation.selectors import destination_health
from preferences.propagation.transport import CONNECTORS


class Command(BaseCommand):
    help = "Add and inspect destinations (the systems opt-outs are pushed to)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a destination; prints its id and signing secret")
        add.add_argument("name")
        target = add.add_mutually_exclusive_group(required=True)
        target.add_argument("--webhook", metavar="URL")
        target.add_argument("--callable", metavar="DOTTED.PATH")
        target.add_argument("--provider", choices=sorted(CONNECTORS),
                            help="an email provider's API (its key from --key-env)")
        add.add_argument("--key-env", metavar="VARIABLE",
                         help="the environment variable holding the provider's API key "
                              "(kept off the command line; stored encrypted)")
        add.add_argument("--options", default="{}", metavar="JSON",
                         help='provider settings, e.g. {"lists": {"newsletter": "4242"}}')
        add.add_argument("--base-url", default="", help="the provider's API base URL, if not "
                                                        "its public one (listmonk: required)")
        add.add_argument("--topic", action="append", default=[], metavar="SLUG",
                         help="only this topic (repeat); default every topic")
        add.add_argument("--event", action="append", default=[], choices=EventType.values,
                         help="only this event type (repeat); default every type")
        add.add_argument("--include-email", action="store_true",
                         help="send the subject's email too (off by default)")
        sub.add_parser("list", help="destinations and their health")

    def handle(self, *args, action, **options):
        if action == "add":
            self._add(**options)
        else:
            for destination in Destination.objects.order_by("name"):
                health = destination_health(destination)
                state = "paused" if destination.paused_at else (
                    "enabled" if destination.enabled else "disabled")
                self.stdout.write(
                    f"{destination.pk}  {destination.name}  {destination.kind}  {state}  "
                    f"pending={health['pending']} failed={health['failed']} "
                    f"p50={health['latency_p50_ms']}ms p95={health['latency_p95_ms']}ms")

    @transaction.atomic
    def _add(self, *, name, webhook, callable, topic, event, include_email, provider=None,
             key_env=None, options="{}", base_url="", **rest):
        if Destination.objects.filter(name=name).exists():
            raise CommandError(f"a destination named {name!r} exists")
        topics = list(Topic.objects.filter(slug__in=topic))
        missing = sorted(set(topic) - {t.slug for t in topics})
        if missing:
            raise CommandError(f"no topic {', '.join(missing)}")
        secret, settings = "", {}
        if provider:
            secret = os.environ.get(key_env or "", "")
            if not secret:
                raise CommandError("--provider needs --key-env naming a variable that holds "
                                   "the API key")
            try:
                settings = json.loads(options)
            except ValueError:
                raise CommandError("--options must be a JSON object") from None
            if not isinstance(settings, dict):
                raise CommandError("--options must be a JSON object")
            if base_url:
                try:
                    URLValidator(schemes=["http", "https"])(base_url)
                except Exception:
                    raise CommandError("--base-url needs an http(s) URL") from None
            elif provider == "listmonk":
                raise CommandError("listmonk runs where you run it: give --base-url")
            include_email = True  # a provider knows people by their address
        elif webhook:
            try:
                URLValidator(schemes=["http", "https"])(webhook)
            except Exception:
                raise CommandError("--webhook needs an http(s) URL") from None
            secret = secrets.token_urlsafe(32)
        destination = Destination.objects.create(
            name=name, kind=provider or ("webhook" if webhook else "callable"),
            url=webhook or base_url or "", secret=secret or None, callable_path=callable or "",
            event_types=sorted(set(event)), include_email=include_email, options=settings,
        )
        destination.topics.set(topics)
        audit.record(actor=audit.SYSTEM, action="destination.created", target=destination,
                     details={"kind": destination.kind, "include_email": include_email,
                              "topics": sorted(topic), "events": sorted(set(event))})
        self.stdout.write(f"id: {destination.pk}")
        if secret and not provider:
            self.stdout.write(f"signing secret: {secret}")
            self.stderr.write("keep the secret: the receiver checks Hush-Signature with it")
