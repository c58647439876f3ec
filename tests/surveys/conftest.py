"""Fixtures of pulse surveys: a strategy, an execution-pulse survey and a round sent to Sales
and Engineering, and helpers to add people and answers."""

from __future__ import annotations

import datetime as dt

import pytest

from strategy.access import access_for
from strategy.models import Membership
from surveys import services
from tests.factories import MembershipFactory, StrategyFactory, UserFactory

TODAY = dt.date(2026, 6, 10)


@pytest.fixture
def strategy(db):
    return StrategyFactory(name="Grow")


@pytest.fixture
def survey(strategy, admin):
    return services.survey_create(
        access=access_for(admin), user=admin, strategy=strategy, template="execution_pulse"
    )


def people(team, n: int, *, prefix: str | None = None) -> list:
    """``n`` new members of ``team``."""
    prefix = prefix or team.slug
    users = [UserFactory(username=f"{prefix}-{i}") for i in range(n)]
    for user in users:
        MembershipFactory(user=user, team=team, role=Membership.Role.MEMBER)
    return users


def answer(round_, users, *, value=4, values=None, text: str = "", team=None) -> None:
    """Each of ``users`` answers every scale question with ``value`` (or ``values[i]``)."""
    codes = [q.code for q in round_.survey.questions.all() if q.kind == "scale"]
    for i, user in enumerate(users):
        v = values[i] if values is not None else value
        services.response_submit(
            user=user,
            round_=round_,
            team_id=team.id if team is not None else None,
            scale=dict.fromkeys(codes, str(v)),
            text={"comment": text} if text else {},
            today=TODAY,
        )


def send(survey, admin, teams, *, label="June pulse", opens=None, closes=None):
    return services.round_send(
        access=access_for(admin),
        user=admin,
        survey=survey,
        label=label,
        opens_on=opens or TODAY - dt.timedelta(days=3),
        closes_on=closes or TODAY + dt.timedelta(days=7),
        team_ids=[t.id for t in teams],
    )
