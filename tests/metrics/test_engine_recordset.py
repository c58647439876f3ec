"""The engine's one-statement writes (``metrics.engine.recordset``, issue #19): rows inserted
from one JSON payload are the rows ``bulk_create`` writes, value for value."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.engine.recordset import recordset_insert, recordset_supported
from metrics.models import Alert, GapScore, SubjectType
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="jsonb_to_recordset is PostgreSQL's"
)

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
# PostgreSQL's jsonb and text refuse NUL (U+0000) whichever way a row is written.
texts = st.text(st.characters(exclude_characters="\x00"), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | finite | st.integers(-(2**53), 2**53) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _score_row(subject_id: int, **values) -> dict:
    return {
        "subject_type": SubjectType.KPI,
        "subject_id": subject_id,
        "status": "on_track",
        "reason": "Ahead of plan — “quoted”, ÄÖÜ",
        "reason_parts": None,
        "score": 71.5,
        "progress": 0.25,
        "achievement": None,
        "expected_progress": 1 / 3,
        "attainment": 0.75,
        "gap": -1e-300,
        "forecast": None,
        "data_quality": {},
        "components": {"fingerprint": "abc", "weights": [0.1, 0.2]},
        "contributors": [],
        **values,
    }


def _stored(ids) -> list[dict]:
    # Whether a JSON column holds SQL NULL, not the JSON document ``null``: both read as None.
    rows = (
        GapScore.objects.filter(id__in=ids)
        .annotate(
            forecast_sql_null=ExpressionWrapper(Q(forecast__isnull=True), BooleanField()),
            parts_sql_null=ExpressionWrapper(Q(reason_parts__isnull=True), BooleanField()),
        )
        .order_by("subject_id")
        .values()
    )
    return [{k: v for k, v in row.items() if k not in {"id", "subject_id"}} for row in rows]


def _both_ways(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The rows inserted by ``bulk_create`` and by ``recordset_insert`` (other subject ids),
    read back; the transaction is rolled back."""
    constants = {"computed_at": timezone.now(), "as_of": dt.date(2026, 5, 1), "is_latest": True}
    other = [{**row, "subject_id": row["subject_id"] + 10**6} for row in rows]
    with transaction.atomic():
        made = GapScore.objects.bulk_create([GapScore(**r, **constants) for r in rows])
        recordset_insert(model=GapScore, rows=other, constants=constants)
        inserted = GapScore.objects.filter(subject_id__gte=10**6).values_list("id", flat=True)
        result = _stored([g.pk for g in made]), _stored(list(inserted))
        transaction.set_rollback(True)
    return result


@postgresql
def test_score_rows_are_stored_as_bulk_create_stores_them():
    rows = [
        _score_row(1),
        _score_row(2, forecast={"p10": 0.1, "p90": 1e-7, "date": "2026-07-01"}, score=None),
        _score_row(3, reason_parts=[{"text": "a"}, {"ref": ["objective", 3]}], gap=123456789.012),
    ]
    by_bulk, by_recordset = _both_ways(rows)
    assert by_recordset == by_bulk
    # None is SQL NULL either way (``forecast__isnull`` finds both), not the JSON ``null``.
    assert [r["forecast_sql_null"] for r in by_recordset] == [True, False, True]


@postgresql
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    numbers=st.lists(finite, min_size=4, max_size=4),
    document=json_values,
    text=texts,
)
def test_any_value_round_trips_exactly(numbers, document, text):
    expected, attainment, gap, progress = numbers
    row = _score_row(
        7,
        expected_progress=expected,
        attainment=attainment,
        gap=gap,
        progress=min(1.0, abs(progress)) if math.isfinite(progress) else None,
        reason=text,
        components={"doc": document},
        contributors=[document],
    )
    by_bulk, by_recordset = _both_ways([row])
    assert by_recordset == by_bulk


@postgresql
def test_rows_keep_their_order_and_a_conflict_is_skipped(team):
    kpi = KPIFactory(team=team)
    now = timezone.now()
    rows = [
        {
            "kind": "kpi_off_track",
            "severity": severity,
            "peak_severity": severity,
            "subject_type": SubjectType.KPI,
            "subject_id": kpi.pk,
            "team_id": kpi.team_id,
            "dedup_key": f"test:{n}",
            "title": "t",
            "message": "m",
            "title_parts": None,
            "message_parts": None,
            "details": {"n": n},
            "owner_id": None,
        }
        for n, severity in enumerate([2, 3, 2])
    ]
    constants = {"status": Alert.Status.OPEN, "opened_at": now, "last_seen_at": now}
    first = recordset_insert(
        model=Alert, rows=rows, constants=constants, returning=("id", "severity")
    )
    assert [severity for _, severity in first] == [2, 3, 2]
    assert [i for i, _ in first] == sorted(i for i, _ in first)
    again = recordset_insert(
        model=Alert,
        rows=[*rows[1:], {**rows[0], "dedup_key": "test:new"}],
        constants=constants,
        returning=("id",),
        skip_conflicts=True,
    )
    assert len(again) == 1  # the two conditions already open are left out
    assert Alert.objects.get(pk=again[0][0]).dedup_key == "test:new"
    stored = Alert.objects.get(pk=first[0][0])
    assert (stored.details, stored.reopened_count, stored.acknowledged_at) == ({"n": 0}, 0, None)


@postgresql
def test_a_field_without_value_or_default_and_an_unknown_field_are_refused():
    with pytest.raises(ValueError, match="nonsense"):
        recordset_insert(model=GapScore, rows=[{**_score_row(1), "nonsense": 1}])
    row = _score_row(1)
    del row["status"]
    with pytest.raises(ValueError, match=r"GapScore\.status needs a value"):
        recordset_insert(model=GapScore, rows=[row], constants={"as_of": dt.date(2026, 1, 1)})


def test_other_databases_keep_bulk_create():
    assert recordset_supported() == (connection.vendor == "postgresql")
    if not recordset_supported():
        with pytest.raises(NotImplementedError):
            recordset_insert(model=GapScore, rows=[_score_row(1)])
