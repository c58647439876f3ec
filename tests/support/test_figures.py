"""The per-team figures the support plan compares (support.figures), on hand-computed fixtures:
a snapshot of a past day counts what stood on that day, nothing later."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from initiatives.models import Initiative
from strategy.access import access_for
from support.figures import survey_means, team_checkin_timeliness
from surveys.services import survey_create
from tests.factories import CheckInFactory, InitiativeFactory, ObjectiveFactory, StrategyFactory
from tests.surveys.conftest import TODAY as SURVEY_DAY
from tests.surveys.conftest import answer, people, send

pytestmark = pytest.mark.django_db


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def test_timeliness_of_a_past_day_counts_initiatives_entered_later(team):
    """The assessment of 60 days ago sees the initiatives started by then, even when their rows
    were entered afterwards (as the engine's history does): cadence 14, grace 1.5, so a check-in
    more than 21 days old is stale. Team: one on time (5 days), one stale (30 days) -> 50 %."""
    day = timezone.localdate() - dt.timedelta(days=60)
    objective = ObjectiveFactory(team=team)
    fresh, stale, later = (
        InitiativeFactory(objective=objective, start_date=day - dt.timedelta(days=40)),
        InitiativeFactory(objective=objective, start_date=day - dt.timedelta(days=40)),
        InitiativeFactory(objective=objective, start_date=day + dt.timedelta(days=1)),
    )
    CheckInFactory(initiative=fresh, created_at=_at(day - dt.timedelta(days=5)))
    CheckInFactory(initiative=stale, created_at=_at(day - dt.timedelta(days=30)))
    CheckInFactory(initiative=later, created_at=_at(day + dt.timedelta(days=2)))
    # A check-in after the day does not make the stale one on time then.
    CheckInFactory(initiative=stale, created_at=_at(day + dt.timedelta(days=3)))
    assert Initiative.objects.filter(created_at__date__gt=day).count() == 3  # entered today

    strategy = objective.strategy
    assert team_checkin_timeliness(strategy=strategy, today=day) == {team.pk: 50.0}
    now = timezone.localdate()
    # Today: fresh's check-in is 65 days old (stale), stale's 57 (stale), later's 58 (stale).
    assert team_checkin_timeliness(strategy=strategy, today=now) == {team.pk: 0.0}


def test_survey_means_of_a_day_before_any_round_closed_are_empty(admin, team):
    """A "before" snapshot must not borrow a round that closed after it: it would equal the
    "after" and show no change where there is no data."""
    strategy = StrategyFactory(name="Grow")
    survey = survey_create(
        access=access_for(admin), user=admin, strategy=strategy, template="execution_pulse"
    )
    round_ = send(survey, admin, [team], opens=SURVEY_DAY - dt.timedelta(days=3), closes=SURVEY_DAY)
    answer(round_, people(team, 5), values=[3, 4, 4, 5, 5])

    overall, teams = survey_means(
        strategy=strategy, as_of=SURVEY_DAY - dt.timedelta(days=1), items=("know_priorities",)
    )
    assert (overall, teams) == ({}, {})

    overall, teams = survey_means(strategy=strategy, as_of=SURVEY_DAY, items=("know_priorities",))
    assert teams == {team.pk: {"know_priorities": 4.2}}  # (3 + 4 + 4 + 5 + 5) / 5
    assert overall["know_priorities"]["round_id"] == round_.pk
