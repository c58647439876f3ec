from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from metrics.models import KPI, DirtySubject, MeasurementCorrection, TargetRevision
from metrics.services import kpi_plan, kpi_save, measurement_record
from tests.factories import KPIFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpi(company):
    return KPIFactory()


def test_changing_a_kpi_target_records_a_revision_with_reason(kpi):
    editor = UserFactory()
    before = kpi_plan(kpi=kpi)
    kpi.target_value = 35.0

    kpi_save(kpi=kpi, changed_by=editor, reason="Market shrank", previous_plan=before)

    revision = TargetRevision.objects.get(kpi=kpi)
    assert revision.old_plan["target_value"] == 40.0
    assert revision.new_plan["target_value"] == 35.0
    assert revision.changed_by == editor
    assert revision.reason == "Market shrank"


def test_changing_a_kpi_target_without_reason_is_refused(kpi):
    before = kpi_plan(kpi=kpi)
    kpi.target_value = 35.0

    with pytest.raises(ValidationError) as excinfo:
        kpi_save(kpi=kpi, changed_by=UserFactory(), reason="  ", previous_plan=before)

    assert "reason" in excinfo.value.message_dict
    kpi.refresh_from_db()
    assert kpi.target_value == 40.0


def test_editing_other_fields_needs_no_reason(kpi):
    before = kpi_plan(kpi=kpi)
    kpi.name = "Renamed"

    kpi_save(kpi=kpi, changed_by=UserFactory(), previous_plan=before)

    assert not TargetRevision.objects.exists()
    assert DirtySubject.objects.filter(subject_type="kpi", subject_id=kpi.pk).exists()


def test_invalid_kpi_plan_is_a_field_error(kpi):
    kpi.target_value = 10.0  # below the baseline of an increasing KPI

    with pytest.raises(ValidationError) as excinfo:
        kpi_save(kpi=kpi, changed_by=UserFactory(), reason="x", previous_plan=kpi_plan(kpi=kpi))

    assert "target_value" in excinfo.value.message_dict


def test_resending_a_measurement_updates_and_keeps_the_old_value(kpi):
    user = UserFactory()
    first, created = measurement_record(
        kpi=kpi, as_of=dt.date(2026, 3, 1), value=21.0, entered_by=user
    )
    second, created_again = measurement_record(
        kpi=kpi, as_of=dt.date(2026, 3, 1), value=22.5, entered_by=user
    )

    assert created
    assert not created_again
    assert first.pk == second.pk
    assert kpi.measurements.get().value == 22.5
    correction = MeasurementCorrection.objects.get()
    assert (correction.old_value, correction.new_value) == (21.0, 22.5)


def test_resending_the_same_measurement_changes_nothing(kpi):
    user = UserFactory()
    measurement_record(kpi=kpi, as_of=dt.date(2026, 3, 1), value=21.0, entered_by=user)
    measurement_record(kpi=kpi, as_of=dt.date(2026, 3, 1), value=21.0, entered_by=user)

    assert kpi.measurements.count() == 1
    assert not MeasurementCorrection.objects.exists()


@pytest.mark.parametrize(
    ("value", "as_of", "field"),
    [
        (float("nan"), dt.date(2026, 3, 1), "value"),
        (float("inf"), dt.date(2026, 3, 1), "value"),
        (1e16, dt.date(2026, 3, 1), "value"),
        (5.0, dt.date(2999, 1, 1), "as_of"),
    ],
)
def test_bad_measurements_are_refused_with_the_field(kpi, value, as_of, field):
    with pytest.raises(ValidationError) as excinfo:
        measurement_record(kpi=kpi, as_of=as_of, value=value, entered_by=None)

    assert field in excinfo.value.message_dict
    assert not kpi.measurements.exists()


def test_recording_a_measurement_marks_the_kpi_dirty(kpi):
    measurement_record(kpi=kpi, as_of=dt.date(2026, 3, 1), value=21.0, entered_by=None)

    assert DirtySubject.objects.filter(subject_type="kpi", subject_id=kpi.pk).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"direction": KPI.Direction.DECREASE}, "target_value"),
        ({"direction": KPI.Direction.RANGE}, "range_low"),
        ({"direction": KPI.Direction.RANGE, "range_low": 5.0, "range_high": 1.0}, "range_high"),
        ({"target_date": dt.date(2025, 1, 1)}, "target_date"),
        ({"objective": None}, "objective"),
    ],
)
def test_kpi_validation_names_the_field(kpi, changes, field):
    for name, value in changes.items():
        setattr(kpi, name, value)

    with pytest.raises(ValidationError) as excinfo:
        kpi.full_clean()

    assert field in excinfo.value.message_dict
