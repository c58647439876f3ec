"""Initiative.last_checkin_at always equals its newest check-in's time (database triggers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Max
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives.models import CheckIn, Initiative
from initiatives.services import checkin_create
from tests.factories import CheckInFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)


def truth(initiative: Initiative) -> dt.datetime | None:
    return initiative.checkins.aggregate(last=Max("created_at"))["last"]


def stored(initiative: Initiative) -> dt.datetime | None:
    return Initiative.objects.values_list("last_checkin_at", flat=True).get(pk=initiative.pk)


@pytest.fixture
def initiative(company):
    return InitiativeFactory()


def _checkin(initiative, at: dt.datetime) -> CheckIn:
    return CheckIn(
        initiative=initiative,
        author=initiative.owner,
        created_at=at,
        rag="green",
        confidence=80,
        progress=40,
        summary="On track.",
    )


def test_a_new_initiative_has_no_last_checkin(initiative):
    assert stored(initiative) is None


def test_the_checkin_service_sets_it_and_a_backdated_checkin_leaves_it(initiative):
    fields = {"rag": "green", "confidence": 80, "summary": "On track."}
    checkin_create(
        initiative=initiative, author=initiative.owner, created_at=T0, progress=40, **fields
    )
    assert stored(initiative) == T0

    earlier = T0 - dt.timedelta(days=3)
    checkin_create(
        initiative=initiative, author=initiative.owner, created_at=earlier, progress=25, **fields
    )
    assert stored(initiative) == T0
    # Nor does it take the progress: the newest check-in's stands.
    assert Initiative.objects.get(pk=initiative.pk).progress == initiative.progress == 40


def test_bulk_inserted_checkins_in_any_order(initiative):
    other = InitiativeFactory(objective=initiative.objective)
    times = [T0 + dt.timedelta(hours=h) for h in (5, -2, 30, 1)]
    CheckIn.objects.bulk_create(
        [_checkin(initiative, at) for at in times] + [_checkin(other, T0 - dt.timedelta(days=9))]
    )
    assert stored(initiative) == max(times) == truth(initiative)
    assert stored(other) == T0 - dt.timedelta(days=9)


def initiative_row_writes() -> int:
    """Initiative rows updated so far in this transaction (PostgreSQL's statistics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_get_xact_tuples_updated('initiatives_initiative'::regclass)")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has only row-level triggers")
def test_a_bulk_insert_writes_each_initiative_once(initiative):
    """One new row version per initiative, not per check-in (migration 0006): row-level
    updates in one transaction bloated the table 20-fold."""
    other = InitiativeFactory(objective=initiative.objective)
    before = initiative_row_writes()
    CheckIn.objects.bulk_create(
        [_checkin(initiative, T0 + dt.timedelta(hours=h)) for h in range(50)]
        + [_checkin(other, T0 + dt.timedelta(days=d)) for d in range(30)]
    )
    assert initiative_row_writes() - before == 2
    assert stored(initiative) == T0 + dt.timedelta(hours=49) == truth(initiative)

    before = initiative_row_writes()
    CheckIn.objects.bulk_create([_checkin(other, T0 - dt.timedelta(days=d)) for d in range(5)])
    assert initiative_row_writes() == before  # backdated: nothing to change
    assert stored(other) == T0 + dt.timedelta(days=29) == truth(other)


def test_saving_an_initiative_loaded_before_a_checkin_keeps_the_newer_time(initiative):
    loaded = Initiative.objects.get(pk=initiative.pk)  # last_checkin_at None in memory
    CheckInFactory(initiative=initiative, created_at=T0)

    loaded.title = "Renamed"
    loaded.save()
    Initiative.objects.filter(pk=initiative.pk).update(last_checkin_at=T0 - dt.timedelta(days=1))

    assert stored(initiative) == T0


def test_deleting_or_moving_a_checkin_recomputes_both_initiatives(initiative):
    other = InitiativeFactory(objective=initiative.objective)
    CheckInFactory(initiative=initiative, created_at=T0)
    newest = CheckInFactory(initiative=initiative, created_at=T0 + dt.timedelta(days=2))

    CheckIn.objects.filter(pk=newest.pk).update(initiative=other)
    assert (stored(initiative), stored(other)) == (T0, T0 + dt.timedelta(days=2))

    CheckIn.objects.filter(initiative=initiative).delete()
    assert stored(initiative) is None


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(
        st.lists(st.integers(min_value=-(10**6), max_value=10**6), max_size=4),
        min_size=1,
        max_size=3,
    )
)
def test_it_matches_the_newest_checkin_whatever_their_order(initiative, batches):
    fresh = InitiativeFactory(objective=initiative.objective, owner=initiative.owner)
    for batch in batches:
        CheckIn.objects.bulk_create([_checkin(fresh, T0 + dt.timedelta(seconds=s)) for s in batch])
        assert stored(fresh) == truth(fresh)
