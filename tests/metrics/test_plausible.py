"""Implausible values on entry (issue #14): a value far outside a KPI's recent robust range
(the data-quality outlier test) asks for a confirmation on the page form, is accepted and
flagged by the API and the ingest, and never changes a status without the flag showing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import GapScore, Measurement, SubjectType
from metrics.scoring.common import Thresholds
from metrics.scoring.quality import (
    kpi_data_quality,
    kpi_outliers,
    kpi_value_implausible,
    kpi_values_implausible,
)
from strategy.models import ApiToken
from tests.api.conftest import token_client
from tests.factories import KPIFactory, MeasurementFactory, ObjectiveFactory

D = dt.date
# A KPI that moves between 40 and 48 (the reproduction)
RECENT = [44.0, 41.0, 46.0, 43.0, 47.0, 42.0, 45.0, 40.0, 48.0, 44.0, 43.0, 45.0]


def _series(end: D, values=RECENT) -> list[tuple[D, float]]:
    return [(end - dt.timedelta(days=7 * (len(values) - i)), v) for i, v in enumerate(values)]


# --- the rule (no database) -------------------------------------------------------------------
def test_a_value_far_outside_the_recent_range_is_implausible():
    day = D(2026, 7, 2)
    check = kpi_value_implausible(measurements=_series(day), as_of=day, value=812.0)
    assert check is not None
    assert (check.low, check.high, check.previous, check.compared) == (40.0, 48.0, 45.0, 12)
    assert check.z > 3.5
    reason = check.reason("meetings")
    assert reason.startswith("812 meetings on 2026-07-02 is far outside the recent values")
    assert "(40 to 48 meetings over the last 12 measurements)" in reason
    assert "the jump from 45 meetings" in reason
    # the same rule the data quality applies once it is saved
    saved = [*_series(day), (day, 812.0)]
    assert kpi_outliers(measurements=saved) == [day.isoformat()]
    assert kpi_data_quality(measurements=saved, cadence_days=7, today=day)["latest_implausible"]


@pytest.mark.parametrize("value", [47.0, 40.0, 49.5, 36.0])
def test_a_value_within_or_near_the_range_is_plausible(value):
    day = D(2026, 7, 2)
    assert kpi_value_implausible(measurements=_series(day), as_of=day, value=value) is None


def test_too_few_values_to_judge():
    day = D(2026, 7, 2)
    few = _series(day, RECENT[:4])
    assert kpi_value_implausible(measurements=few, as_of=day, value=812.0) is None


def test_a_backdated_value_is_compared_with_the_values_before_it():
    day = D(2026, 7, 2)
    series = _series(day)
    past = series[8][0] + dt.timedelta(days=1)
    check = kpi_value_implausible(measurements=series, as_of=past, value=812.0)
    assert check is not None
    assert check.compared == 9


def test_a_return_from_a_spike_is_not_implausible():
    day = D(2026, 7, 2)
    spiked = [*RECENT, 812.0]
    assert kpi_value_implausible(measurements=_series(day, spiked), as_of=day, value=44.0) is None


@pytest.mark.parametrize("seed", range(6))
def test_the_batch_check_is_the_same_rule_as_one_value(seed):
    """``kpi_values_implausible`` (numpy over every window at once) agrees with
    ``kpi_value_implausible`` on every value of noisy series with spikes and level shifts,
    with short and full windows."""
    rng = np.random.default_rng(seed)
    n = 90
    values = 44 + rng.normal(0, 2, n).round(1)
    values[rng.integers(0, n, 5)] += rng.choice([-1, 1], 5) * rng.uniform(20, 800, 5)
    values[60:] += 15 if seed % 2 else 0
    if seed == 5:
        values[10:30] = 44.0  # a flat stretch: the mean-deviation fallback
    series = [(D(2026, 1, 1) + dt.timedelta(days=i), float(v)) for i, v in enumerate(values)]
    thresholds = Thresholds(quality_window=30)
    batch = kpi_values_implausible(
        measurements=series, candidates=[d for d, _ in series], thresholds=thresholds
    )
    one_by_one = {}
    for i, (day, value) in enumerate(series):
        check = kpi_value_implausible(
            measurements=series[:i], as_of=day, value=value, thresholds=thresholds
        )
        if check is not None:
            one_by_one[day] = check
    assert batch == one_by_one
    assert batch  # the spikes are found


# --- pages, API, ingest ---------------------------------------------------------------------


@pytest.fixture
def kpi(team, member):
    """Measured weekly between 40 and 48 while the plan expects 50 by now: off track."""
    today = timezone.localdate()
    kpi = KPIFactory(
        objective=ObjectiveFactory(team=team),
        team=team,
        owner=member,
        key="meetings-booked",
        unit="meetings",
        baseline_value=40.0,
        target_value=60.0,
        baseline_date=today - dt.timedelta(days=182),
        target_date=today + dt.timedelta(days=182),
        cadence_days=7,
    )
    for day, value in _series(today):
        MeasurementFactory(kpi=kpi, as_of=day, value=value)
    return kpi


def _latest(kpi) -> GapScore | None:
    return GapScore.objects.filter(
        subject_type=SubjectType.KPI, subject_id=kpi.pk, is_latest=True
    ).first()


def _recompute(kpi) -> GapScore:
    from metrics.engine import subjects_recompute

    subjects_recompute(subjects=[(SubjectType.KPI, kpi.pk)])
    return _latest(kpi)


def _assert_flagged(score: GapScore, day: dt.date) -> None:
    """The status changed, and the data-quality flag shows with it."""
    assert score.status == "on_track"
    assert score.score == 100.0
    assert score.data_quality["latest_implausible"] is True
    assert score.data_quality["outliers"] == [day.isoformat()]
    assert (
        f"Implausible jump on {day.isoformat()}: check this value."
        in (score.data_quality["issues"])
    )
    assert score.reason.startswith("Check the latest value: by the data-quality test it is an")


@pytest.mark.django_db
def test_form_asks_for_confirmation_then_saves_and_flags(
    client, member, kpi, django_capture_on_commit_callbacks
):
    before = _recompute(kpi)
    assert before.status == "off_track"
    client.force_login(member)
    today = timezone.localdate()
    url = reverse("metrics:measurement-new", args=[kpi.key])
    typed = {"as_of": today.isoformat(), "value": "812", "note": "from the CRM"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, typed)
    assert response.status_code == 400
    assert not Measurement.objects.filter(kpi=kpi, as_of=today).exists()  # nothing written
    assert _latest(kpi).pk == before.pk  # no recompute, no status change
    html = response.content.decode()
    assert "812 meetings on " in html
    assert "is far outside the recent values of this KPI" in html
    assert "(40 to 48 meetings over the last 12 measurements)" in html
    assert 'value="812"' in html and 'value="from the CRM"' in html  # noqa: PT018 - kept
    assert 'name="confirm"' in html
    assert "The value is right: save it anyway" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**typed, "confirm": "on"})
    assert response.status_code == 302
    assert Measurement.objects.get(kpi=kpi, as_of=today).value == 812.0
    _assert_flagged(_latest(kpi), today)
    page = client.get(response.url)
    text = page.content.decode()
    assert "flagged as implausible in the KPI&#x27;s data quality" in text  # the message
    assert "Data quality: fair" in text
    assert f"Implausible jump on {today.isoformat()}: check this value." in text
    assert "Check the latest value: by the data-quality test" in text  # the explanation
    assert "</span>implausible</span>" in text  # the table row


@pytest.mark.django_db
def test_form_saves_a_plausible_value_without_asking(client, member, kpi):
    client.force_login(member)
    today = timezone.localdate()
    url = reverse("metrics:measurement-new", args=[kpi.key])
    response = client.post(url, {"as_of": today.isoformat(), "value": "47"})
    assert response.status_code == 302
    assert Measurement.objects.get(kpi=kpi, as_of=today).value == 47.0


@pytest.mark.django_db
def test_api_accepts_an_implausible_value_and_flags_it(
    member, kpi, django_capture_on_commit_callbacks
):
    api = token_client(member, ApiToken.Scope.WRITE_MEASUREMENTS)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/measurements/",
            {"kpi": kpi.key, "as_of": today.isoformat(), "value": 812},
            format="json",
        )
    assert response.status_code == 201, response.content
    flag = response.json()["implausible"]
    assert flag["as_of"] == today.isoformat() and flag["value"] == 812.0  # noqa: PT018
    assert (flag["recent_low"], flag["recent_high"], flag["compared"]) == (40.0, 48.0, 12)
    assert flag["z_score"] > 3.5
    assert "is far outside the recent values of this KPI" in flag["reason"]
    _assert_flagged(_latest(kpi), today)

    response = api.post(
        "/api/v1/measurements/",
        {"kpi": kpi.key, "as_of": today.isoformat(), "value": 46},
        format="json",
    )
    assert response.status_code == 200  # a correction, plausible
    assert response.json()["implausible"] is None


@pytest.mark.django_db
def test_ingest_accepts_implausible_rows_and_lists_them(
    member, kpi, django_capture_on_commit_callbacks
):
    api = token_client(member, ApiToken.Scope.WRITE_MEASUREMENTS)
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    rows = [
        {"kpi": kpi.key, "as_of": yesterday.isoformat(), "value": 45},
        {"kpi": kpi.key, "as_of": today.isoformat(), "value": 812},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/measurements/ingest/", {"measurements": rows}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == 2
    [flag] = body["implausible"]
    assert flag["index"] == 1 and flag["kpi"] == kpi.key  # noqa: PT018
    assert flag["as_of"] == today.isoformat() and flag["value"] == 812.0  # noqa: PT018
    assert "812 meetings on" in flag["reason"]
    _assert_flagged(_latest(kpi), today)

    # Re-sending the batch writes nothing, so flags nothing new.
    again = api.post("/api/v1/measurements/ingest/", {"measurements": rows}, format="json")
    assert again.json()["unchanged"] == 2 and again.json()["implausible"] == []  # noqa: PT018


@pytest.mark.django_db
def test_ingest_of_plausible_rows_flags_nothing(member, kpi):
    api = token_client(member, ApiToken.Scope.WRITE_MEASUREMENTS)
    today = timezone.localdate()
    rows = [{"kpi": kpi.key, "as_of": today.isoformat(), "value": 46}]
    response = api.post("/api/v1/measurements/ingest/", {"measurements": rows}, format="json")
    assert response.json()["implausible"] == []
