"""Sign-up and double opt-in: the public form (`/s/`), the confirmation mail and link,
and the purge of sign-ups never confirmed. Part of the preferences app (its models
are `preferences.models`)."""
