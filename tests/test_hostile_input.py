"""Hostile input never yields a 500 or a half-write (issue #12, part 2): the reproductions.

Each test here failed before the fix it names (see the commit messages); the general guard,
every page and form under hostile values, is tests/test_page_fuzz.py.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from execsupport.validation import CHECKIN_TEXT_MAX, MAX_DATE, MIN_DATE
from initiatives.models import CheckIn
from metrics.models import GapScore, Measurement, MeasurementCorrection, SubjectType
from tests.factories import KPIFactory, MeasurementFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

DEEP = 100_000


def api(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_login(user)
    return client


def checkin_data(**extra) -> dict:
    return {"rag": "green", "confidence": 80, "progress": 40, "summary": "Pilot live.", **extra}


# --- one JSON parser for every body -----------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/checkins/",
        "/api/v1/objectives/",
        "/api/v1/measurements/",
        "/api/v1/initiatives/",
        "/api/v1/measurements/ingest/",
    ],
)
@pytest.mark.parametrize("body", ["[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP])
def test_deeply_nested_json_is_a_400_on_every_endpoint(plan, admin, url, body):
    before = (CheckIn.objects.count(), Measurement.objects.count())
    response = api(admin).post(url, data=body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "invalid"
    assert "depth" in response.json()["detail"]
    assert (CheckIn.objects.count(), Measurement.objects.count()) == before


# --- one date rule for form, API and ingest ---------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31"])
@pytest.mark.parametrize("door", ["api", "ingest", "page"])
def test_measurement_before_1900_is_refused_by_every_door(client, plan, admin, day, door):
    kpi = plan.kpis[0]
    before = Measurement.objects.count()
    if door == "page":
        client.force_login(admin)
        response = client.post(
            reverse("metrics:measurement-new", args=[kpi.key]), {"as_of": day, "value": "3"}
        )
        assert response.status_code == 400
        assert response.context["form"].errors["as_of"] == [
            f"Enter a date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}."
        ]
        assert day in response.content.decode()  # what was typed is kept
    else:
        url, body = (
            ("/api/v1/measurements/", {"kpi": kpi.key, "as_of": day, "value": 3})
            if door == "api"
            else (
                "/api/v1/measurements/ingest/",
                {"measurements": [{"kpi": kpi.key, "as_of": day, "value": 3}]},
            )
        )
        response = api(admin).post(url, body, format="json")
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert (error["field"], error["code"]) == ("as_of", "out_of_range")
    assert Measurement.objects.count() == before


def test_far_future_dates_are_refused_on_milestones_and_kpis(client, plan, leader):
    client.force_login(leader)
    initiative = plan.initiatives[0]
    response = client.post(
        reverse("initiatives:milestone-new", args=[initiative.pk]),
        {"title": "Far", "due_date": "9999-12-31", "weight": "1"},
    )
    assert response.status_code == 200  # the form again, with its error
    assert "Enter a date from 1900-01-01 to 2199-12-31." in response.content.decode()
    assert not initiative.milestones.filter(title="Far").exists()
    response = api(leader).patch(
        f"/api/v1/kpis/{plan.kpis[0].key}/", {"target_date": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "target_date"


# --- ids --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["strategy:overview", "strategy:review"])
@pytest.mark.parametrize("value", ["99999999999999999999", "9" * 5000, "-1", "1e3", "\x00"])
def test_overview_filters_refuse_impossible_ids_without_an_error(client, plan, leader, name, value):
    client.force_login(leader)
    response = client.get(reverse(name), {"team": value, "period": value, "theme": value})
    assert response.status_code == 200  # the unfiltered page; an impossible filter is ignored


# --- sign-in ----------------------------------------------------------------------------------
def test_failed_login_with_an_overlong_username_is_counted_not_a_500(client, db):
    """django-axes stored the typed name in a 255-character column: PostgreSQL refused it.
    The sign-in form now refuses a name longer than any account's (150) before the password
    check; one that fits is counted."""
    response = client.post(reverse("account_login"), {"login": "a" * 300, "password": "wrong"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    response = client.post(reverse("account_login"), {"login": "a" * 150, "password": "wrong"})
    assert "username and/or password you specified are not correct" in response.content.decode()
    (attempt,) = AccessAttempt.objects.all()
    assert attempt.username == "a" * 150


def test_login_with_a_nul_in_the_username_is_a_form_error(client, db):
    response = client.post(reverse("account_login"), {"login": "ad\x00min", "password": "wrong"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_lockout_username_is_storable_whatever_was_typed(rf):
    from execsupport.auth import lockout_username

    request = rf.post("/accounts/login/", {"username": "x\x00" * 200})
    assert lockout_username(request) == ("x\ufffd" * 200)[:255]
    assert lockout_username(request, {"username": "ok"}) == "ok"
    assert lockout_username(rf.post("/accounts/login/", {})) is None
    assert lockout_username(rf.post("/accounts/login/", {"login": "typed"})) == "typed"


# --- charts render what the database holds ----------------------------------------------------
def test_initiative_page_with_a_milestone_due_in_9999_renders_with_a_note(client, plan, viewer):
    initiative = plan.initiatives[0]
    MilestoneFactory(initiative=initiative, title="Someday", due_date=dt.date(9999, 12, 31))
    client.force_login(viewer)
    response = client.get(initiative.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someday" in html
    assert "1 milestone not drawn: dated outside 1900 to 2199" in html


def _far_kpi(plan, **kwargs):
    objective = plan.objectives[0]
    return KPIFactory(
        objective=objective,
        team=objective.team,
        key="far-kpi",
        baseline_date=dt.date(2026, 1, 1),
        baseline_value=-9.9e14,
        target_date=dt.date(9999, 12, 31),
        target_value=9.9e14,
        **kwargs,
    )


def test_kpi_page_with_a_far_target_and_huge_values_renders(client, plan, viewer):
    from metrics.engine.run import subjects_recompute

    kpi = _far_kpi(plan)
    for week in range(6):
        MeasurementFactory(
            kpi=kpi,
            as_of=dt.date(2026, 1, 1) + dt.timedelta(weeks=week),
            value=-9.9e14 + week * 3.9e14,
        )
    subjects_recompute(
        subjects=[(SubjectType.KPI, kpi.pk)], today=timezone.localdate(), now=timezone.now()
    )
    client.force_login(viewer)
    response = client.get(kpi.get_absolute_url())
    assert response.status_code == 200
    assert "The plan is cut where it leaves the dates" in response.content.decode()


def _as_jsonb_returns(value):
    """What PostgreSQL's jsonb gives back for a stored float that is a whole number: an int."""
    if isinstance(value, dict):
        return {k: _as_jsonb_returns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_jsonb_returns(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def test_kpi_chart_takes_integers_beyond_64_bits_from_stored_json(client, plan, viewer):
    """PostgreSQL's jsonb gives 1.6e20 back as the integer 162263635714000000000, which orjson
    refused to serialise ("Integer exceeds 64-bit range"): the page was a 500 on PostgreSQL.
    The engine's own forecast of a steep KPI, stored as jsonb returns it, on any database."""
    from metrics.engine.run import subjects_recompute

    kpi = _far_kpi(plan)
    for week in range(6):
        MeasurementFactory(
            kpi=kpi,
            as_of=dt.date(2026, 1, 1) + dt.timedelta(weeks=week),
            value=-9.9e14 + week * 3.9e14,
        )
    subjects_recompute(
        subjects=[(SubjectType.KPI, kpi.pk)], today=timezone.localdate(), now=timezone.now()
    )
    score = GapScore.objects.get(subject_type=SubjectType.KPI, subject_id=kpi.pk, is_latest=True)
    assert score.forecast, "the engine forecasts this KPI"
    huge = 162263635714000000000
    forecast = _as_jsonb_returns(score.forecast)
    forecast["value_at_target"] = forecast["interval_high"] = huge
    forecast["line"] = [*forecast["line"][:-1], [forecast["line"][-1][0], huge]]
    GapScore.objects.filter(pk=score.pk).update(forecast=forecast)
    client.force_login(viewer)
    response = client.get(kpi.get_absolute_url())
    assert response.status_code == 200


def test_any_figure_serialises_whatever_numbers_it_holds():
    import orjson

    from strategy.charts import figure_json

    figure = {"data": [{"y": [2**70, -(2**70), 1, float("nan"), True]}]}
    with pytest.raises(TypeError):
        orjson.dumps(figure)  # what the chart tag did
    assert orjson.loads(figure_json(figure)) == {
        "data": [{"y": [float(2**70), float(-(2**70)), 1, None, True]}]
    }


# --- check-ins: no 500 after a save, and no duplicate on a retry ------------------------------
@pytest.mark.parametrize("persona", ["leader", "admin"])
def test_htmx_checkin_by_a_leader_or_the_office_renders_the_card(client, plan, persona, request):
    """It answered 500 after saving, so HTMX clients retried and stored duplicates."""
    user = request.getfixturevalue(persona)
    initiative = plan.initiatives[0]
    assert initiative.owner != user
    client.force_login(user)
    before = CheckIn.objects.count()
    response = client.post(
        reverse("initiatives:checkin-new", args=[initiative.pk]),
        checkin_data(),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Check-in saved." in response.content.decode()
    assert CheckIn.objects.count() == before + 1


def test_checkin_form_posted_twice_with_its_key_is_stored_once(client, plan, member):
    initiative = plan.initiatives[0]
    client.force_login(member)
    url = reverse("initiatives:checkin-new", args=[initiative.pk])
    page = client.get(reverse("initiatives:my-work"))
    assert 'name="request_key"' in page.content.decode()
    key = str(uuid.uuid4())
    before = CheckIn.objects.count()
    first = client.post(url, checkin_data(request_key=key), HTTP_HX_REQUEST="true")
    # A retry after a lost answer may even differ (the text edited meanwhile): same key, one row.
    second = client.post(
        url, checkin_data(request_key=key, summary="Edited"), HTTP_HX_REQUEST="true"
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert CheckIn.objects.count() == before + 1


def test_identical_checkin_reposted_within_the_window_is_stored_once(client, plan, member):
    initiative = plan.initiatives[0]
    client.force_login(member)
    url = reverse("initiatives:checkin-new", args=[initiative.pk])
    before = CheckIn.objects.count()
    for _ in range(2):  # a double click of a form without its key (an old page)
        assert client.post(url, checkin_data()).status_code == 302
    assert CheckIn.objects.count() == before + 1
    assert client.post(url, checkin_data(summary="Something new")).status_code == 302
    assert CheckIn.objects.count() == before + 2


def test_api_checkin_retry_with_idempotency_key_answers_the_stored_one(plan, member):
    initiative = plan.initiatives[0]
    client = api(member)
    body = checkin_data(initiative=initiative.pk)
    before = CheckIn.objects.count()
    first = client.post("/api/v1/checkins/", body, format="json", HTTP_IDEMPOTENCY_KEY="etl-42")
    again = client.post(
        "/api/v1/checkins/", {**body, "summary": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="etl-42"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    same = client.post("/api/v1/checkins/", body, format="json")  # same content, no key
    assert same.status_code == 200
    assert same.json()["id"] == first.json()["id"]
    assert CheckIn.objects.count() == before + 1


def test_checkin_texts_have_a_documented_maximum(client, plan, member):
    initiative = plan.initiatives[0]
    long = "x" * (CHECKIN_TEXT_MAX + 1)
    before = CheckIn.objects.count()
    response = api(member).post(
        "/api/v1/checkins/", checkin_data(initiative=initiative.pk, blockers=long), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "blockers"
    client.force_login(member)
    response = client.post(
        reverse("initiatives:checkin-new", args=[initiative.pk]), checkin_data(summary=long)
    )
    assert response.status_code == 400
    assert f"at most {CHECKIN_TEXT_MAX} characters" in response.content.decode()
    assert CheckIn.objects.count() == before


# --- one measurement: a second value replaces the first -----------------------------------------
def test_api_measurement_for_an_existing_day_replaces_it_and_keeps_a_correction(plan, member):
    kpi = plan.kpis[0]
    day = timezone.localdate() - dt.timedelta(days=400)
    client = api(member)
    first = client.post(
        "/api/v1/measurements/", {"kpi": kpi.key, "as_of": day, "value": 10}, format="json"
    )
    again = client.post(
        "/api/v1/measurements/", {"kpi": kpi.key, "as_of": day, "value": 12}, format="json"
    )
    same = client.post(
        "/api/v1/measurements/", {"kpi": kpi.key, "as_of": day, "value": 12}, format="json"
    )
    assert (first.status_code, again.status_code, same.status_code) == (201, 200, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["value"] == 12
    stored = Measurement.objects.get(kpi=kpi, as_of=day)
    assert stored.value == 12
    (correction,) = MeasurementCorrection.objects.filter(measurement=stored)
    assert (correction.old_value, correction.new_value) == (10, 12)


# --- pages render what the database holds, even outside today's input rules -----------------
def test_pages_render_rows_stored_outside_the_input_rules(client, plan, leader, member):
    """Rows from before the rules (or an admin's raw edit): years 1 and 9999, values at the
    limit. Every page that shows them, and the engine that scores them, must cope."""
    from initiatives.models import Initiative, Milestone, SpendEntry
    from metrics.engine.run import subjects_recompute
    from metrics.models import KPI

    first, last = dt.date(1, 1, 2), dt.date(9999, 12, 30)
    objective = plan.objectives[0]
    initiative = plan.initiatives[0]
    kpi = plan.kpis[0]
    Initiative.objects.filter(pk=initiative.pk).update(start_date=first, due_date=last)
    Milestone.objects.bulk_create(
        [
            Milestone(initiative=initiative, title="Year one", due_date=dt.date(1, 1, 1)),
            Milestone(initiative=initiative, title="Year 9999", due_date=dt.date(9999, 12, 31)),
        ]
    )
    SpendEntry.objects.bulk_create(
        [SpendEntry(initiative=initiative, date=d, amount=1) for d in (first, last)]
    )
    KPI.objects.filter(pk=kpi.pk).update(
        baseline_date=first, target_date=last, baseline_value=-9.99e14, target_value=9.99e14
    )
    Measurement.objects.bulk_create(
        [
            Measurement(kpi=kpi, as_of=first, value=-9.99e14),
            Measurement(kpi=kpi, as_of=dt.date(2026, 1, 5), value=9.99e14),
            Measurement(kpi=kpi, as_of=last, value=9.99e14),
        ]
    )
    type(objective).objects.filter(pk=objective.pk).update(start_date=first, due_date=last)
    subjects_recompute(
        subjects=[(SubjectType.KPI, kpi.pk), (SubjectType.INITIATIVE, initiative.pk)],
        today=timezone.localdate(),
        now=timezone.now(),
    )
    for user in (leader, member):
        client.force_login(user)
        for url in (
            reverse("strategy:overview"),
            reverse("strategy:review"),
            reverse("initiatives:my-work"),
            initiative.get_absolute_url(),
            objective.get_absolute_url(),
            kpi.get_absolute_url(),
            reverse("metrics:alert-list"),
        ):
            assert client.get(url).status_code == 200, url
    for url in (
        f"/api/v1/initiatives/{initiative.pk}/",
        f"/api/v1/kpis/{kpi.key}/",
        f"/api/v1/measurements/?kpi={kpi.key}",
        f"/api/v1/measurements/?kpi={kpi.key}&format=csv",
        f"/api/v1/scores/?subject_type=kpi&subject_id={kpi.pk}",
    ):
        assert api(leader).get(url).status_code == 200, url
