import json

from django.core.management.base import BaseCommand

from anonymizer import catalog


class Command(BaseCommand):
    help = "Print the PII catalog: what personal data is stored where, and what erasure " \
           "and retention do to it."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print it as JSON")

    def handle(self, *args, json=False, **options):
        data = catalog.describe()
        if json:
            self.stdout.write(_json.dumps(data, indent=2))
            return
        for entry in data["entries"]:
            where = entry["table"] if entry["database"] == "default" \
                else f"{entry['database']}:{entry['table']}"
            self.stdout.write(f"{entry['key']}  ({where})")
            if entry["description"]:
                self.stdout.write(f"  {' '.join(entry['description'].split())}")
            if entry["subject"]:
                how = "rows deleted" if entry["erase_rows"] else "fields transformed" \
                    if any(f["erase"] for f in entry["fields"]) else "kept"
                self.stdout.write(f"  subject: {entry['subject']} = {entry['subject_by']}; "
                                  f"on erasure: {how}")
            else:
                self.stdout.write("  subject: not linked to a subject (erasure skips it)")
            if entry["retention_days"] is not None:
                only = f", only rows where {entry['retention_filter']}" \
                    if entry["retention_filter"] else ""
                self.stdout.write(f"  retention: {entry['retention_days']} days after "
                                  f"{entry['timestamp']}{only}")
            for f in entry["fields"]:
                kind = f" [{f['kind']}]" if f["kind"] else ""
                erase = f["erase"] or "kept"
                retain = f"; retention: {f['retain']}" if f["retain"] else ""
                note = f"  ({f['note']})" if f["note"] else ""
                self.stdout.write(f"    {f['name']:<16} {f['category']:<12}{kind} "
                                  f"erasure: {erase}{retain}{note}")
            self.stdout.write("")
        self.stdout.write("Reviewed, no personal data:")
        for label, reason in sorted(data["not_pii"].items()):
            self.stdout.write(f"  {label}: {reason}")


_json = json
