"""Beat's share of the journal replay: useful where beat (or a worker) runs on the web
host and so sees its journal; the web processes replay on their own as well."""

from common.tasks import pinned_task
from preferences.one_click import services


@pinned_task("preferences.one_click_journal_replay", ignore_result=True)
def one_click_journal_replay():
    return services.journal_replay()
