"""Overdue action items raise alerts through the product's alert rules (metrics.alerts,
the engine's alerts_sync, the alert event log, routing and the notification outbox)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from metrics.models import Alert, AlertEvent, OutboxMessage
from reviews import services
from reviews.models import ActionItem
from reviews.overdue import action_items_alerts_sync
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 20)
NOW = timezone.make_aware(dt.datetime(2026, 5, 20, 9, 0))


def _item(*, owner, due: dt.date, team=None, title="Call the supplier") -> ActionItem:
    return ActionItem.objects.create(
        title=title, owner=owner, due_date=due, team=team, created_by=owner
    )


def _alerts(item: ActionItem):
    return Alert.objects.filter(subject_type="action", subject_id=item.pk)


def _events(item: ActionItem) -> list[str]:
    return list(
        AlertEvent.objects.filter(alert__subject_id=item.pk, alert__subject_type="action")
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )


def test_open_item_past_due_raises_one_alert_to_its_owner_and_no_flapping():
    owner = UserFactory(email="owner@example.com")
    item = _item(owner=owner, due=TODAY - dt.timedelta(days=3))
    not_yet = _item(owner=owner, due=TODAY + dt.timedelta(days=30), title="Due later")
    opened = action_items_alerts_sync(today=TODAY, now=NOW)
    alert = _alerts(item).get()
    assert opened == [alert.pk]
    assert alert.kind == "action_overdue"
    assert alert.status == "open"
    assert alert.owner_id == owner.pk
    assert alert.details["days_overdue"] == 3
    assert not _alerts(not_yet).exists()
    # Later runs, days apart: still one alert, one "opened" step, nothing to notify again.
    for days in (1, 2, 5):
        later = NOW + dt.timedelta(days=days)
        assert action_items_alerts_sync(today=TODAY + dt.timedelta(days=days), now=later) == []
    assert _alerts(item).count() == 1
    assert _events(item) == ["opened"]


def test_done_resolves_reopened_reopens_the_same_alert_and_dropped_resolves():
    owner = UserFactory()
    item = _item(owner=owner, due=TODAY - dt.timedelta(days=1))
    action_items_alerts_sync(today=TODAY, now=NOW)
    services.action_item_set_status(item=item, status="done", now=NOW)
    alert = _alerts(item).get()
    assert alert.status == "resolved"
    assert alert.resolved_by_id is None
    # Running the beat again after it was done does not bring it back.
    action_items_alerts_sync(today=TODAY, now=NOW + dt.timedelta(hours=1))
    assert _alerts(item).get().status == "resolved"
    services.action_item_set_status(item=item, status="open", now=NOW + dt.timedelta(hours=2))
    alert.refresh_from_db()
    assert alert.status == "open"
    assert alert.reopened_count == 1
    assert _alerts(item).count() == 1
    services.action_item_set_status(item=item, status="dropped", now=NOW + dt.timedelta(hours=3))
    assert _alerts(item).get().status == "resolved"
    assert _events(item) == ["opened", "resolved", "reopened", "resolved"]


def test_moving_the_due_date_resolves_and_a_deleted_item_resolves():
    owner = UserFactory()
    today = timezone.localdate()
    item = _item(owner=owner, due=today - dt.timedelta(days=2))
    gone = _item(owner=owner, due=today - dt.timedelta(days=2), title="Gone")
    action_items_alerts_sync()
    assert _alerts(item).get().status == "open"
    item.due_date = today + dt.timedelta(days=7)
    services.action_item_save(item=item)
    assert _alerts(item).get().status == "resolved"
    gone_id = gone.pk
    gone.delete()
    action_items_alerts_sync()
    assert Alert.objects.get(subject_type="action", subject_id=gone_id).status == "resolved"


def test_deactivated_owner_routes_the_alert_to_the_team_leader():
    team = TeamFactory()
    leader = UserFactory()
    MembershipFactory(user=leader, team=team, role="leader")
    owner = UserFactory()
    MembershipFactory(user=owner, team=team, role="member")
    item = _item(owner=owner, due=TODAY - dt.timedelta(days=4), team=team)
    action_items_alerts_sync(today=TODAY, now=NOW)
    assert _alerts(item).get().owner_id == owner.pk
    owner.is_active = False
    owner.save()
    action_items_alerts_sync(today=TODAY, now=NOW + dt.timedelta(hours=1))
    alert = _alerts(item).get()
    assert alert.owner_id == leader.pk
    assert alert.status == "open"
    assert alert.team_id == team.pk


def test_no_leader_and_owner_gone_routes_to_the_strategy_office(admin):
    owner = UserFactory(is_active=False)
    item = _item(owner=owner, due=TODAY - dt.timedelta(days=1))
    action_items_alerts_sync(today=TODAY, now=NOW)
    alert = _alerts(item).get()
    assert alert.owner_id == admin.pk
    assert alert.details["routed_to"] == "strategy_office"


def test_opened_alert_is_e_mailed_to_its_owner_through_the_outbox(
    settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    owner = UserFactory(email="late@example.com")
    MembershipFactory(user=owner, team=TeamFactory(), role="member")
    _item(owner=owner, due=TODAY - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        opened = action_items_alerts_sync(today=TODAY, now=NOW)
    assert len(opened) == 1
    message = OutboxMessage.objects.get(recipient=owner)
    assert message.to_address == "late@example.com"
    # The next run opens nothing, so nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        action_items_alerts_sync(today=TODAY, now=NOW + dt.timedelta(hours=1))
    assert OutboxMessage.objects.filter(recipient=owner).count() == 1


def test_beat_task_runs_the_sync():
    from reviews.tasks import action_items_alerts

    owner = UserFactory()
    item = _item(owner=owner, due=timezone.localdate() - dt.timedelta(days=1))
    assert action_items_alerts() == 1
    assert action_items_alerts() == 0
    assert _alerts(item).filter(status="open").count() == 1


def test_alert_title_names_the_item_for_who_sees_it_and_hides_it_otherwise(member, outsider):
    from strategy.access import access_for
    from strategy.derived import derived_names

    team = TeamFactory(is_private=True, name="Canary team")
    owner = UserFactory()
    MembershipFactory(user=owner, team=team, role="member")
    item = _item(owner=owner, due=TODAY - dt.timedelta(days=1), team=team, title="Canary task")
    action_items_alerts_sync(today=TODAY, now=NOW)
    alert = _alerts(item).get()
    assert "Canary task" not in alert.title + alert.message
    names = derived_names(access=access_for(owner), parts=[alert.title_parts])
    assert "Canary task" in names.text(alert.title_parts)
    names = derived_names(access=access_for(outsider), parts=[alert.title_parts])
    assert "Canary task" not in names.text(alert.title_parts)


def test_the_alert_pages_and_api_show_an_action_items_alert(client, team, member):
    from django.urls import reverse

    item = _item(owner=member, due=TODAY - dt.timedelta(days=2), team=team, title="Ship it")
    action_items_alerts_sync(today=TODAY, now=NOW)
    alert = _alerts(item).get()
    client.force_login(member)
    inbox = client.get(reverse("metrics:alert-list"))
    assert inbox.status_code == 200
    assert "Ship it" in inbox.content.decode()
    detail = client.get(reverse("metrics:alert-detail", args=[alert.pk]))
    assert detail.status_code == 200
    assert "Action item overdue" in detail.content.decode()
    api = client.get(f"/api/v1/alerts/{alert.pk}/")
    assert api.status_code == 200
    assert api.json()["subject_type"] == "action"
