"""Sending the metrics app's Celery tasks by name, for the code below ``metrics.tasks``.

The engine, the notifications and the outbox enqueue work (a recompute, a notification batch,
a webhook delivery, an outbox e-mail) but must not import ``metrics.tasks``, which calls them:
they send the task registered under its name here (``enqueue``), through the task's own
``apply_async``, so its options, routing and eager mode are exactly those of the task.
``metrics.tasks`` registers its tasks under these names.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from celery.exceptions import Retry

logger = logging.getLogger("metrics.tasks")

# The names the tasks are registered under (``@shared_task(name=...)`` in ``metrics.tasks``;
# ``CELERY_BEAT_SCHEDULE`` names some of them too).
GAPS_RECOMPUTE_SUBJECTS = "metrics.gaps_recompute_subjects"
GAPS_RECOMPUTE_ALL = "metrics.gaps_recompute_all"
GAPS_RUN_CHUNK = "metrics.gaps_run_chunk"
GAPS_RUNS_RESUME = "metrics.gaps_runs_resume"
GAPS_SWEEP = "metrics.gaps_sweep"
ALERTS_NOTIFY = "metrics.alerts_notify"
WEBHOOK_DELIVER = "metrics.webhook_deliver"
OUTBOX_SEND = "metrics.outbox_send"
DIGESTS_SEND = "metrics.digests_send"
REMINDERS_SEND = "metrics.reminders_send"
WEEKLY_DIGESTS_SEND = "metrics.weekly_digests_send"


def enqueue_safely(task: Any, *, countdown: float | None = None, **kwargs: Any) -> bool:
    """Send a task with these keyword arguments; never raise. A broker outage fails fast
    (short timeouts, no publish retry, no result store) and is logged: the dirty marks and
    recompute runs in the database make the sweep catch up later."""
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown)
        return True
    except Retry:
        # Eager mode ran the task inline and it asked to be retried: its own log row (e.g. a
        # pending webhook delivery) is picked up again by the sweep.
        logger.info("%s ran eagerly and will be retried by the sweep.", task.name)
        return True
    except Exception as exc:
        logger.warning(
            "Could not enqueue %s (%s: %s); the sweep will catch up.",
            task.name,
            type(exc).__name__,
            exc,
        )
        return False


def task_named(name: str) -> Any:
    """The task registered as ``name`` in the current Celery app. A process that has not
    loaded the apps' task modules yet loads them first (Celery's autodiscovery), as a worker
    does at start."""
    app = current_app
    try:
        return app.tasks[name]
    except KeyError:
        app.loader.import_default_modules()
        return app.tasks[name]


def enqueue(name: str, *, countdown: float | None = None, **kwargs: Any) -> bool:
    """``enqueue_safely`` the task registered as ``name`` (one of the names above) with these
    keyword arguments; never raises."""
    try:
        task = task_named(name)
    except Exception as exc:
        logger.warning(
            "Could not enqueue %s (%s: %s); the sweep will catch up.",
            name,
            type(exc).__name__,
            exc,
        )
        return False
    return enqueue_safely(task, countdown=countdown, **kwargs)
