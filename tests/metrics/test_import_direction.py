"""The metrics app imports one way (#20): ``metrics.tasks`` on top, nothing below it imports it;
notifications import preferences and webhook formats, the sweep imports the recorded runs, which
import the engine's run, never the other way round. Imports inside functions count (as for
import-linter); ``if TYPE_CHECKING:`` ones do not."""

from __future__ import annotations

import grimp
import pytest
from celery import Task

from metrics import queue

BELOW_THE_TASKS = [
    "metrics.digest",
    "metrics.engine",
    "metrics.engine.run",
    "metrics.engine.runs",
    "metrics.engine.sweeper",
    "metrics.links",
    "metrics.notifications",
    "metrics.outbox",
    "metrics.preferences",
    "metrics.queue",
    "metrics.reminders",
    "metrics.webhook_formats",
    "metrics.weekly",
]

# (importer, imported): the direction kept; the other one must not exist.
ONE_WAY = [
    ("metrics.notifications", "metrics.preferences"),
    ("metrics.notifications", "metrics.webhook_formats"),
    ("metrics.notifications", "metrics.outbox"),
    ("metrics.preferences", "metrics.outbox"),
    ("metrics.engine.runs", "metrics.engine.run"),
    ("metrics.engine.sweeper", "metrics.engine.runs"),
]


def test_the_engine_and_notifications_do_not_import_the_tasks(
    import_graph: grimp.ImportGraph,
) -> None:
    chains = {
        module: import_graph.find_shortest_chain(importer=module, imported="metrics.tasks")
        for module in BELOW_THE_TASKS
    }
    assert chains == dict.fromkeys(BELOW_THE_TASKS)


@pytest.mark.parametrize(("importer", "imported"), ONE_WAY)
def test_former_pairs_import_one_way(
    import_graph: grimp.ImportGraph, importer: str, imported: str
) -> None:
    assert import_graph.find_shortest_chain(importer=importer, imported=imported) is not None
    assert import_graph.find_shortest_chain(importer=imported, imported=importer) is None


def test_the_queue_names_are_the_registered_tasks() -> None:
    # What the lower code sends by name is what metrics.tasks registers (and beat schedules).
    from execsupport.celery import app
    from metrics import tasks

    names = {v for k, v in vars(queue).items() if k.isupper() and isinstance(v, str)}
    registered = {task.name for task in vars(tasks).values() if isinstance(task, Task)}
    assert names == registered
    assert all(queue.task_named(name) is app.tasks[name] for name in names)
