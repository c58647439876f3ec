"""KPI page, measurement entry, KPI edit with plan-change reason, alerts inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import Alert, Measurement, SubjectType, TargetRevision
from tests.factories import (
    AlertFactory,
    GapScoreFactory,
    KPIFactory,
    MeasurementFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpi(team, member):
    return KPIFactory(objective=ObjectiveFactory(team=team), team=team, owner=member, key="nps")


def record_url(kpi):
    return reverse("metrics:measurement-new", args=[kpi.key])


def test_kpi_page_shows_chart_forecast_and_data(client, viewer, kpi):
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 2, 1), value=24.5)
    MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 3, 1), value=26.0)
    GapScoreFactory(
        subject_type=SubjectType.KPI,
        subject_id=kpi.pk,
        status="off_track",
        reason="At 60 % of the expected progress.",
        forecast={
            "method": "theil-sen",
            "points_used": 2,
            "window_start": "2026-02-01",
            "slope_per_day": 0.05,
            "value_at_target": 33.0,
            "interval_low": 30.0,
            "interval_high": 36.0,
            "interval_level": 0.8,
            "progress_at_target": 0.65,
            "probability_on_target": 0.12,
            "projected_target_date": None,
            "misses_target": True,
            "line": [["2026-03-01", 26.0], ["2026-12-31", 33.0]],
        },
        components=[
            {
                "key": "trend",
                "label": "Trend",
                "score": 40.0,
                "weight": 1.0,
                "status": "off_track",
                "detail": "Growing too slowly",
            }
        ],
    )
    client.force_login(viewer)
    html = client.get(kpi.get_absolute_url()).content.decode()
    assert "At 60 % of the expected progress." in html
    assert "12 %" in html and "forecast misses target" in html  # noqa: PT018
    assert "Growing too slowly" in html
    assert '"name":"Forecast"' in html and '"name":"Baseline"' in html  # noqa: PT018
    assert "Plan (target trajectory)" in html
    assert "24.50" in html  # the data table
    assert "Record a measurement" not in html  # a viewer reads only
    # A forecast stored by the method before issue #13 stays readable, labelled as it was made.
    assert "Theil\u2013Sen trend (the method before 2026-11-30)" in html  # an en dash
    assert "never reached on this trend" in html


def test_kpi_page_labels_p_and_draws_the_interval_band(client, viewer, kpi):
    from metrics.scoring import KpiPlan
    from metrics.scoring.forecast import kpi_forecast

    values = [(dt.date(2026, 1, 1) + dt.timedelta(days=30 * i), 20.0 + 0.1 * i) for i in range(8)]
    for as_of, value in values:
        MeasurementFactory(kpi=kpi, as_of=as_of, value=value)
    plan = KpiPlan(
        name=kpi.name, direction="increase", baseline_value=20.0, baseline_date=dt.date(2026, 1, 1),
        target_value=40.0, target_date=dt.date(2026, 12, 31), cadence_days=30,
    )  # fmt: skip
    forecast = kpi_forecast(plan=plan, measurements=values, today=dt.date(2026, 8, 1))
    assert forecast["probability_on_target"] < 0.01
    GapScoreFactory(
        subject_type=SubjectType.KPI, subject_id=kpi.pk, status="off_track", forecast=forecast
    )
    client.force_login(viewer)
    html = client.get(kpi.get_absolute_url()).content.decode()
    assert "Chance the value on the target date meets the target" in html
    assert "&lt; 1 %" in html  # clipped for display, never "0 %" before the date
    assert "robust random walk with drift" in html
    assert '"name":"Forecast 80% interval"' in html  # the band from the latest value on
    assert forecast["band"][0][0] == "2026-07-30"  # starts at the latest measurement
    assert forecast["band"][-1][0] == "2026-12-31"  # ends at the target date


def test_owner_records_a_measurement(client, member, kpi):
    client.force_login(member)
    today = timezone.localdate()
    response = client.post(record_url(kpi), {"as_of": today.isoformat(), "value": "31.5"})
    assert response.status_code == 302
    assert Measurement.objects.get(kpi=kpi, as_of=today).value == 31.5


def test_measurement_message_writes_the_date_without_a_leading_zero(client, member, kpi):
    """The tester read "Measurement of 01 Dec 2026"; the app writes "1 Dec 2026"."""
    client.force_login(member)
    day = dt.date(2026, 7, 1)
    response = client.post(
        record_url(kpi), {"as_of": day.isoformat(), "value": "31.5"}, follow=True
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Measurement of 1 Jul 2026 recorded." in text


def test_invalid_measurement_is_refused_with_a_clear_error(client, member, kpi):
    client.force_login(member)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(record_url(kpi), {"as_of": future, "value": "31.5", "note": "typo?"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A measurement cannot be dated in the future." in html
    assert 'value="31.5"' in html and 'value="typo?"' in html  # noqa: PT018
    response = client.post(record_url(kpi), {"as_of": "2026-01-05", "value": "lots"})
    assert "Enter a number." in response.content.decode()
    assert not Measurement.objects.exists()


def test_viewer_and_other_members_cannot_record(client, viewer, team, kpi):
    client.force_login(viewer)
    assert client.post(record_url(kpi), {"as_of": "2026-01-05", "value": "1"}).status_code == 403
    colleague = UserFactory()
    from tests.factories import MembershipFactory

    MembershipFactory(user=colleague, team=team)
    client.force_login(colleague)
    assert client.post(record_url(kpi), {"as_of": "2026-01-05", "value": "1"}).status_code == 403
    assert not Measurement.objects.exists()


def _kpi_data(kpi, **changes) -> dict:
    data = {
        "name": kpi.name,
        "key": kpi.key,
        "description": "",
        "unit": kpi.unit,
        "kind": kpi.kind,
        "direction": kpi.direction,
        "baseline_value": kpi.baseline_value,
        "baseline_date": kpi.baseline_date.isoformat(),
        "target_value": kpi.target_value,
        "target_date": kpi.target_date.isoformat(),
        "range_low": "",
        "range_high": "",
        "cadence_days": kpi.cadence_days,
        "owner": kpi.owner_id,
        "team": kpi.team_id,
        "objective": kpi.objective_id,
        "initiative": "",
        "weight": "1",
        "data_source": "",
        "is_active": "on",
        "reason": "",
    }
    data.update(changes)
    return data


def test_plan_change_needs_a_reason(client, leader, kpi):
    client.force_login(leader)
    url = reverse("metrics:kpi-edit", args=[kpi.key])
    response = client.post(url, _kpi_data(kpi, target_value="50"))
    assert response.status_code == 200
    assert "Say why the baseline, target or range changed." in response.content.decode()
    assert 'value="50"' in response.content.decode()
    kpi.refresh_from_db()
    assert kpi.target_value == 40.0
    response = client.post(url, _kpi_data(kpi, target_value="50", reason="New market data."))
    assert response.status_code == 302
    revision = TargetRevision.objects.get(kpi=kpi)
    assert (revision.reason, revision.new_plan["target_value"]) == ("New market data.", 50.0)


def test_member_cannot_edit_a_kpi(client, member, kpi):
    client.force_login(member)
    assert client.get(reverse("metrics:kpi-edit", args=[kpi.key])).status_code == 403


def test_alert_inbox_explains_and_links_to_subject(client, leader, team, kpi):
    AlertFactory(
        subject_type=SubjectType.KPI,
        subject_id=kpi.pk,
        team=team,
        title="NPS off track",
        message="NPS is 40 % behind its trajectory.",
    )
    client.force_login(leader)
    html = client.get(reverse("metrics:alert-list")).content.decode()
    assert "NPS is 40 % behind its trajectory." in html
    assert f'href="{kpi.get_absolute_url()}"' in html


def test_alert_inbox_hides_alerts_of_private_teams(client, member):
    from tests.factories import TeamFactory

    AlertFactory(team=TeamFactory(is_private=True), title="Engineering alert", owner=UserFactory())
    client.force_login(member)
    html = client.get(reverse("metrics:alert-list"), {"status": "all"}).content.decode()
    assert "Engineering alert" not in html


def test_alert_filters(client, leader, team):
    AlertFactory(team=team, title="Critical one", severity=Alert.Severity.CRITICAL)
    AlertFactory(team=team, title="Mild one", severity=Alert.Severity.INFO)
    client.force_login(leader)
    html = client.get(reverse("metrics:alert-list"), {"severity": 3}).content.decode()
    assert "Critical one" in html and "Mild one" not in html  # noqa: PT018


def test_leader_acknowledges_then_resolves(client, leader, team):
    alert = AlertFactory(team=team)
    client.force_login(leader)
    url = reverse("metrics:alert-acknowledge", args=[alert.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Acknowledged" in response.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", leader)
    client.post(reverse("metrics:alert-resolve", args=[alert.pk]))
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by) == ("resolved", leader)


def test_viewer_cannot_handle_alerts(client, viewer, team):
    alert = AlertFactory(team=team, owner=UserFactory())
    client.force_login(viewer)
    assert client.post(reverse("metrics:alert-resolve", args=[alert.pk])).status_code == 403
    html = client.get(reverse("metrics:alert-list")).content.decode()
    assert "</svg> Resolve<" not in html
    assert "Acknowledge<" not in html
    # Who can, instead of buttons that are simply missing.
    assert f"by its owner, the leaders of {team.name} or the strategy office" in html
    alert.refresh_from_db()
    assert alert.status == "open"


def test_a_leader_is_told_who_handles_another_teams_alert(client, leader, team):
    from tests.factories import TeamFactory

    other = TeamFactory(name="Finance")
    AlertFactory(team=team, title="Ours", owner=UserFactory())
    AlertFactory(team=other, title="Theirs", owner=UserFactory())
    client.force_login(leader)
    html = client.get(reverse("metrics:alert-list")).content.decode()
    rows = {row.split("</span>", 1)[0]: row for row in html.split('class="list__title">')[1:]}
    assert "</svg> Resolve<" in rows["Ours"] and "strategy office" not in rows["Ours"]  # noqa: PT018
    assert "</svg> Resolve<" not in rows["Theirs"]
    assert "by its owner, the leaders of Finance or the strategy office" in rows["Theirs"]


def test_alert_action_redirects_only_to_this_site(client, leader, team):
    alert = AlertFactory(team=team)
    client.force_login(leader)
    response = client.post(
        reverse("metrics:alert-acknowledge", args=[alert.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("metrics:alert-list")


def test_components_in_the_engine_shape_are_shown_with_links(client, viewer, kpi):
    objective = kpi.objective
    GapScoreFactory(
        subject_type=SubjectType.OBJECTIVE,
        subject_id=objective.pk,
        status="off_track",
        components={
            "items": [
                {
                    "key": f"kpi:{kpi.pk}",
                    "label": "KPI “NPS”",
                    "score": 55.0,
                    "weight": 1.0,
                    "status": "off_track",
                    "detail": "a part",
                    "detail_parts": "NPS is 30 % below trajectory.",
                    "subject_type": "kpi",
                    "subject_id": kpi.pk,
                },
            ],
            "facts": {"latest": 1},
        },
    )
    client.force_login(viewer)
    html = client.get(objective.get_absolute_url()).content.decode()
    link = reverse("metrics:kpi-by-id", args=[kpi.pk])
    # Named from the KPI itself (its current name), not from the stored label.
    assert f'<a href="{link}">KPI “{kpi.name}”</a>' in html
    assert "NPS is 30 % below trajectory." in html
    assert client.get(link)["Location"] == kpi.get_absolute_url()


def test_kpi_by_id_hides_private_kpis(client, member):
    from tests.factories import TeamFactory

    secret_team = TeamFactory(is_private=True)
    secret = KPIFactory(objective=ObjectiveFactory(team=secret_team), team=secret_team)
    client.force_login(member)
    assert client.get(reverse("metrics:kpi-by-id", args=[secret.pk])).status_code == 404


def test_leader_defines_a_kpi_and_members_cannot(client, leader, member, kpi):
    client.force_login(leader)
    url = reverse("metrics:kpi-new")
    page = client.get(url, {"objective": kpi.objective_id}).content.decode()
    assert f'<option value="{kpi.objective_id}" selected>' in page
    assert "Reason for a plan change" not in page  # a new KPI has no plan to revise
    response = client.post(url, _kpi_data(kpi, key="csat", name="Customer satisfaction"))
    assert response.status_code == 302
    assert response["Location"] == reverse("metrics:kpi-detail", args=["csat"])
    bad = client.post(url, _kpi_data(kpi, key="csat-2", direction="increase", target_value="10"))
    assert "An increasing KPI needs a target above its baseline." in bad.content.decode()
    client.force_login(member)
    assert client.get(url).status_code == 403
