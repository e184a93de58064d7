"""The console's brand form: every field a privacy officer sets, checked so the pages
stay readable (colour contrast) and safe (the logo's bytes, link schemes)."""

import json
import re

from django import forms
from django.conf import settings

from preferences.branding import style
from preferences.branding.services import LOGO_MAX_BYTES, BadLogo, logo_type
from preferences.models import Brand

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
TRANSLATED_FIELDS = ("name", "legal_entity")


class BrandForm(forms.ModelForm):
    privacy_policy_url = forms.URLField(label="Privacy policy (https:// address)",
                                        required=False, assume_scheme="https", max_length=200)
    logo_file = forms.FileField(label="Logo (PNG, JPEG, WebP or SVG)", required=False)
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    translations_text = forms.CharField(
        label="Texts in other languages (JSON)", required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='e.g. {"fr": {"name": "Acme France", "legal_entity": "Acme SAS, Paris"}}')

    class Meta:
        model = Brand
        fields = ["slug", "name", "is_default", "logo_alt", "accent_colour", "text_colour",
                  "background_colour", "font", "privacy_policy_url", "contact_url",
                  "legal_entity", "sender_name", "sender_email"]
        labels = {"slug": "Short name (in links)", "is_default": "Default brand",
                  "logo_alt": "Logo description", "accent_colour": "Accent colour",
                  "text_colour": "Text colour", "background_colour": "Background colour",
                  "privacy_policy_url": "Privacy policy (https:// address)",
                  "contact_url": "Contact (https:// page or mailto:)",
                  "legal_entity": "Legal entity", "sender_name": "Sender name",
                  "sender_email": "Sender address"}
        widgets = {f: forms.TextInput(attrs={"type": "color"})
                   for f in ("accent_colour", "text_colour", "background_colour")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["translations_text"].initial = json.dumps(
                self.instance.translations or {}, ensure_ascii=False)

    def _colour(self, name):
        value = (self.cleaned_data.get(name) or "").strip()
        if not _COLOUR.match(value):
            raise forms.ValidationError("Enter a colour as #rrggbb.")
        return value.lower()

    def clean_accent_colour(self):
        return self._colour("accent_colour")

    def clean_text_colour(self):
        return self._colour("text_colour")

    def clean_background_colour(self):
        return self._colour("background_colour")

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug == "default":
            raise forms.ValidationError("“default” names the brand from the settings; "
                                        "choose another.")
        return slug

    def clean_privacy_policy_url(self):
        url = self.cleaned_data["privacy_policy_url"]
        if url and not url.startswith(("https://", "http://")):
            raise forms.ValidationError("Enter an https:// address.")
        return url

    def clean_contact_url(self):
        url = self.cleaned_data["contact_url"].strip()
        if url and not re.match(r"^(https?://[^\s<>\"]+|mailto:[^\s<>\"@]+@[^\s<>\"]+)$", url):
            raise forms.ValidationError("Enter an https:// address or mailto:someone@example.com.")
        return url

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(f"The logo is larger than {LOGO_MAX_BYTES // 1024} KB.")
        data = upload.read()
        try:
            logo_type(data)
        except BadLogo as bad:
            raise forms.ValidationError(str(bad)) from None
        return data

    def clean_translations_text(self):
        text = self.cleaned_data.get("translations_text", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError("Not valid JSON.") from None
        languages = {code for code, _ in settings.LANGUAGES}
        if not isinstance(value, dict) or not all(
                lang in languages and isinstance(texts, dict)
                and set(texts) <= set(TRANSLATED_FIELDS)
                and all(isinstance(t, str) and len(t) <= 300 for t in texts.values())
                for lang, texts in value.items()):
            raise forms.ValidationError(
                f"Give an object per language ({', '.join(sorted(languages))}) with "
                f"{' and '.join(TRANSLATED_FIELDS)} as text.")
        return value

    def clean(self):
        data = super().clean()
        colours = [data.get(f) for f in ("accent_colour", "text_colour", "background_colour")]
        if all(colours):
            for field, message in style.problems(accent=colours[0], text=colours[1],
                                                 background=colours[2]).items():
                self.add_error(field, message)
        return data

    def _get_validation_exclusions(self):
        # A new default takes over from the old one (`brand_save`): not a conflict.
        return {*super()._get_validation_exclusions(), "is_default"}

    def save(self, commit=True):
        self.instance.translations = self.cleaned_data.get("translations_text") or {}
        return super().save(commit=commit)
