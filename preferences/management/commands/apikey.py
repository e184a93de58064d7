from django.core.management.base import BaseCommand, CommandError

import audit
from preferences.models import ApiKey


class Command(BaseCommand):
    help = "Manage API keys. `apikey create NAME --scope SCOPE...` prints the key once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key")
        create.add_argument("name")
        create.add_argument("--scope", action="append", required=True, dest="scopes",
                            choices=ApiKey.SCOPES, help="repeat for several scopes")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")
        sub.add_parser("list", help="list keys (never the secret)")

    def handle(self, *args, action, **options):
        if action == "create":
            scopes = sorted(set(options["scopes"]))
            api_key, key = ApiKey.objects.create_key(name=options["name"], scopes=scopes)
            audit.record(actor=audit.SYSTEM, action="apikey.created", target=api_key,
                         details={"prefix": api_key.prefix, "scopes": scopes})
            self.stdout.write(key)
            self.stderr.write(f"created API key {api_key.prefix} with {', '.join(scopes)}; "
                              "the key is shown only now")
        elif action == "revoke":
            updated = ApiKey.objects.filter(prefix=options["prefix"]).update(revoked=True)
            if not updated:
                raise CommandError("no key with that prefix")
            audit.record(actor=audit.SYSTEM, action="apikey.revoked",
                         target=f"apikey:{options['prefix']}")
            self.stdout.write("revoked")
        else:
            for api_key in ApiKey.objects.order_by("created"):
                state = "revoked" if api_key.revoked else "active"
                self.stdout.write(f"{api_key.prefix}  {state:8} {api_key.name}  "
                                  f"{' '.join(api_key.scopes)}")
