"""Privacy choices beyond subscriptions: purposes and their wording versions,
jurisdictions and their defaults, Global Privacy Control, capture opt-out in flight
(with the consent cache it reads), and "download my data". Part of the preferences
app (its models are `preferences.models`)."""
