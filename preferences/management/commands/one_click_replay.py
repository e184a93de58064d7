from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from preferences.one_click import journal, services


class Command(BaseCommand):
    help = ("Apply the one-click opt-outs this host's journal kept while the database was "
            "down (HUSH_ONE_CLICK_JOURNAL), in order. Safe to run at any time, and twice.")

    def handle(self, *args, **options):
        try:
            done = services.journal_replay()
        except DatabaseError as exc:
            raise CommandError(f"the database is not reachable yet ({type(exc).__name__}); "
                               "the journal is kept: run this again later") from None
        if journal.has_entries() and not done:
            self.stdout.write("another process is replaying the journal now")
            return
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(done.items()))
        self.stdout.write(f"one-click journal: {summary or 'nothing waiting'}")
