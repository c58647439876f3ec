"""The SQL form of the stale check-in rule agrees with the rule itself, row by row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives.models import CheckIn, Initiative
from metrics.checkins import checkin_silence_annotations, initiative_checkin_silence
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=-60, max_value=30),  # start, days from today
            st.integers(min_value=1, max_value=40),  # cadence
            st.one_of(st.none(), st.integers(min_value=-90 * 24, max_value=0)),  # hours ago
        ),
        min_size=1,
        max_size=6,
    ),
    zone=st.sampled_from(["UTC", "Pacific/Auckland", "America/Los_Angeles"]),
    grace=st.sampled_from([1.0, 1.5, 2.25]),
)
def test_sql_and_python_agree(company, rows, zone, grace):
    # 23:30 UTC: a check-in an hour either side falls on another local day in most zones.
    evening = dt.datetime.combine(TODAY, dt.time(23, 30), tzinfo=dt.UTC)
    ids = []
    for start, cadence, hours_ago in rows:
        start_date = TODAY + dt.timedelta(days=start)
        initiative = InitiativeFactory(
            start_date=start_date,
            due_date=start_date + dt.timedelta(days=365),
            checkin_cadence_days=cadence,
        )
        if hours_ago is not None:
            CheckIn.objects.create(
                initiative=initiative,
                author=initiative.owner,
                created_at=evening + dt.timedelta(hours=hours_ago),
                rag="green",
                confidence=80,
                progress=40,
                summary="Fine.",
            )
        ids.append(initiative.pk)

    with timezone.override(zone), override_settings(GAP_STALE_GRACE=grace):
        for row in Initiative.objects.filter(pk__in=ids).annotate(
            **checkin_silence_annotations(today=TODAY)
        ):
            expected = initiative_checkin_silence(initiative=row, today=TODAY)
            assert (row.checkin_days, row.checkin_days_late, row.checkin_stale) == (
                expected.days,
                expected.days_late,
                expected.stale,
            )
