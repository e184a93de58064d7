"""What every app uses and no app owns: field encryption and lookup digests, the
encrypted field, the API's base classes, errors, key authentication and schema
helpers, the read-only admin, and queueing tasks by name after commit.

Nothing here imports an app (`preferences`, `anonymizer`, `audit`) or `config`;
import-linter keeps it so (`make lint`).
"""
