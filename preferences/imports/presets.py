"""The columns the common email providers export, so their files import as they come.

Each preset names, per Hush field, the provider's columns (the first one the file has
wins; headers match without regard to case) and how a row's status or reason is read.
Shaped after the providers' own documentation and export files:

- `mailchimp`: the audience export ("Export Audience"), a zip of three CSVs:
  subscribed_members_export_*.csv (`Email Address`, merge fields, `MEMBER_RATING`,
  `OPTIN_TIME`, `OPTIN_IP`, `CONFIRM_TIME`, `CONFIRM_IP`, `LATITUDE` ... `CC`, `REGION`,
  `LAST_CHANGED`, `LEID`, `EUID`, `NOTES`, `TAGS`); unsubscribed_members_export_*.csv
  adds `UNSUB_TIME`, `UNSUB_CAMPAIGN_TITLE`, `UNSUB_CAMPAIGN_ID`, `UNSUB_REASON`,
  `UNSUB_REASON_OTHER`; cleaned_members_export_*.csv adds `CLEAN_TIME`,
  `CLEAN_CAMPAIGN_TITLE`, `CLEAN_CAMPAIGN_ID`. Which file it is says the status (an
  audience is one list: `--topic` names the Hush topic it feeds). Times are
  "YYYY-MM-DD HH:MM:SS" UTC.
- `sendgrid`: the Marketing Campaigns contacts export (`EMAIL`, `FIRST_NAME`, ...,
  `COUNTRY`, `CREATED_AT`, `UPDATED_AT`, `CONTACT_ID`) for subjects; for suppressions the
  suppression lists' exports (`email`, `created` as Unix seconds or `created_at`): a
  bounce list has `status` and `reason` (the remote server's answer, never stored), a
  spam report list `ip`, a global or group unsubscribe list neither.
- `listmonk`: the subscribers export (`uuid`, `email`, `name`, `attributes`, `status`
  (enabled, disabled, blocklisted), `created_at`, `updated_at`).
- `brevo`: the contacts export (`EMAIL`, attributes, `ADDED_TIME`, `MODIFIED_TIME`, and
  the email blocklist flag), comma or semicolon separated.

Columns that hold other personal data (names, IP addresses, notes) are never read.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    name: str
    columns: dict[str, tuple[str, ...]]  # Hush field -> the provider's columns
    needs_topic: bool = True  # a one-list export: `--topic` says which Hush topic
    status: str = "subscribed"  # each row's status, unless a rule below says otherwise
    # header column present -> (status, reason, time column) for every row of the file
    file_kinds: tuple[tuple[str, str, str, str], ...] = ()
    # a column whose value says the status: value -> status ("" keeps the default)
    status_column: tuple[str, dict[str, str]] | None = None
    reason: str = ""  # the suppression reason when the file does not say
    reason_by_header: tuple[tuple[str, str], ...] = ()  # a column present -> the reason
    only_status: str = ""  # suppressions: import only rows of this status
    extra: dict = field(default_factory=dict)


FIELDS_SUBJECTS = ("email", "external_id", "locale", "country", "consent_at", "status")
FIELDS_SUPPRESSIONS = ("email", "sha256", "md5", "reason", "suppressed_at")

PRESETS = {
    "mailchimp": Preset(
        "mailchimp",
        columns={"email": ("Email Address",), "country": ("CC",),
                 "consent_at": ("CONFIRM_TIME", "OPTIN_TIME"),
                 "suppressed_at": ()},
        file_kinds=(("UNSUB_TIME", "unsubscribed", "unsubscribed_all", "UNSUB_TIME"),
                    ("CLEAN_TIME", "unsubscribed", "bounce", "CLEAN_TIME")),
    ),
    "sendgrid": Preset(
        "sendgrid",
        columns={"email": ("EMAIL",), "country": ("COUNTRY",),
                 "consent_at": ("CREATED_AT",),
                 "suppressed_at": ("created", "created_at")},
        reason="unsubscribed_all",
        reason_by_header=(("status", "bounce"), ("ip", "complaint")),
    ),
    "listmonk": Preset(
        "listmonk",
        columns={"email": ("email",), "consent_at": ("updated_at", "created_at"),
                 "suppressed_at": ("updated_at",)},
        status_column=("status", {"enabled": "subscribed", "disabled": "unsubscribed",
                                  "blocklisted": "unsubscribed"}),
        reason="unsubscribed_all",
        only_status="blocklisted",
    ),
    "brevo": Preset(
        "brevo",
        columns={"email": ("EMAIL",), "consent_at": ("ADDED_TIME",),
                 "suppressed_at": ("MODIFIED_TIME",)},
        status_column=("EMAIL_BLACKLISTED", {"yes": "unsubscribed", "true": "unsubscribed",
                                             "1": "unsubscribed", "no": "subscribed",
                                             "false": "subscribed", "0": "subscribed"}),
        reason="unsubscribed_all",
    ),
}
