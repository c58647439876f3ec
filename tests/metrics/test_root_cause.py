"""One alert per root cause (issue #14 §3): an objective off track because of its KPIs and
initiatives raises one alert listing its parts' alerts; the inbox shows that one row instead
of one per part, the parts' alerts stay on their own pages, and a private part is counted,
never named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from metrics.engine import full_recompute
from metrics.engine.alert_writes import alerts_root_link
from metrics.models import Alert, GapScore
from metrics.notifications import alerts_notify
from tests.factories import (
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.metrics.conftest import TODAY

pytestmark = pytest.mark.django_db


def _lagging_kpi(objective, *, team=None, owner=None, name=None, value=20.0):
    """A KPI planned from 20 to 40 over 2026, measured monthly at ``value`` (20: off track)."""
    kpi = KPIFactory(
        objective=objective,
        team=team or objective.team,
        owner=owner or objective.owner,
        **({"name": name} if name else {}),
    )
    for month in range(6):
        MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 1 + month, 1), value=value)
    return kpi


@pytest.fixture
def boss(team):
    person = UserFactory(username="boss", email="boss@example.com")
    MembershipFactory(user=person, team=team)
    return person


@pytest.fixture
def objective(team, boss):
    return ObjectiveFactory(team=team, owner=boss, title="Grow revenue")


def _root(objective) -> Alert:
    return Alert.objects.get(
        kind="objective_off_track", subject_type="objective", subject_id=objective.pk
    )


def test_an_objective_off_track_raises_one_alert_listing_its_causes(objective):
    """Before: one alert per part at the same severity, and none for the objective."""
    nps = _lagging_kpi(objective, name="NPS")
    churn = _lagging_kpi(objective, name="Churn")
    full_recompute(today=TODAY)

    root = _root(objective)
    assert root.status == "open"
    parts = Alert.objects.filter(subject_type="kpi", subject_id__in=[nps.pk, churn.pk])
    off_track = parts.filter(kind="kpi_off_track")
    assert off_track.count() == 2
    # As severe as its most severe cause; the parts' alerts stay active, pointing at it.
    assert root.severity == max(parts.values_list("severity", flat=True))
    assert set(parts.values_list("root_id", flat=True)) == {root.pk}
    assert set(root.details["causes"]) == set(parts.values_list("dedup_key", flat=True))
    # The stored plain text names no object; the parts are counted.
    assert root.message.startswith("This objective is off track")
    assert f"because of {parts.count()} alerts on its parts" in root.message


def test_the_inbox_shows_the_objective_with_its_causes_inside(client, objective, leader):
    nps = _lagging_kpi(objective, name="NPS")
    _lagging_kpi(objective, name="Churn")
    full_recompute(today=TODAY)
    root = _root(objective)
    client.force_login(leader)

    html = client.get("/alerts/").content.decode()
    rows = html.count('class="alert-row"')
    assert f'id="alert-{root.pk}"' in html
    for cause in root.causes.all():
        assert f'id="alert-{cause.pk}"' not in html  # listed inside, not a row
    assert "KPI “NPS”</a> (KPI off track)" in html and "KPI “Churn”</a> (KPI off track)" in html  # noqa: PT018
    assert rows == Alert.objects.filter(status="open", root__isnull=True).count()
    # Every part's alert on demand, and on the part's own page.
    every = client.get("/alerts/", {"parts": "on"}).content.decode()
    assert all(f'id="alert-{c.pk}"' in every for c in root.causes.all())
    by_kind = client.get("/alerts/", {"kind": "kpi_off_track"}).content.decode()
    assert all(f'id="alert-{c.pk}"' in by_kind for c in root.causes.filter(kind="kpi_off_track"))
    assert "KPI off track" in client.get(nps.get_absolute_url()).content.decode()


def test_a_private_part_is_counted_never_named(client, objective, viewer, admin):
    _lagging_kpi(objective, name="NPS")
    secret = TeamFactory(is_private=True, name="Skunkworks")
    _lagging_kpi(objective, team=secret, owner=UserFactory(), name="Canary margin")
    full_recompute(today=TODAY)
    root = _root(objective)
    assert root.causes.filter(team=secret).exists()

    client.force_login(viewer)
    html = client.get("/alerts/").content.decode()
    assert f'id="alert-{root.pk}"' in html
    assert "Canary" not in html and "Skunkworks" not in html  # noqa: PT018
    assert "a part you cannot see" in html
    api = client.get(f"/api/v1/alerts/{root.pk}/").json()
    assert "Canary" not in str(api) and "a part you cannot see" in api["message"]  # noqa: PT018
    hidden = root.causes.get(team=secret)
    assert hidden.dedup_key in root.details["causes"]
    assert hidden.dedup_key not in api["details"]["causes"]  # counted, not even by id
    client.force_login(admin)
    assert "KPI “Canary margin”</a> (KPI off track)" in client.get("/alerts/").content.decode()


def test_a_cause_whose_root_the_reader_may_not_see_stays_a_row(client, team, leader):
    secret = TeamFactory(is_private=True)
    hidden = ObjectiveFactory(team=secret, title="Hidden goal")
    kpi = _lagging_kpi(hidden, team=team, owner=leader, name="Shared KPI")
    full_recompute(today=TODAY)
    cause = Alert.objects.get(subject_type="kpi", subject_id=kpi.pk, kind="kpi_off_track")
    assert cause.root_id is not None
    client.force_login(leader)
    html = client.get("/alerts/").content.decode()
    assert f'id="alert-{cause.pk}"' in html


def test_back_on_track_the_root_resolves_and_the_parts_are_rows_again(client, objective, leader):
    kpi = _lagging_kpi(objective, name="NPS")
    full_recompute(today=TODAY)
    root = _root(objective)
    MeasurementFactory(kpi=kpi, as_of=TODAY, value=40.0)  # on target
    full_recompute(today=TODAY)
    root.refresh_from_db()
    assert root.status == "resolved"
    assert not Alert.objects.filter(status="open", root__status="open").exists()


def test_a_run_that_changes_nothing_links_nothing(objective):
    _lagging_kpi(objective)
    _lagging_kpi(objective)
    full_recompute(today=TODAY)
    before = list(Alert.objects.order_by("id").values_list("id", "root_id", "status"))
    scores = GapScore.objects.count()
    full_recompute(today=TODAY)
    assert list(Alert.objects.order_by("id").values_list("id", "root_id", "status")) == before
    assert GapScore.objects.count() == scores
    assert alerts_root_link(outcomes=[]) == 0


def test_the_owner_of_the_objective_and_its_parts_is_told_once(
    objective, boss, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_IMMEDIATE_PER_DAY = 10
    _lagging_kpi(objective, owner=boss, name="NPS")
    _lagging_kpi(objective, owner=boss, name="Churn")
    full_recompute(today=TODAY)  # its batch waits for a commit that never comes
    opened = list(Alert.objects.filter(status="open").values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        alerts_notify(alert_ids=opened)
    to_boss = [m for m in mail.outbox if m.to == ["boss@example.com"]]
    assert len(to_boss) == 1
    body = to_boss[0].body
    assert "KPI off track: " not in body  # no item of its own: listed inside the root
    assert "Objective off track" in body
    assert "KPI “NPS” (KPI off track)" in body
