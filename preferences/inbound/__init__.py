"""Opt-outs that arrive by mail or from an email provider.

Three ways in for mail (`manage.py inbound_mail` on an MTA's pipe, the SMTP/LMTP
listener `manage.py inbound_smtp`, an IMAP mailbox polled by beat) and four email
providers' webhooks (`/inbound/ses|sendgrid|mailgun|postmark/`). Each turns what it
received into `Signal`s (`signals.py`: `mail.py` reads RFC 5322 messages, `providers/`
the webhooks' bodies) and hands them to one service, `services.signals_record`, which
records them in the `InboundEvent` ledger and applies them through the same services
as one-click and the suppression list. Nothing is acknowledged before that committed.
"""
