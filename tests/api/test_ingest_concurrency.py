"""Two batches of the same measurements sent at the same time report true counts (issue #12:
both reported ``created: 1000``)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from metrics.models import Measurement, MeasurementCorrection
from metrics.services import measurement_record, measurements_ingest
from strategy.access import access_for
from tests.concurrency import run_concurrently
from tests.factories import KPIFactory, ObjectiveFactory

URL = "/api/v1/measurements/ingest/"
DAYS = 500  # x 2 KPIs = 1000 rows

threaded = pytest.mark.django_db(transaction=True)  # see tests/api/test_concurrency.py


def _rows(kpis, value: float) -> list[dict]:
    today = timezone.localdate()
    return [
        {"kpi": kpi.key, "as_of": (today - dt.timedelta(days=d)).isoformat(), "value": value + d}
        for kpi in kpis
        for d in range(DAYS)
    ]


def _kpis(team, member):
    objective = ObjectiveFactory(team=team)
    return [KPIFactory(objective=objective, owner=member) for _ in range(2)]


def _client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@threaded
def test_two_identical_batches_sent_together_report_true_counts(team, member):
    rows = _rows(_kpis(team, member), 10.0)
    clients = [_client(member), _client(member)]
    responses = run_concurrently(
        *(lambda c=c: c.post(URL, {"measurements": rows}, format="json") for c in clients)
    )
    bodies = sorted((r.json() for r in responses), key=lambda b: -b["created"])
    assert [r.status_code for r in responses] == [200, 200]
    assert [(b["created"], b["updated"], b["unchanged"]) for b in bodies] == [
        (1000, 0, 0),
        (0, 0, 1000),
    ]
    assert Measurement.objects.count() == 1000


def _waiting_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@threaded
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Holds one batch's transaction open while the other runs: on SQLite the second "
    "cannot start its write transaction until the first ends, so there is no overlap to test.",
)
@pytest.mark.parametrize(
    ("second_value", "expected"),
    [(10.0, (0, 0, 1000)), (20.0, (0, 1000, 0))],
    ids=["identical", "changed"],
)
def test_a_batch_overlapping_an_uncommitted_one_reports_what_it_really_did(
    team, member, second_value, expected
):
    """The first batch has written but not committed when the second reads: the second must
    wait for it, then count its rows as unchanged (or updated, keeping the first's values as
    corrections), not as created."""
    kpis = _kpis(team, member)
    written, release = threading.Event(), threading.Event()
    first: dict = {}

    def first_batch():
        with transaction.atomic():
            result = measurements_ingest(
                rows=_rows(kpis, 10.0), access=access_for(member), entered_by=member
            )
            first["created"] = result.created
            written.set()
            release.wait(timeout=30)  # commit only once the second batch is under way

    def second_batch():
        written.wait(timeout=30)
        return _client(member).post(URL, {"measurements": _rows(kpis, second_value)}, format="json")

    def conductor():
        written.wait(timeout=30)
        deadline = time.monotonic() + 20
        while _waiting_backends() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # until the second batch waits on the first one's rows or lock
        release.set()

    _, response, _ = run_concurrently(first_batch, second_batch, conductor)
    assert first["created"] == 1000
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == expected
    corrections = MeasurementCorrection.objects.order_by("measurement__as_of", "measurement_id")
    assert corrections.count() == expected[1]
    if expected[1]:
        assert {c.new_value - c.old_value for c in corrections} == {10.0}


@threaded
def test_the_same_first_value_recorded_eight_times_at_once_is_stored_once_without_error(
    team, member
):
    """``measurement_record`` (the single POST and the KPI page's form): the writers of one KPI
    take the same lock as a batch, so a second first value waits and then keeps or replaces."""
    kpi = _kpis(team, member)[0]
    today = timezone.localdate()
    results = run_concurrently(
        *(
            lambda: measurement_record(kpi=kpi, as_of=today, value=31.0, entered_by=member)
            for _ in range(8)
        )
    )
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert Measurement.objects.filter(kpi=kpi).count() == 1


@threaded
def test_the_same_first_value_posted_eight_times_at_once_is_stored_once(team, member):
    kpi = _kpis(team, member)[0]
    row = {"kpi": kpi.key, "as_of": timezone.localdate().isoformat(), "value": 31.0}
    clients = [_client(member) for _ in range(8)]
    responses = run_concurrently(
        *(lambda c=c: c.post("/api/v1/measurements/", row, format="json") for c in clients)
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert Measurement.objects.filter(kpi=kpi).count() == 1
