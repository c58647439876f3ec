from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from initiatives.models import CheckIn, Initiative, InitiativeDependency
from initiatives.services import checkin_create, initiative_save, milestone_set_completed
from metrics.models import DirtySubject
from tests.factories import InitiativeFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def initiative(company):
    return InitiativeFactory(progress=10)


def test_checkin_becomes_the_reported_progress(initiative):
    checkin = checkin_create(
        initiative=initiative,
        author=initiative.owner,
        rag=CheckIn.Rag.AMBER,
        confidence=60,
        progress=35,
        summary="Vendor contract signed; integration slipped a week.",
    )

    initiative.refresh_from_db()
    assert initiative.progress == 35
    assert checkin.pk
    assert DirtySubject.objects.filter(subject_type="initiative", subject_id=initiative.pk).exists()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"confidence": 101}, "confidence"),
        ({"progress": -1}, "progress"),
        ({"summary": "   "}, "summary"),
        ({"rag": "purple"}, "rag"),
    ],
)
def test_invalid_checkin_is_refused_and_nothing_is_written(initiative, fields, error_field):
    data = {"rag": "green", "confidence": 80, "progress": 50, "summary": "Fine.", **fields}

    with pytest.raises(ValidationError) as excinfo:
        checkin_create(initiative=initiative, author=initiative.owner, **data)

    assert error_field in excinfo.value.message_dict
    assert not CheckIn.objects.exists()
    initiative.refresh_from_db()
    assert initiative.progress == 10


def test_milestone_cannot_be_completed_in_the_future(initiative):
    milestone = MilestoneFactory(initiative=initiative)

    with pytest.raises(ValidationError):
        milestone_set_completed(
            milestone=milestone, completed_on=timezone.localdate() + dt.timedelta(days=1)
        )


def test_completing_and_reopening_a_milestone(initiative):
    milestone = MilestoneFactory(initiative=initiative)

    milestone_set_completed(milestone=milestone, completed_on=timezone.localdate())
    assert milestone.is_done
    milestone_set_completed(milestone=milestone, completed_on=None)
    milestone.refresh_from_db()
    assert not milestone.is_done


def test_done_initiative_gets_a_completion_date(initiative):
    initiative.status = Initiative.Status.DONE

    initiative_save(initiative=initiative)

    assert initiative.completed_on == timezone.localdate()


def test_dependency_cycle_is_a_clear_validation_error(initiative):
    second = InitiativeFactory(objective=initiative.objective)
    third = InitiativeFactory(objective=initiative.objective)
    InitiativeDependency.objects.create(initiative=initiative, depends_on=second)
    InitiativeDependency.objects.create(initiative=second, depends_on=third)

    closing = InitiativeDependency(initiative=third, depends_on=initiative)
    with pytest.raises(ValidationError) as excinfo:
        closing.full_clean()

    assert "cycle" in excinfo.value.message_dict["depends_on"][0]
