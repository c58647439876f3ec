"""The engine's persistence: incremental path, snapshots, dirty marks, failures, query counts."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import tasks
from metrics.engine import full_recompute, subjects_recompute
from metrics.explain import score_explain
from metrics.models import Alert, DirtySubject, GapScore, SubjectType
from metrics.services import measurement_record, subjects_mark_dirty
from strategy.access import Access
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
)
from tests.metrics.conftest import TODAY


def latest(subject_type: str, subject_id: int) -> GapScore:
    return GapScore.objects.get(subject_type=subject_type, subject_id=subject_id, is_latest=True)


def test_full_recompute_scores_every_level_and_explains_it(plan):
    full_recompute(today=TODAY)

    nps = latest(SubjectType.KPI, plan["nps"].id)
    assert nps.status == "on_track"
    assert nps.components["items"][0]["key"] == "performance"
    assert nps.forecast["method"] == "robust-rw-drift"
    assert nps.data_quality["confidence"] == "good"
    child = latest(SubjectType.OBJECTIVE, plan["child"].id)
    assert child.status == "off_track"
    assert child.contributors[0]["subject_type"] == "kpi"
    assert child.contributors[0]["subject_id"] == plan["leads"].id
    # Stored without the KPI's name; rendered for a reader who may see it, with its reason.
    assert "percentage points below the plan" not in child.contributors[0]["explanation"]
    office = Access(user_id=None, is_office=True, visible_team_ids=None)
    explained = score_explain(score=child, access=office)
    assert explained.contributors[0]["label"] == f"KPI “{plan['leads'].name}”"
    assert "percentage points below the plan" in explained.contributors[0]["explanation"]
    assert {c["key"] for c in child.components["items"]} == {
        f"kpi:{plan['leads'].id}",
        f"initiative:{plan['initiative'].id}",
    }
    parent = latest(SubjectType.OBJECTIVE, plan["parent"].id)
    child_scores = [nps.score, child.score]
    assert min(child_scores) <= parent.score <= max(child_scores)
    strategy = latest(SubjectType.STRATEGY, plan["strategy"].id)
    assert strategy.reason.startswith("Execution-health index")
    assert 0 <= strategy.score <= 100
    assert latest(SubjectType.TEAM, plan["parent"].team_id).score == pytest.approx(
        # the team's score is the weighted mean over its objectives (both weight 1)
        (parent.score + child.score) / 2
    )
    assert GapScore.objects.filter(is_latest=True).count() == GapScore.objects.count()


def test_history_keeps_one_snapshot_per_change(plan):
    full_recompute(today=TODAY)
    full_recompute(today=TODAY)  # nothing changed: nothing appended
    assert GapScore.objects.filter(subject_type="kpi", subject_id=plan["nps"].id).count() == 1

    MeasurementFactory(kpi=plan["nps"], as_of=dt.date(2026, 6, 10), value=21.0)
    subjects_recompute(subjects=[(SubjectType.KPI, plan["nps"].id)], today=TODAY)

    history = GapScore.objects.filter(subject_type="kpi", subject_id=plan["nps"].id)
    assert history.count() == 2
    assert history.filter(is_latest=True).get().status == "off_track"
    full_recompute(today=TODAY + dt.timedelta(days=1))  # a new day: one snapshot per subject
    assert history.count() == 3


def test_incremental_recompute_touches_the_subject_and_its_ancestors_only(plan, other_team):
    unrelated = KPIFactory(objective=ObjectiveFactory(team=other_team), team=other_team)
    full_recompute(today=TODAY)

    stats = subjects_recompute(subjects=[(SubjectType.KPI, plan["leads"].id)], today=TODAY)

    # KPI, its objective and the parent objective, Sales > Commercial > Acme, theme, strategy.
    assert stats.computed == 8
    with mock.patch(
        "metrics.engine.run.kpis_compute",
        wraps=__import__("metrics.engine.kpis", fromlist=["kpis_compute"]).kpis_compute,
    ) as spy:
        subjects_recompute(subjects=[(SubjectType.KPI, plan["leads"].id)], today=TODAY)
    assert spy.call_args.kwargs["kpi_ids"] == [plan["leads"].id]
    assert unrelated.pk not in spy.call_args.kwargs["kpi_ids"]


def test_new_measurement_changes_scores_after_commit(plan, django_capture_on_commit_callbacks):
    full_recompute()
    before = latest(SubjectType.KPI, plan["leads"].id)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        measurement_record(
            kpi=plan["leads"], as_of=timezone.localdate(), value=40.0, entered_by=None
        )
    enqueues = [c for c in callbacks if "subjects_mark_dirty" in c.__qualname__]
    assert len(enqueues) == 1  # one enqueue per write, carrying the subject list
    after = latest(SubjectType.KPI, plan["leads"].id)
    assert after.pk != before.pk
    assert after.components["facts"]["latest_value"] == 40.0
    assert not DirtySubject.objects.exists()  # recomputed: the mark is cleared


def test_a_batch_marks_once_and_recomputes_each_kpi_once(plan, django_capture_on_commit_callbacks):
    extra = [KPIFactory(objective=plan["child"], team=plan["child"].team) for _ in range(3)]
    subjects = [(SubjectType.KPI, k.pk) for k in extra] + [(SubjectType.KPI, extra[0].pk)]
    with (
        mock.patch.object(
            tasks.gaps_recompute_subjects,
            "apply_async",
            wraps=tasks.gaps_recompute_subjects.apply_async,
        ) as sent,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        subjects_mark_dirty(subjects=subjects)
    assert sent.call_count == 1
    assert len(sent.call_args.kwargs["kwargs"]["subjects"]) == 3
    for kpi in extra:
        assert GapScore.objects.filter(subject_type="kpi", subject_id=kpi.pk).count() == 1
    assert (
        GapScore.objects.filter(subject_type="objective", subject_id=plan["child"].pk).count() == 1
    )


def test_dirty_mark_is_kept_when_marked_again_during_the_recompute(plan):
    subjects_mark_dirty(subjects=[(SubjectType.KPI, plan["nps"].pk)])
    first = DirtySubject.objects.get().marked_at
    subjects_mark_dirty(subjects=[(SubjectType.KPI, plan["nps"].pk)])  # marked again
    subjects_recompute(subjects=[(SubjectType.KPI, plan["nps"].pk)], marked_at=first)
    assert DirtySubject.objects.exists()
    second = DirtySubject.objects.get().marked_at
    subjects_recompute(subjects=[(SubjectType.KPI, plan["nps"].pk)], marked_at=second)
    assert not DirtySubject.objects.exists()


def test_a_failing_subject_is_unavailable_and_the_chunk_goes_on(plan):
    from metrics.engine import kpis as engine_kpis

    real = engine_kpis.kpi_score

    def broken(*, plan, **kwargs):
        if plan.name == "NPS":
            raise ZeroDivisionError("float division by zero")
        return real(plan=plan, **kwargs)

    with mock.patch.object(engine_kpis, "kpi_score", broken):
        full_recompute(today=TODAY)
    nps = latest(SubjectType.KPI, plan["nps"].id)
    assert nps.status == "unavailable"
    assert nps.reason == "score unavailable: ZeroDivisionError: float division by zero"
    assert latest(SubjectType.KPI, plan["leads"].id).status == "off_track"
    alert = Alert.objects.get(kind="score_unavailable")
    assert alert.is_active

    full_recompute(today=TODAY)  # fixed: computes again, the alert resolves by itself
    assert latest(SubjectType.KPI, plan["nps"].id).status == "on_track"
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert alert.resolved_by is None


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(st.floats(min_value=-1e4, max_value=1e4), min_size=0, max_size=10))
def test_recompute_is_idempotent(plan, values):
    kpi = KPIFactory(objective=plan["child"], team=plan["child"].team)
    for i, value in enumerate(values):
        MeasurementFactory(
            kpi=kpi, as_of=dt.date(2026, 1, 1) + dt.timedelta(days=14 * i), value=value
        )
    full_recompute(today=TODAY)
    rows = {(g.subject_type, g.subject_id): g.pk for g in GapScore.objects.filter(is_latest=True)}
    alerts = sorted(Alert.objects.values_list("id", "dedup_key", "status", "last_seen_at"))

    again = subjects_recompute(subjects=[(SubjectType.KPI, kpi.pk)], today=TODAY)
    full = full_recompute(today=TODAY)

    assert again.written == 0
    assert full.written == 0
    assert {
        (g.subject_type, g.subject_id): g.pk for g in GapScore.objects.filter(is_latest=True)
    } == rows
    assert [a[:3] for a in sorted(Alert.objects.values_list("id", "dedup_key", "status"))] == [
        a[:3] for a in alerts
    ]


def _grow(plan, n: int) -> None:
    """n more KPIs with a year of measurements and n more initiatives, alike in shape."""
    team = plan["child"].team
    for _ in range(n):
        kpi = KPIFactory(objective=plan["child"], team=team)
        for i in range(8):
            MeasurementFactory(
                kpi=kpi, as_of=dt.date(2026, 1, 1) + dt.timedelta(days=20 * i), value=20 + i
            )
        InitiativeFactory(objective=plan["child"], team=team)


def _full_recompute_queries(plan, n, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _grow(plan, n)
    with CaptureQueriesContext(connection) as ctx:
        full_recompute(today=TODAY, chunk_size=1000)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_full_recompute_queries_do_not_grow_with_the_number_of_kpis(
    plan, django_assert_max_num_queries
):
    small = _full_recompute_queries(plan, 2, django_assert_max_num_queries)
    # Same organisation, ten times more KPIs and initiatives, all in one chunk:
    GapScore.objects.all().delete()
    Alert.objects.all().delete()
    large = _full_recompute_queries(plan, 20, django_assert_max_num_queries)
    assert small == large, (small, large)


def test_incremental_recompute_after_one_measurement_is_cheap(plan, django_assert_max_num_queries):
    _grow(plan, 5)
    full_recompute(today=TODAY)
    MeasurementFactory(kpi=plan["leads"], as_of=dt.date(2026, 6, 14), value=30.0)
    # Reads (10): KPI, trajectory, recent measurements, objective + ancestors (one CTE query),
    # their KPIs, their initiatives, teams, other objectives (children, team's, theme roots),
    # themes with strategies, latest scores. Writes: snapshot flip + insert (inside a savepoint
    # pair here, as the test runs in a transaction), active alerts, the dirty mark deleted:
    # 14 when no alert changes, plus the private teams routing checks (1). Here the KPI moves
    # from off track to at risk: the off-track alert is held (clear since now, +1) or resolved
    # (+1), a forecast alert opens (+3: last resolved, insert, its id) and the alert log gets
    # its events (one insert, +1).
    # One alert per root cause (+2): the active alerts of the objectives' parts, and the alerts
    # listed in or linked to the objectives' root alerts (the parts' KPIs of initiatives come
    # with the objectives' KPIs).
    with django_assert_max_num_queries(24):
        subjects_recompute(subjects=[(SubjectType.KPI, plan["leads"].id)], today=TODAY)


def test_recent_measurements_are_the_newest_points_oldest_first(plan):
    from metrics.engine.kpis import measurements_recent

    series = measurements_recent(kpi_ids=[plan["nps"].pk, plan["leads"].pk], points=4)
    nps = [v for _, v in series[plan["nps"].pk]]
    assert nps == [23.0, 24.5, 26.0, 27.5]
    assert len(series[plan["leads"].pk]) == 4
    assert series[plan["leads"].pk][0][0] < series[plan["leads"].pk][-1][0]


def test_recent_measurements_take_a_count_per_kpi(plan):
    from metrics.engine.kpis import measurements_recent

    series = measurements_recent(
        kpi_ids=[plan["nps"].pk, plan["leads"].pk], points={plan["nps"].pk: 2, plan["leads"].pk: 3}
    )
    assert [v for _, v in series[plan["nps"].pk]] == [26.0, 27.5]
    assert len(series[plan["leads"].pk]) == 3


def test_the_engine_reads_a_daily_kpis_whole_forecast_window(db, settings):
    # Before: GAP_HISTORY_POINTS (60) points, two months of a daily KPI, for any window.
    settings.GAP_HISTORY_POINTS = 60
    kpi = KPIFactory(cadence_days=1, direction="decrease", baseline_value=100, target_value=50)
    start = dt.date(2026, 2, 1)
    for i in range(130):
        MeasurementFactory(kpi=kpi, as_of=start + dt.timedelta(days=i), value=100 - 0.1 * i)
    subjects_recompute(subjects=[(SubjectType.KPI, kpi.pk)], today=dt.date(2026, 6, 10))
    forecast = GapScore.objects.get(subject_type="kpi", subject_id=kpi.pk, is_latest=True).forecast
    assert forecast["points_used"] == 91  # 90 days back from the latest, both ends counted
    assert forecast["window_start"] == "2026-03-12"  # 2026-06-10 - 90 days


def test_a_concurrent_latest_row_makes_the_write_run_again(plan):
    """Another run inserting a latest row between our flip and our insert must not leave two
    latest rows nor lose our result: the unique index refuses the insert and we write again."""
    from metrics.engine import persist

    real = persist._scores_insert
    calls = []

    def racing(rows, **kwargs):
        if not calls:
            calls.append(1)
            first = rows[0]
            GapScore.objects.create(subject_type=first["subject_type"],
                                    subject_id=first["subject_id"], as_of=TODAY,
                                    status="no_data", reason="other run")  # fmt: skip
        return real(rows, **kwargs)

    with mock.patch.object(persist, "_scores_insert", racing):
        stats = subjects_recompute(subjects=[(SubjectType.KPI, plan["nps"].pk)], today=TODAY)
    assert calls == [1]
    assert stats.written == stats.computed  # the retry wrote everything
    nps = GapScore.objects.filter(subject_type="kpi", subject_id=plan["nps"].pk)
    assert nps.filter(is_latest=True).get().status == "on_track"


def test_a_support_initiative_is_scored_but_not_a_part_of_its_objective(plan):
    """Support measures (issue #18) must not move the plan's health: scored as initiatives,
    left out of their objective's components (and so of the team, theme and strategy)."""
    support = InitiativeFactory(
        objective=plan["child"],
        team=plan["child"].team,
        status="active",
        start_date=TODAY - dt.timedelta(days=60),
        due_date=TODAY + dt.timedelta(days=30),
        kind="support",
    )
    full_recompute(today=TODAY)

    assert latest(SubjectType.INITIATIVE, support.id).score is not None
    child = latest(SubjectType.OBJECTIVE, plan["child"].id)
    assert {c["key"] for c in child.components["items"]} == {
        f"kpi:{plan['leads'].id}",
        f"initiative:{plan['initiative'].id}",
    }
