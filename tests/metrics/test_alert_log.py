"""The alert log (``AlertEvent``), acknowledge / snooze / resolve with a note, and what a snooze
does to notifications (issue #14 §3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.engine import subjects_recompute, sweep
from metrics.models import Alert, AlertEvent, SubjectType
from metrics.selectors import alert_events_visible
from metrics.services import (
    alert_acknowledge,
    alert_snooze,
    alerts_acknowledge,
    alerts_resolve,
    alerts_snooze,
)
from strategy.access import access_for
from tests.factories import (
    AlertFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

MID = dt.date(2026, 7, 2)


def _kpi(objective, values, **kwargs):
    kpi = KPIFactory(objective=objective, team=objective.team, **kwargs)
    for as_of, value in values:
        MeasurementFactory(kpi=kpi, as_of=as_of, value=value)
    return kpi


def _run(*kpis, today=MID, now=None):
    subjects_recompute(subjects=[(SubjectType.KPI, k.pk) for k in kpis], today=today, now=now)


def _off_track(kpi):
    return Alert.objects.get(kind="kpi_off_track", subject_type="kpi", subject_id=kpi.pk)


def _kinds(alert):
    return list(alert.events.order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def objective(team):
    return ObjectiveFactory(team=team)


# --- services ---------------------------------------------------------------------------------
def test_acknowledge_records_who_when_and_why(team, leader):
    alert = AlertFactory(team=team)
    assert alert_acknowledge(alert=alert, by=leader, note="  Talking to sales on Monday. ")
    assert alert.status == "acknowledged"
    assert alert.acknowledge_note == "Talking to sales on Monday."
    event = alert.events.get()
    assert (event.kind, event.by, event.note) == ("acknowledged", leader, alert.acknowledge_note)
    assert event.at == alert.acknowledged_at
    assert not alert_acknowledge(alert=alert, by=leader)  # only once
    assert alert.events.count() == 1


def test_bulk_acknowledge_and_resolve_change_only_what_may_change(team, leader):
    open_, acked, resolved = AlertFactory.create_batch(3, team=team)
    alert_acknowledge(alert=acked, by=leader)
    alerts_resolve(alert_ids=[resolved.pk], by=leader)
    ids = [open_.pk, acked.pk, resolved.pk, 987_654_321]
    assert alerts_acknowledge(alert_ids=ids, by=leader, note="bulk") == [open_.pk]
    assert sorted(alerts_resolve(alert_ids=ids, by=leader, note="done")) == sorted(
        [open_.pk, acked.pk]
    )
    assert AlertEvent.objects.filter(kind="resolved", note="done").count() == 2


def test_snooze_records_until_and_refuses_a_past_or_far_end(team, leader, settings):
    alert = AlertFactory(team=team)
    until = timezone.now() + dt.timedelta(days=7)
    assert alert_snooze(alert=alert, by=leader, until=until, note="Waiting for Q3 data")
    assert alert.is_snoozed()
    assert (alert.snoozed_by, alert.snoozed_until, alert.snooze_note) == (
        leader,
        until,
        "Waiting for Q3 data",
    )
    assert alert.status == "open"  # a snooze is not an acknowledgement
    event = alert.events.get()
    assert (event.kind, event.until, event.by) == ("snoozed", until, leader)

    with pytest.raises(ValidationError) as past:
        alerts_snooze(alert_ids=[alert.pk], by=leader, until=timezone.now() - dt.timedelta(1))
    assert "until" in past.value.message_dict
    settings.GAP_ALERT_SNOOZE_MAX_DAYS = 30
    with pytest.raises(ValidationError) as far:
        alerts_snooze(alert_ids=[alert.pk], by=leader, until=timezone.now() + dt.timedelta(31))
    assert "at most 30 days" in far.value.message_dict["until"][0]
    with pytest.raises(ValidationError) as long_note:
        alerts_snooze(alert_ids=[alert.pk], by=leader, until=until, note="x" * 2001)
    assert "note" in long_note.value.message_dict
    assert alert.events.count() == 1  # nothing half-written


# --- the engine writes the log -------------------------------------------------------------
def test_engine_logs_opened_resolved_reopened_and_keeps_the_first_opening(objective, leader):
    """Before: a reopening cleared the acknowledgement and overwrote the opening time, and no
    record of the past was left."""
    kpi = _kpi(objective, [(MID, 26.0)])
    t0 = timezone.now()
    _run(kpi, now=t0)
    alert = _off_track(kpi)
    alert_acknowledge(alert=alert, by=leader, note="on it")
    MeasurementFactory(kpi=kpi, as_of=MID + dt.timedelta(days=1), value=31.0)
    _run(kpi, today=MID + dt.timedelta(days=1))
    MeasurementFactory(kpi=kpi, as_of=MID + dt.timedelta(days=2), value=25.0)
    _run(kpi, today=MID + dt.timedelta(days=2))
    alert.refresh_from_db()
    assert _kinds(alert) == ["opened", "acknowledged", "resolved", "reopened"]
    first = alert.events.get(kind="opened")
    assert first.at == t0
    assert first.by is None
    assert alert.events.get(kind="acknowledged").note == "on it"
    assert alert.events.get(kind="resolved").by is None  # automatic
    assert alert.status == "acknowledged"
    assert alert.acknowledged_by == leader


def test_engine_writes_the_log_in_bulk(team):
    """Set-based: opening alerts on 3 or on 12 KPIs costs the same number of queries."""

    def opening(n):
        objective = ObjectiveFactory(team=team)
        kpis = [_kpi(objective, [(MID, 26.0)]) for _ in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            _run(*kpis)
        assert AlertEvent.objects.filter(
            kind="opened", alert__subject_type="kpi", alert__subject_id__in=[k.pk for k in kpis]
        ).count() == len(kpis)
        return len(ctx.captured_queries)

    assert opening(3) == opening(12)


def test_a_worse_reopening_clears_acknowledgement_and_snooze(objective, leader):
    kpi = _kpi(objective, [(MID, 26.0)])
    _run(kpi)
    alert = _off_track(kpi)
    alert_acknowledge(alert=alert, by=leader)
    alert_snooze(alert=alert, by=leader, until=timezone.now() + dt.timedelta(days=30))
    # It was less severe before (its highest severity so far: info).
    Alert.objects.filter(pk=alert.pk).update(
        severity=Alert.Severity.INFO, peak_severity=Alert.Severity.INFO
    )
    MeasurementFactory(kpi=kpi, as_of=MID + dt.timedelta(days=1), value=31.0)
    _run(kpi, today=MID + dt.timedelta(days=1))
    MeasurementFactory(kpi=kpi, as_of=MID + dt.timedelta(days=2), value=25.0)
    _run(kpi, today=MID + dt.timedelta(days=2))
    alert.refresh_from_db()
    assert alert.status == "open"
    assert alert.acknowledged_at is None
    assert alert.snoozed_until is None
    assert _kinds(alert)[-2:] == ["reopened", "worsened"]


# --- snooze and notifications ---------------------------------------------------------------
def test_snoozed_alert_does_not_notify_when_it_reopens(
    objective, leader, django_capture_on_commit_callbacks, settings
):
    settings.GAP_ALERT_RENOTIFY_HOURS = 0  # only the snooze can hold the reopening back
    kpi = _kpi(objective, [(MID, 26.0)], owner=leader)
    with django_capture_on_commit_callbacks(execute=True):
        _run(kpi)
    assert len(mail.outbox) == 1
    alert = _off_track(kpi)
    alert_snooze(alert=alert, by=leader, until=timezone.now() + dt.timedelta(days=10))
    MeasurementFactory(kpi=kpi, as_of=MID + dt.timedelta(days=1), value=31.0)
    MeasurementFactory(kpi=kpi, as_of=MID + dt.timedelta(days=2), value=25.0)
    with django_capture_on_commit_callbacks(execute=True):
        _run(kpi, today=MID + dt.timedelta(days=1))
        _run(kpi, today=MID + dt.timedelta(days=2))
    alert.refresh_from_db()
    assert alert.is_active
    assert alert.reopened_count == 1
    assert len(mail.outbox) == 1  # snoozed: no second message


def test_a_snoozed_alert_notifies_again_when_it_wakes(
    objective, leader, django_capture_on_commit_callbacks, settings
):
    settings.GAP_ALERT_RENOTIFY_HOURS = 0
    kpi = _kpi(objective, [(MID, 26.0)], owner=leader)
    with django_capture_on_commit_callbacks(execute=True):
        _run(kpi)
    alert = _off_track(kpi)
    alert_snooze(alert=alert, by=leader, until=timezone.now() + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(now=timezone.now())
    assert result["alerts_woken"] == 0
    assert len(mail.outbox) == 1
    later = timezone.now() + dt.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(now=later)
    assert result["alerts_woken"] == 1
    alert.refresh_from_db()
    assert alert.snoozed_until is None
    assert _kinds(alert)[-1] == "woke"
    assert len(mail.outbox) == 2


# --- reading the log --------------------------------------------------------------------------
def test_log_selector_shows_only_alerts_the_reader_may_see(team, leader, outsider):
    private = TeamFactory(is_private=True)
    seen = AlertFactory(team=team)
    hidden = AlertFactory(team=private)
    for alert in (seen, hidden):
        alerts_acknowledge(alert_ids=[alert.pk], by=UserFactory(), note="x")
    assert {e.alert_id for e in alert_events_visible(access=access_for(leader))} == {seen.pk}
    assert not alert_events_visible(access=access_for(outsider)).exists()
    since = timezone.now() + dt.timedelta(seconds=1)
    assert not alert_events_visible(access=access_for(leader), since=since).exists()


def test_alert_page_shows_state_log_and_keeps_a_bad_snooze(client, team, leader):
    alert = AlertFactory(team=team, owner=leader)
    alert_acknowledge(alert=alert, by=leader, note="Sales lead agreed a fix")
    client.force_login(leader)
    page = client.get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sales lead agreed a fix" in html
    assert "Acknowledged" in html

    past = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    bad = client.post(f"/alerts/{alert.pk}/snooze/", {"until": past, "note": "typed note kept"})
    assert bad.status_code == 400
    assert "must end in the future" in bad.content.decode()
    assert "typed note kept" in bad.content.decode()

    day = timezone.localdate() + dt.timedelta(days=5)
    done = client.post(f"/alerts/{alert.pk}/snooze/", {"until": day.isoformat(), "note": "Q3"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert timezone.localtime(alert.snoozed_until).date() == day
    html = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Snoozed" in html
    assert "Q3" in html


def test_alert_page_actions_need_the_right_to_handle(client, team, member, outsider):
    alert = AlertFactory(team=team)
    client.force_login(member)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 200
    day = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    assert client.post(f"/alerts/{alert.pk}/snooze/", {"until": day}).status_code == 403
    client.force_login(outsider)
    assert client.get(f"/alerts/{alert.pk}/").status_code in (403, 404)


# --- API --------------------------------------------------------------------------------------
def test_api_acknowledge_snooze_resolve_with_notes_and_the_log(client, team, leader):
    alert = AlertFactory(team=team, owner=leader)
    client.force_login(leader)
    base = f"/api/v1/alerts/{alert.pk}"
    r = client.post(f"{base}/acknowledge/", {"note": "seen"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["acknowledge_note"] == "seen"
    r = client.post(
        f"{base}/snooze/",
        {"until": (timezone.now() - dt.timedelta(hours=1)).isoformat(), "note": "x"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["until"]
    r = client.post(f"{base}/snooze/", {"note": "no date"}, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "until"
    until = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    r = client.post(
        f"{base}/snooze/",
        {"until": until.isoformat(), "note": "after the board"},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.json()["snooze_note"] == "after the board"
    assert r.json()["snoozed_by"] == leader.pk
    r = client.post(f"{base}/resolve/", {"note": "fixed"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["status"] == "resolved"
    assert client.post(f"{base}/snooze/", {"until": until.isoformat()}).status_code == 409
    events = client.get(f"{base}/events/").json()
    assert [(e["kind"], e["note"], e["by"]) for e in events] == [
        ("acknowledged", "seen", leader.pk),
        ("snoozed", "after the board", leader.pk),
        ("resolved", "fixed", leader.pk),
    ]
    assert events[1]["until"] is not None


def test_api_log_and_snooze_follow_the_alert_rules(client, team, member, outsider):
    private = TeamFactory(is_private=True)
    alert = AlertFactory(team=team)
    hidden = AlertFactory(team=private)
    client.force_login(member)
    assert client.get(f"/api/v1/alerts/{alert.pk}/events/").status_code == 200
    assert client.get(f"/api/v1/alerts/{hidden.pk}/events/").status_code == 404
    until = (timezone.now() + dt.timedelta(days=3)).isoformat()
    r = client.post(
        f"/api/v1/alerts/{alert.pk}/snooze/", {"until": until}, content_type="application/json"
    )
    assert r.status_code == 403  # a member neither owns it nor leads its team
