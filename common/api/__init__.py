"""The REST API's plumbing shared by every app's `api.py`: base view and strict
serializer, one error shape, API-key authentication with scopes, schema extensions."""
