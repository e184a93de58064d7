"""Roles are groups from a migration; granting and revoking them, or changing what a
role may do, lands in the audit trail with who did it."""

from django.contrib.auth.models import Group, Permission

from audit.models import AuditEvent
from audit.roles import ROLES
from tests.audit.console.conftest import make_staff


def test_the_migration_made_each_role_with_its_permissions(db):
    for role, codenames in ROLES.items():
        group = Group.objects.get(name=role)
        assert set(group.permissions.values_list("codename", flat=True)) == set(codenames)


def test_granting_and_revoking_a_role_is_recorded(db):
    bob = make_staff("bob")
    analyst = Group.objects.get(name="analyst")
    bob.groups.add(analyst)
    bob.groups.remove(analyst)
    events = list(AuditEvent.objects.filter(action__startswith="role.").order_by("id"))
    assert [(e.action, e.target_id, e.details) for e in events] == [
        ("role.granted", str(bob.pk), {"role": ["analyst"]}),
        ("role.revoked", str(bob.pk), {"role": ["analyst"]}),
    ]


def test_changes_from_the_group_side_and_clears_are_recorded(db):
    bob = make_staff("bob")
    support = Group.objects.get(name="support")
    support.user_set.add(bob)
    bob.groups.clear()
    assert list(AuditEvent.objects.filter(action__startswith="role.").order_by("id")
                .values_list("action", "target_id")) == [
        ("role.granted", str(bob.pk)), ("role.revoked", str(bob.pk))]


def test_changing_what_a_role_may_do_is_recorded(db):
    support = Group.objects.get(name="support")
    export = Permission.objects.get(codename="export_audit_trail")
    support.permissions.add(export)
    event = AuditEvent.objects.get(action="permission.granted")
    assert (event.target_id, event.details) == (str(support.pk),
                                                {"permission": ["audit.export_audit_trail"]})


def test_a_change_made_in_the_admin_names_the_staff_user(admin_client, admin_user):
    bob = make_staff("bob")
    analyst = Group.objects.get(name="analyst")
    response = admin_client.post(f"/admin/auth/user/{bob.pk}/change/", {
        "username": "bob", "is_active": "on", "is_staff": "on", "groups": [analyst.pk],
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00",
    })
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="role.granted")
    assert (event.actor_type, event.actor_id) == ("user", str(admin_user.pk))


def test_a_role_taken_away_closes_its_pages_at_once(staff_client):
    client = staff_client("auditor")
    assert client.get("/console/audit/").status_code == 200
    from django.contrib.auth import get_user_model

    get_user_model().objects.get(username="auditor").groups.clear()
    assert client.get("/console/audit/").status_code == 403
