"""Deleting must not silently destroy history."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError

from tests.factories import CheckInFactory, KPIFactory, MeasurementFactory, SpendEntryFactory

pytestmark = pytest.mark.django_db


def test_a_kpi_with_measurements_cannot_be_deleted(company):
    measurement = MeasurementFactory()

    with pytest.raises(ProtectedError):
        measurement.kpi.delete()


def test_an_initiative_with_checkins_cannot_be_deleted(company):
    checkin = CheckInFactory()

    with pytest.raises(ProtectedError):
        checkin.initiative.delete()


def test_an_initiative_with_spend_cannot_be_deleted(company):
    entry = SpendEntryFactory()

    with pytest.raises(ProtectedError):
        entry.initiative.delete()


def test_an_objective_measured_by_a_kpi_cannot_be_deleted(company):
    kpi = KPIFactory()

    with pytest.raises(ProtectedError):
        kpi.objective.delete()


def test_an_author_with_checkins_cannot_be_deleted(company):
    checkin = CheckInFactory()

    with pytest.raises(ProtectedError):
        checkin.author.delete()
