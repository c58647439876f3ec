"""Enqueueing after commit, broker outages, the sweep, the nightly task, the command."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from execsupport.celery import app as celery_app
from metrics.engine import full_recompute, sweep
from metrics.models import KPI, Alert, DirtySubject, GapScore, Measurement, SubjectType
from metrics.services import measurement_record
from metrics.tasks import gaps_recompute_all
from tests.metrics.conftest import TODAY


def _reset_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._local.__dict__.clear()


@pytest.fixture
def broker_down():
    """Celery pointed at a closed port, not eager: as in production with Redis down."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    _reset_connections()
    yield
    celery_app.conf.update(saved)
    _reset_connections()


def test_write_succeeds_and_stays_dirty_when_the_broker_is_down(
    plan, broker_down, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="metrics.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        measurement, created = measurement_record(
            kpi=plan["nps"], as_of=timezone.localdate(), value=30.0, entered_by=None
        )
    elapsed = time.monotonic() - started
    assert created
    assert Measurement.objects.filter(pk=measurement.pk).exists()
    assert DirtySubject.objects.filter(subject_type="kpi", subject_id=plan["nps"].pk).exists()
    assert "Could not enqueue metrics.gaps_recompute_subjects" in caplog.text
    # Not a speed goal: a hang would take the broker's full retry schedule (minutes).
    assert elapsed < 15


def test_sweep_recomputes_what_is_still_dirty(plan, settings):
    settings.GAP_DIRTY_GRACE_SECONDS = 0
    DirtySubject.objects.create(subject_type=SubjectType.KPI, subject_id=plan["nps"].pk)
    result = sweep()
    assert result["dirty_batches"] == 1
    assert not DirtySubject.objects.exists()
    assert GapScore.objects.filter(subject_type="kpi", subject_id=plan["nps"].pk).exists()


def test_sweep_leaves_fresh_marks_to_their_own_task(plan):
    DirtySubject.objects.create(subject_type=SubjectType.OBJECTIVE, subject_id=plan["child"].pk)
    assert sweep()["dirty_batches"] == 0
    assert DirtySubject.objects.exists()


def test_sweep_catches_time_driven_conditions(plan):
    # Scored on 15 June; months later nothing was written, but the data went stale and the
    # never-checked-in initiative stayed silent: the sweep notices without any write.
    # (The KPIs were created long ago: a new KPI gets one cadence of grace.)
    KPI.objects.update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    full_recompute(today=TODAY)
    assert not Alert.objects.filter(kind="kpi_stale").exists()
    today = dt.date(2026, 9, 1)
    result = sweep(today=today)
    assert result["time_driven"] >= 2
    # Eager here: the recompute ran with the real date, where both KPIs are stale.
    assert Alert.objects.filter(kind="kpi_stale", status="open").count() == 2


def test_nightly_task_runs_the_full_recompute_eagerly(plan):
    result = gaps_recompute_all.delay().get()
    assert result["computed"] >= 10
    assert GapScore.objects.filter(subject_type="strategy", is_latest=True).exists()


def test_recompute_gaps_command(plan, capsys):
    call_command("recompute_gaps", "--chunk-size", "1")
    out = capsys.readouterr()
    assert "Computed 10 scores" in out.out
    assert "Recomputing gap scores" in out.err  # the progress bar
    assert GapScore.objects.filter(is_latest=True).count() == 10


def test_recompute_gaps_fills_the_history_of_past_weeks_once(plan, capsys):
    call_command("recompute_gaps", "--history-weeks", "4", "--no-progress")
    assert "Computed 4 weeks of score history" in capsys.readouterr().out
    today = timezone.localdate()
    days = GapScore.objects.filter(subject_type="strategy").order_by("as_of")
    assert [s.as_of for s in days] == [today - dt.timedelta(weeks=w) for w in range(4, -1, -1)]
    written = GapScore.objects.count()

    # Days that have scores are never filled again (nor doubled).
    with pytest.raises(CommandError, match="Scores already exist for"):
        call_command("recompute_gaps", "--history-weeks", "2", "--no-progress")
    assert GapScore.objects.count() == written
    # Scores of today alone do not stand in the way.
    GapScore.objects.exclude(as_of=today).delete()
    call_command("recompute_gaps", "--history-weeks", "1", "--no-progress")
    assert GapScore.objects.filter(subject_type="strategy", as_of__lt=today).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--history-weeks", "-1"), "between 0 and 104"),
        (("--history-weeks", "2", "--enqueue"), "leave out --enqueue"),
    ],
)
def test_recompute_gaps_refuses_bad_history_options(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("recompute_gaps", *args)


def test_recompute_gaps_refuses_a_bad_chunk_size(db):
    with pytest.raises(CommandError, match="--chunk-size must be a positive number"):
        call_command("recompute_gaps", "--chunk-size", "0")


def test_beat_schedule_names_registered_tasks():
    # As a worker and beat do at start-up: import the configured modules, which runs the
    # autodiscovery of every installed app's tasks module (a beat entry naming a task of an app
    # that nothing else imports, e.g. security.events_prune, is found only this way).
    celery_app.loader.import_default_modules()
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["gaps-sweep"]["schedule"] == 15 * 60
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks


def test_marking_without_enqueue_leaves_it_to_the_sweep(plan, django_capture_on_commit_callbacks):
    from django.db import transaction

    from metrics.services import subjects_mark_dirty

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        subjects_mark_dirty(subjects=[(SubjectType.KPI, plan["nps"].pk)], enqueue=False)
    assert callbacks == []
    assert DirtySubject.objects.filter(subject_id=plan["nps"].pk).exists()


def test_sweep_resolves_alerts_of_deleted_subjects(plan):
    from tests.factories import MilestoneFactory

    milestone = MilestoneFactory(initiative=plan["initiative"], due_date=dt.date(2026, 3, 1))
    full_recompute(today=TODAY)
    alert = Alert.objects.get(kind="milestone_overdue", subject_id=milestone.pk)
    milestone.delete()
    assert sweep()["orphan_alerts_resolved"] == 1
    alert.refresh_from_db()
    assert alert.status == "resolved"


def test_recompute_gaps_skips_what_did_not_change_unless_told(plan, capsys):
    """Issue #19: the second run of a day skips every subject; ``--all-again`` scores them."""
    call_command("recompute_gaps", "--no-progress")
    capsys.readouterr()
    call_command("recompute_gaps", "--no-progress")
    out = capsys.readouterr().out
    assert "Computed 0 scores (0 changed" in out
    total = GapScore.objects.filter(is_latest=True).count()
    assert f"{total} subjects unchanged since their score of the day" in out
    call_command("recompute_gaps", "--no-progress", "--all-again")
    out = capsys.readouterr().out
    assert f"Computed {total} scores (0 changed" in out
    assert "0 subjects unchanged" in out
    with pytest.raises(CommandError, match="--all-again runs here"):
        call_command("recompute_gaps", "--all-again", "--enqueue")
