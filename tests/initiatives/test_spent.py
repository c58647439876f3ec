"""Initiative.spent always equals the sum of its spend entries (database triggers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives.models import Initiative, SpendEntry
from initiatives.services import spend_record
from tests.factories import InitiativeFactory, SpendEntryFactory
from tests.initiatives.test_last_checkin import initiative_row_writes

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 1)


def truth(initiative: Initiative) -> Decimal:
    # Summed in Python: SQLite's SUM of decimals is a float (-8.63999999999999).
    return sum(initiative.spend_entries.values_list("amount", flat=True), Decimal(0))


def stored(initiative: Initiative) -> Decimal:
    return Initiative.objects.values_list("spent", flat=True).get(pk=initiative.pk)


@pytest.fixture
def initiative(company):
    return InitiativeFactory()


def _entry(initiative, amount: str) -> SpendEntry:
    return SpendEntry(initiative=initiative, date=DAY, amount=Decimal(amount))


def test_a_new_initiative_has_spent_nothing(initiative):
    assert stored(initiative) == 0


def test_the_spend_service_adds_and_a_refund_subtracts(initiative):
    spend_record(initiative=initiative, date=DAY, amount=Decimal("120.50"), entered_by=None)
    spend_record(initiative=initiative, date=DAY, amount=Decimal("-20.25"), entered_by=None)
    assert stored(initiative) == Decimal("100.25")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has only row-level triggers")
def test_a_bulk_insert_writes_each_initiative_once(initiative):
    other = InitiativeFactory(objective=initiative.objective)
    before = initiative_row_writes()
    SpendEntry.objects.bulk_create(
        [_entry(initiative, "10.25") for _ in range(40)] + [_entry(other, "-3") for _ in range(7)]
    )
    assert initiative_row_writes() - before == 2
    assert stored(initiative) == Decimal("410.00") == truth(initiative)
    assert stored(other) == Decimal("-21.00") == truth(other)


def test_saving_an_initiative_loaded_before_spend_keeps_the_sum(initiative):
    loaded = Initiative.objects.get(pk=initiative.pk)  # spent 0 in memory
    SpendEntryFactory(initiative=initiative, amount=Decimal("70.00"))

    loaded.title = "Renamed"
    loaded.save()
    Initiative.objects.filter(pk=initiative.pk).update(spent=Decimal("1.00"))

    assert stored(initiative) == Decimal("70.00")


def test_changing_moving_or_deleting_entries_recomputes_both_initiatives(initiative):
    other = InitiativeFactory(objective=initiative.objective)
    kept = SpendEntryFactory(initiative=initiative, amount=Decimal("10.00"))
    moved = SpendEntryFactory(initiative=initiative, amount=Decimal("5.00"))

    SpendEntry.objects.filter(pk=kept.pk).update(amount=Decimal("12.00"))
    SpendEntry.objects.filter(pk=moved.pk).update(initiative=other)
    assert (stored(initiative), stored(other)) == (Decimal("12.00"), Decimal("5.00"))

    SpendEntry.objects.filter(initiative=initiative).delete()
    assert stored(initiative) == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(
        st.lists(
            st.decimals(min_value=-5000, max_value=5000, places=2).filter(lambda d: d != 0),
            max_size=4,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_it_matches_the_sum_of_entries_whatever_their_order(initiative, batches):
    fresh = InitiativeFactory(objective=initiative.objective, owner=initiative.owner)
    for batch in batches:
        SpendEntry.objects.bulk_create([_entry(fresh, str(amount)) for amount in batch])
        assert stored(fresh) == truth(fresh)
