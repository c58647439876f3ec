"""People who leave (issue #14 §2): an inactive owner counts as no owner, alerts route to the
next accountable active person or the strategy office, notifications go through an outbox and
``notified_at`` means sent, and a leaving person's work is handed over."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from metrics.engine import full_recompute, sweep
from metrics.models import KPI, Alert, OutboxMessage
from metrics.notifications import alerts_notify
from strategy.access import access_for
from strategy.models import HandOver, Membership, Objective
from strategy.people import people_choosable
from strategy.people_services import person_hand_over
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    UserFactory,
)
from tests.metrics.conftest import TODAY


def _leave(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def _kpi(team, *, owner, objective_owner):
    objective = ObjectiveFactory(team=team, owner=objective_owner)
    kpi = KPIFactory(objective=objective, team=team, owner=owner)
    for month in range(6):
        MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 1 + month, 1), value=20)
    return kpi


def test_an_inactive_owner_counts_as_no_owner_and_alerts_go_to_the_next_person(team, leader):
    gone = UserFactory(email="gone@example.com")
    boss = UserFactory(email="boss@example.com")
    kpi = _kpi(team, owner=gone, objective_owner=boss)
    _leave(gone)

    full_recompute(today=TODAY)

    alerts = Alert.objects.filter(subject_type="kpi", subject_id=kpi.id)
    assert alerts.filter(kind="unowned", status="open").exists()
    assert set(alerts.values_list("owner_id", flat=True)) == {boss.id}


def test_with_nobody_active_alerts_go_to_the_strategy_office_and_say_so(team, leader, admin):
    gone, boss = UserFactory(), UserFactory()
    kpi = _kpi(team, owner=gone, objective_owner=boss)
    for user in (gone, boss, leader):
        _leave(user)

    full_recompute(today=TODAY)

    alert = Alert.objects.get(subject_type="kpi", subject_id=kpi.id, kind="kpi_off_track")
    assert alert.owner == admin
    assert "sent to the strategy office" in alert.message
    assert alert.details["routed_to"] == "strategy_office"


def test_notified_at_is_set_only_when_a_message_was_sent(team, django_capture_on_commit_callbacks):
    # Nobody to tell: the owner has no e-mail address (before: marked notified all the same).
    mute = UserFactory(email="")
    kpi = _kpi(team, owner=mute, objective_owner=mute)
    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY)
    alerts = Alert.objects.filter(subject_id=kpi.id, subject_type="kpi")
    assert alerts.exists()
    assert not alerts.filter(notified_at__isnull=False).exists()
    assert not mail.outbox

    # Someone to tell: one outbox row per message, sent, and only then notified_at.
    owner = UserFactory(email="owner@example.com")
    Membership.objects.create(user=owner, team=team)  # told only of what they may see
    KPI.objects.filter(id=kpi.id).update(owner=owner)
    Alert.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        full_recompute(today=TODAY)
    row = OutboxMessage.objects.get(to_address="owner@example.com")
    assert row.status == OutboxMessage.Status.SENT
    assert row.sent_at is not None
    assert len(mail.outbox) == 1
    assert set(
        Alert.objects.filter(id__in=row.alert_ids).values_list("notified_at", flat=True)
    ) == {row.sent_at}


def test_the_outbox_retries_and_the_sweep_sends_what_is_stuck(
    team, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="owner@example.com")
    Membership.objects.create(user=owner, team=team)
    kpi = _kpi(team, owner=owner, objective_owner=owner)
    full_recompute(today=TODAY)  # its notification batch waits for a commit that never comes
    opened = list(Alert.objects.filter(subject_id=kpi.id).values_list("id", flat=True))
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=OSError("SMTP down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alerts_notify(alert_ids=opened)
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert "SMTP down" in row.last_error
    assert not Alert.objects.filter(id__in=opened, notified_at__isnull=False).exists()
    # A second batch for the same openings sends nothing twice (claimed).
    alerts_notify(alert_ids=opened)
    assert OutboxMessage.objects.count() == 1

    assert sweep(now=timezone.now())["outbox_resent"] == 0  # within its backoff
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=later)["outbox_resent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.SENT, 2)
    assert len(mail.outbox) == 1
    assert not Alert.objects.filter(id__in=opened, notified_at__isnull=True).exists()


def test_the_people_picker_skips_inactive_people(team, admin, leader):
    gone = UserFactory()
    Membership.objects.create(user=gone, team=team)
    _leave(gone)
    chosen = people_choosable(access=access_for(admin), keep_ids=[gone.id])
    assert gone not in chosen
    assert leader in chosen


def _owned_by(person, team):
    objective = ObjectiveFactory(team=team, owner=person)
    initiative = InitiativeFactory(objective=objective, team=team, owner=person)
    kpi = KPIFactory(objective=objective, team=team, owner=person)
    return objective, initiative, kpi


def test_hand_over_moves_the_work_and_records_it(team, admin, leader):
    gone = UserFactory()
    objective, initiative, kpi = _owned_by(gone, team)
    _leave(gone)

    done = person_hand_over(leaving=gone, successor=leader, by=admin)

    assert (done.objectives, done.initiatives, done.kpis) == (1, 1, 1)
    assert (done.done_by, done.leaving, done.successor) == (admin, gone, leader)
    for instance in (objective, initiative, kpi):
        version = instance.version
        instance.refresh_from_db()
        assert instance.owner == leader
        assert instance.version == version + 1


def test_hand_over_refuses_bad_input_and_non_office(team, admin, leader, member):
    from django.core.exceptions import PermissionDenied, ValidationError

    gone = UserFactory()
    _owned_by(gone, team)
    with pytest.raises(PermissionDenied):
        person_hand_over(leaving=gone, successor=leader, by=leader)
    with pytest.raises(ValidationError):
        person_hand_over(leaving=gone, successor=gone, by=admin)
    _leave(member)
    with pytest.raises(ValidationError):
        person_hand_over(leaving=gone, successor=member, by=admin)
    assert not HandOver.objects.exists()
    assert Objective.objects.filter(owner=gone).count() == 1


def test_hand_over_page(client, team, admin, leader):
    gone = UserFactory()
    _owned_by(gone, team)
    _leave(gone)
    client.force_login(leader)
    assert client.get("/people/hand-over/").status_code == 403
    client.force_login(admin)
    assert client.get("/people/hand-over/").status_code == 200
    response = client.post("/people/hand-over/", {"leaving": gone.id, "successor": gone.id})
    assert response.status_code == 400  # an inactive person is no successor
    response = client.post("/people/hand-over/", {"leaving": gone.id, "successor": leader.id})
    assert response.status_code == 302
    assert HandOver.objects.get().successor == leader
    assert "Handed over" in client.get("/people/hand-over/").content.decode()


def test_hand_over_api(client, team, admin, leader):
    gone = UserFactory()
    _owned_by(gone, team)
    _leave(gone)
    client.force_login(leader)
    url = "/api/v1/people/hand-over/"
    body = {"leaving": gone.id, "successor": leader.id}
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.force_login(admin)
    bad = client.post(url, {"leaving": gone.id}, content_type="application/json")
    assert bad.status_code == 400
    assert "successor" in bad.json()["errors"] or "successor" in str(bad.json())
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["kpis"] == 1
    assert response.json()["done_by"] == admin.id
