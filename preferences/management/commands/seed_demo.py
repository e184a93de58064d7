import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

import audit
from audit.roles import PRIVACY_OFFICER
from preferences.models import Purpose, Source, Topic
from preferences.selectors import subject_by_email
from preferences.services import subject_upsert

TOPICS = [
    ("newsletter", "Newsletter", "News and stories, once a month.", "email", True),
    ("product-updates", "Product updates", "New features and changes to what you use.",
     "email", True),
    ("offers", "Offers", "Discounts and promotions.", "email", False),
    ("events", "Events", "Invitations to webinars and meet-ups.", "email", False),
    ("delivery-sms", "Delivery alerts", "A text message when your order ships.", "sms", False),
    ("app-tips", "Tips in the app", "Occasional tips as push notifications.", "push", False),
]
PURPOSES = [
    ("analytics", "Analytics", "We count how our site and emails are used (pages viewed, "
     "links clicked) to improve them.", "consent", False),
    ("personalisation", "Personalisation", "We use what you read and buy to suggest things "
     "you may like.", "legitimate_interest", False),
    ("partner_sharing", "Sharing with partners", "We share data about your activity with "
     "advertising partners (a \"sale or sharing\" under US state laws).",
     "legitimate_interest", True),
    ("profiling", "Profiling", "We build a profile of your interests from your activity to "
     "decide which offers you see.", "consent", False),
]
SUBJECTS = [
    ("demo@example.com", "demo-1", "en", "GB"),
    ("marie@example.com", "demo-2", "fr", "FR"),
    ("sam@example.com", "demo-3", "en", "US"),
]
STAFF_USERNAME = "staff"


class Command(BaseCommand):
    help = "Load demo topics, subjects and a staff user. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        for position, (slug, name, description, channel, default) in enumerate(TOPICS):
            Topic.objects.update_or_create(slug=slug, defaults={
                "name": name, "description": description, "channel": channel,
                "default_subscribed": default, "position": position,
            })
        for position, (slug, name, description, basis, sharing) in enumerate(PURPOSES):
            purpose = Purpose.objects.filter(slug=slug).first() or Purpose(slug=slug)
            purpose.name, purpose.description, purpose.legal_basis = name, description, basis
            purpose.is_sale_or_sharing, purpose.position = sharing, position
            purpose.save()
        every_topic = {slug: True for slug, *_ in TOPICS}
        for email, external_id, locale, country in SUBJECTS:
            subscriptions = every_topic if email == "demo@example.com" else None
            if subject_by_email(email) is None or subscriptions:
                subject_upsert(actor=audit.SYSTEM, source=Source.IMPORT, email=email,
                               external_id=external_id, locale=locale, country=country,
                               subscriptions=subscriptions)
        self.stdout.write(f"{len(TOPICS)} topics, {len(PURPOSES)} purposes, "
                          f"{len(SUBJECTS)} subjects "
                          "(demo@example.com subscribed to every topic)")

        User = get_user_model()
        enrol = ("sign in at /console/login/ and set up an authenticator app (TOTP) "
                 "when asked: the console and /admin/ need it")
        user = User.objects.filter(username=STAFF_USERNAME).first()
        if user is not None:
            self._give_role(user)
            self.stdout.write(f"staff user '{STAFF_USERNAME}' exists (password unchanged); "
                              f"{enrol}")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(STAFF_USERNAME, email="", password=password)
        audit.record(actor=audit.SYSTEM, action="staff.created", target=f"user:{user.pk}")
        self._give_role(user)
        self.stdout.write(f"staff user: {STAFF_USERNAME}  password: {password}  "
                          f"(role: {PRIVACY_OFFICER}); {enrol}")

    def _give_role(self, user):
        from django.contrib.auth.models import Group

        group = Group.objects.filter(name=PRIVACY_OFFICER).first()
        if group is not None and not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
