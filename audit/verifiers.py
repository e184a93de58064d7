"""Checks other apps add to `verify_audit`: rows whose truth is kept in the sealed trail
(the words a person consented to, say). The audit app cannot import the apps above it,
so they register here from their `AppConfig.ready`. Each check returns its problems as
plain sentences naming rows, never personal values."""

from collections.abc import Callable

_checks: list[Callable[[], list[str]]] = []


def verifier_register(check: Callable[[], list[str]]) -> None:
    if check not in _checks:
        _checks.append(check)


def verifiers_run() -> list[str]:
    return [problem for check in _checks for problem in check()]
