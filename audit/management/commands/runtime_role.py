from django.core.management.base import BaseCommand, CommandError

from audit.database_roles import RoleError, runtime_role_grant, runtime_role_problems


class Command(BaseCommand):
    help = ("The runtime database role (README, 'Two database roles'): `grant ROLE`, run as "
            "the owner after `migrate`; `check ROLE`, exit 1 if ROLE could rewrite the audit "
            "trail (or cannot append to it).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["grant", "check"])
        parser.add_argument("role", help="the role gunicorn and celery connect as")

    def handle(self, *args, action, role, **options):
        try:
            if action == "grant":
                runtime_role_grant(role=role)
            problems = runtime_role_problems(role=role)
        except RoleError as error:
            raise CommandError(str(error)) from None
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
        self.stdout.write(f"{role}: may append to the audit trail, cannot alter, update or "
                          "delete it")
