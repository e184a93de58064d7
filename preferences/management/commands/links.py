import json

from django.core.management.base import BaseCommand, CommandError

from preferences import email as email_links
from preferences.models import Topic
from preferences.selectors import subject_by_email


class Command(BaseCommand):
    help = "Print a subject's preference and one-click links and List-Unsubscribe headers."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--topic", default="newsletter", help="topic slug (default newsletter)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, email, topic, json: bool = False, **options):
        subject = subject_by_email(email)
        if subject is None:
            raise CommandError("no subject with that email")
        topic_obj = Topic.objects.filter(slug=topic).first()
        if topic_obj is None:
            raise CommandError(f"no topic {topic!r}")
        result = email_links.links(subject, topic_obj)
        if json:
            self.stdout.write(_json.dumps(result, indent=2))
            return
        self.stdout.write(f"preferences: {result['preferences_url']}")
        self.stdout.write(f"one-click:   {result['unsubscribe_url']}")
        for name, value in result["headers"].items():
            self.stdout.write(f"{name}: {value}")


_json = json
