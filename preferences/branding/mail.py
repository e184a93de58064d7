"""The mail Hush itself sends a subscriber (a preference link, a confirmation, a
download link): HTML with a plain-text part, in the person's language, from the
brand's sender, with the headers mailers and mail clients expect of automatic mail."""

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import translation

from preferences.branding.selectors import sender, template_names, translated
from preferences.branding.style import on_colour


def language_of(subject) -> str:
    return subject.locale if subject.locale in dict(settings.LANGUAGES) else "en"


def _logo_url(brand) -> str:
    if not brand.logo_type:
        return ""
    return settings.HUSH_BASE_URL + reverse("preferences:brand_logo", args=[brand.slug])


def branded_mail(*, template: str, brand, language: str, to: str,
                 context: dict) -> EmailMultiAlternatives:
    """`preferences/email/<template>` as `_subject.txt`, `.txt` and `.html`, rendered for
    `brand` in `language` (a brand's own override first, `HUSH_TEMPLATE_DIR/<slug>/...`)."""
    base = f"preferences/email/{template}"
    with translation.override(language):
        context = {**context, "brand": brand, "brand_name": translated(brand, "name"),
                   "legal_entity": translated(brand, "legal_entity"),
                   "logo_url": _logo_url(brand), "language": language,
                   "on_accent": on_colour(brand.accent_colour)}
        title = render_to_string(template_names(brand, f"{base}_subject.txt"), context)
        text = render_to_string(template_names(brand, f"{base}.txt"), context)
        try:
            html = select_template(template_names(brand, f"{base}.html")).render(context)
        except TemplateDoesNotExist:
            html = None
    headers = {
        # RFC 3834: sent by a program, so vacation responders and the like keep quiet.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",  # Outlook's equivalent
        "Content-Language": language,
    }
    reply_to = []
    if brand.contact_url.startswith("mailto:"):
        address = parseaddr(brand.contact_url.removeprefix("mailto:").split("?")[0])[1]
        if address:
            reply_to = [address]
    message = EmailMultiAlternatives(" ".join(title.split()), text, sender(brand), [to],
                                     headers=headers, reply_to=reply_to)
    if html:
        message.attach_alternative(html, "text/html")
    return message
