"""Staff sign-ins, failures, lock-outs and role or permission changes, recorded in
the audit trail. Users are named by primary key only (a username can be an address)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

import audit
from audit.console.middleware import current_user


def _actor():
    return current_user() or audit.SYSTEM


def _user_pk(username) -> str:
    user = get_user_model().objects.filter(username=username).only("pk").first() \
        if username else None
    return str(user.pk) if user else ""


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    pk = _user_pk(credentials.get("username"))
    audit.record(actor=audit.SYSTEM, action="staff.login_failed",
                 target=f"user:{pk}" if pk else None,
                 details={"step": "password", "known_user": bool(pk)})


@receiver(user_locked_out)
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    pk = _user_pk(username)
    audit.record(actor=audit.SYSTEM, action="staff.locked_out",
                 target=f"user:{pk}" if pk else None, details={"known_user": bool(pk)})


@receiver(user_logged_out)
def _logged_out(sender, request=None, user=None, **kwargs):
    if user is not None:
        audit.record(actor=user, action="staff.logout", target=f"user:{user.pk}")


def _names(model, pk_set) -> list[str]:
    if model is Group:
        return sorted(model.objects.filter(pk__in=pk_set).values_list("name", flat=True))
    return sorted(f"{app}.{code}" for app, code in model.objects.filter(pk__in=pk_set)
                  .values_list("content_type__app_label", "codename"))


def _m2m_audit(*, instance, action, reverse, model, pk_set, what: str, owner: str):
    """One event per change, named from the side that changed (user or group)."""
    verbs = {"post_add": "granted", "post_remove": "revoked", "pre_clear": "revoked"}
    if action not in verbs:
        return
    if action == "pre_clear":
        related = getattr(instance, _field_of(instance, what, reverse))
        pk_set = set(related.values_list("pk", flat=True))
    if not pk_set:
        return
    if reverse:
        # e.g. group.user_set.add(user): the change seen from the group side.
        for pk in sorted(pk_set):
            audit.record(actor=_actor(), action=f"{what}.{verbs[action]}",
                         target=f"{owner}:{pk}", details={what: _names(type(instance),
                                                                       {instance.pk})})
        return
    audit.record(actor=_actor(), action=f"{what}.{verbs[action]}",
                 target=f"{owner}:{instance.pk}", details={what: _names(model, pk_set)})


_FIELDS = {"role": ("groups", "user_set"), "permission": ("permissions", "group_set"),
           "user_permission": ("user_permissions", "user_set")}


def _field_of(instance, what, reverse):
    return _FIELDS[what][1 if reverse else 0]


def connect():
    User = get_user_model()

    def roles(sender, **kw):
        _m2m_audit(what="role", owner="user", **_pick(kw))

    def group_perms(sender, **kw):
        _m2m_audit(what="permission", owner="group", **_pick(kw))

    def user_perms(sender, **kw):
        _m2m_audit(what="user_permission", owner="user", **_pick(kw))

    m2m_changed.connect(roles, sender=User.groups.through, weak=False,
                        dispatch_uid="audit_roles")
    m2m_changed.connect(group_perms, sender=Group.permissions.through, weak=False,
                        dispatch_uid="audit_group_permissions")
    m2m_changed.connect(user_perms, sender=User.user_permissions.through, weak=False,
                        dispatch_uid="audit_user_permissions")


def _pick(kw):
    return {k: kw[k] for k in ("instance", "action", "reverse", "model", "pk_set")}
