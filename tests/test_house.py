"""The house keeps its plan: no import cycle between project modules (imports inside
functions count), every module on one floor of the layers pyproject.toml declares,
and every task a service queues by name registered, under its old name too."""

import ast
import pathlib
import tomllib

import grimp
import pytest
from celery import current_app

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("config", "common", "preferences", "anonymizer", "audit")
# Package roots that sit on no floor: each holds only lazy re-exports (`audit.record`,
# `anonymizer.detect`) and is a parent of modules on several floors.
UNPLACED = {"audit", "anonymizer"}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(
                        graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_module_imports_one_that_imports_it_back(graph):
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    class Graph:
        modules = {"a", "b", "c"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.edges[module]

    assert _cycles(Graph()) == [["a", "b", "c"]]


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    house = next(c for c in config["contracts"] if c["type"] == "layers")
    return [[name.strip() for name in layer.replace("|", ":").split(":")]
            for layer in house["layers"]]


def test_every_module_is_on_one_floor(graph):
    placed = [name for layer in _layers() for name in layer]
    assert len(placed) == len(set(placed))

    def floor_of(module):
        return [name for name in placed if module == name or module.startswith(name + ".")]

    project = {m for m in graph.modules if not m.startswith("anonymizer.core.")}
    unplaced = sorted(m for m in project - UNPLACED if len(floor_of(m)) != 1)
    assert unplaced == []


# --- tasks queued by name ----------------------------------------------------------

SENDERS = {"task_send", "task_send_on_commit"}


def _names_sent() -> dict[str, list[str]]:
    """Every task name a product module queues with `task_send(...)`, by module."""
    sent: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in SENDERS
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    sent.setdefault(node.args[0].value, []).append(str(path.relative_to(ROOT)))
                elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                      and isinstance(node.value.value, str)
                      and node.value.value.count(".") == 1
                      and any(getattr(t, "id", "").endswith("_TASK") for t in node.targets)):
                    sent.setdefault(node.value.value, []).append(str(path.relative_to(ROOT)))
    return sent


def test_every_task_a_service_queues_is_registered(db):
    sent = _names_sent()
    assert {"preferences.delivery_run", "preferences.confirmation_send",
            "anonymizer.erasure_step_run"} <= set(sent)  # the scan sees what is there
    assert sorted(set(sent) - set(current_app.tasks)) == []


def test_every_task_in_beats_schedule_is_registered(settings):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert sorted(names - set(current_app.tasks)) == []


FORMER_NAMES = {
    "preferences.tasks.send_preference_link": "preferences.preference_link_send",
    "preferences.tasks.deliver": "preferences.delivery_run",
    "preferences.tasks.deliver_batch": "preferences.deliveries_run",
    "preferences.tasks.sweep_deliveries": "preferences.deliveries_sweep",
    "preferences.tasks.send_confirmation": "preferences.confirmation_send",
    "preferences.tasks.purge_unconfirmed": "preferences.unconfirmed_purge",
    "preferences.tasks.build_export": "preferences.export_build",
    "preferences.tasks.expire_exports": "preferences.exports_expire",
    "audit.tasks.seal_audit_trail": "audit.chain_seal",
    "anonymizer.tasks.retention_purge": "anonymizer.retention_run",
    "anonymizer.tasks.erasure_run": "anonymizer.erasure_run",
    "anonymizer.tasks.erasure_step": "anonymizer.erasure_step_run",
    "anonymizer.tasks.sweep_erasures": "anonymizer.erasures_sweep",
}


@pytest.mark.parametrize(("old", "new"), sorted(FORMER_NAMES.items()))
def test_a_message_under_a_former_name_runs_the_same_task(old, new):
    tasks = current_app.tasks

    def body(task):  # autoretry_for wraps `run`; the original stays as `_orig_run`
        return getattr(task, "_orig_run", task.run)

    assert body(tasks[old]) is body(tasks[new])
    for option in ("acks_late", "reject_on_worker_lost", "max_retries", "time_limit",
                   "autoretry_for", "ignore_result"):
        assert getattr(tasks[old], option, None) == getattr(tasks[new], option, None), option


def test_a_message_under_a_former_name_is_executed(db, alice):
    """A message already in the broker when the task was renamed: the worker looks it up
    by the name it carries, and it does its work."""
    from django.core import mail

    current_app.tasks["preferences.tasks.send_preference_link"].apply(
        kwargs={"subject_id": str(alice.public_id)}).get()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
