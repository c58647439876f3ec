"""A Redis outage costs a write nothing: the enqueue after commit makes no result-store round
trip, its broker connection gives up after bounded timeouts, and the dirty mark in the database
brings the recompute back through the sweep once Redis is up again (0 lost).

Reproduction (issue #12, 4): with Redis down, every write took about 19 s, because the Redis
result backend retried 20 x 1 s on each enqueue to subscribe to the task's result.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from unittest import mock

import pytest
import redis
from django.utils import timezone

from execsupport.celery import app as celery_app
from metrics.engine import sweep
from metrics.models import DirtySubject
from metrics.services import measurement_record
from tests.factories import KPIFactory
from tests.integration.conftest import RedisServer, _reset_connections

pytestmark = pytest.mark.integration


@pytest.fixture
def private_broker(redis_server: RedisServer) -> Iterator[RedisServer]:
    """This process's Celery app on the test's own Redis, as broker *and* result backend: even
    with a result backend configured, enqueueing must not use it."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}
    url = redis_server.url()
    celery_app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _reset_connections()
    try:
        yield redis_server
    finally:
        celery_app.conf.update(saved)
        _reset_connections()


def _queued(server: RedisServer) -> list[dict]:
    """The task messages waiting in the default queue, oldest first."""
    raw = redis.Redis(port=server.port).lrange("celery", 0, -1)
    return [json.loads(m) for m in reversed(raw)]


def _subjects(message: dict) -> list[list]:
    """The ``subjects`` argument of a queued ``gaps_recompute_subjects`` message."""
    assert message["headers"]["task"] == "metrics.gaps_recompute_subjects"
    _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    return kwargs["subjects"]


def test_broker_connection_gives_up_after_bounded_timeouts(private_broker):
    conf = celery_app.conf
    options = celery_app.connection_for_write().transport_options
    assert conf.broker_connection_timeout <= 2
    assert options["socket_connect_timeout"] <= 2
    assert options["socket_timeout"] <= 5
    assert options["max_retries"] <= 1
    assert options["interval_start"] == 0
    assert conf.task_publish_retry is False
    assert conf.task_ignore_result is True


def test_write_with_broker_down_answers_fast_and_the_sweep_recovers_it(
    private_broker, db, leader, django_capture_on_commit_callbacks, caplog, settings
):
    kpi = KPIFactory()
    today = timezone.localdate()
    with mock.patch.object(type(celery_app.backend), "on_task_call", autospec=True) as backend_call:
        # Redis up: the write enqueues one recompute, and the result store is never asked.
        with django_capture_on_commit_callbacks(execute=True):
            measurement_record(
                kpi=kpi, as_of=today - dt.timedelta(days=1), value=1.0, entered_by=leader
            )
        assert [m["headers"]["task"] for m in _queued(private_broker)] == [
            "metrics.gaps_recompute_subjects"
        ]

        private_broker.stop()
        caplog.set_level(logging.WARNING, logger="metrics.tasks")
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            measurement_record(kpi=kpi, as_of=today, value=2.0, entered_by=leader)
        elapsed = time.monotonic() - started
        assert backend_call.call_count == 0, "enqueueing touched the result backend"

    print(f"write with the broker down: {elapsed:.3f} s")
    assert elapsed < 5, "loose hang guard: a write must not wait on the broker"
    assert "Could not enqueue metrics.gaps_recompute_subjects" in caplog.text
    assert DirtySubject.objects.filter(subject_type="kpi", subject_id=kpi.pk).exists()

    # Redis back: the sweep re-enqueues the subject still marked dirty (nothing was lost).
    private_broker.start()
    settings.GAP_DIRTY_GRACE_SECONDS = 0
    result = sweep()
    assert result["dirty_batches"] >= 1
    resent = [_subjects(m) for m in _queued(private_broker)]
    assert any(["kpi", kpi.pk] in subjects for subjects in resent)
