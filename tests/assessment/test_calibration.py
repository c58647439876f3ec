"""Confidence and forecast calibration on hand-computed fixtures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assessment.calibration import (
    calibration_report,
    confidence_by,
    confidence_calibration,
    forecast_calibration,
)
from initiatives.models import Initiative
from strategy.access import access_for
from tests.factories import (
    CheckInFactory,
    GapScoreFactory,
    InitiativeFactory,
    KPIFactory,
    ObjectiveFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 15)
DONE = Initiative.Status.DONE


def at(month: int, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, 12))


@pytest.fixture
def closed(team, other_team, member, leader):
    """Points (stated, delivered): member's i1 on time (0.8, 1), (0.9, 1) — its check-in after
    completion is left out —, i2 late (0.7, 0); leader's i5 on time (0.6, 1). Left out: a
    cancelled and an active initiative. Brier (0.04 + 0.01 + 0.49 + 0.16) / 4 = 0.175."""
    strategy = StrategyFactory()
    objective = ObjectiveFactory(theme=ThemeFactory(strategy=strategy), team=team)
    due = dt.date(2026, 5, 1)

    def initiative(owner, status=DONE, completed=None, team_=team):
        return InitiativeFactory(objective=objective, team=team_, owner=owner, status=status,
                                 due_date=due, completed_on=completed)  # fmt: skip

    i1 = initiative(member, completed=dt.date(2026, 4, 20))
    CheckInFactory(initiative=i1, confidence=80, created_at=at(3, 1))
    CheckInFactory(initiative=i1, confidence=90, created_at=at(4, 1))
    CheckInFactory(initiative=i1, confidence=10, created_at=at(4, 25))  # after it closed
    i2 = initiative(member, completed=dt.date(2026, 5, 10))
    CheckInFactory(initiative=i2, confidence=70, created_at=at(4, 1))
    i3 = initiative(member, status=Initiative.Status.CANCELLED)
    CheckInFactory(initiative=i3, confidence=50, created_at=at(4, 1))
    i4 = initiative(member, status=Initiative.Status.ACTIVE)
    CheckInFactory(initiative=i4, confidence=50, created_at=at(4, 1))
    i5 = initiative(leader, completed=dt.date(2026, 4, 30), team_=other_team)
    CheckInFactory(initiative=i5, confidence=60, created_at=at(4, 1))
    # Completed after as_of: not known yet on AS_OF.
    i6 = initiative(leader, completed=dt.date(2026, 6, 20))
    CheckInFactory(initiative=i6, confidence=60, created_at=at(4, 1))
    return strategy


def test_brier_and_reliability_of_stated_confidence(closed, admin, settings):
    settings.CALIBRATION_MIN_CASES = 3
    view = confidence_calibration(access=access_for(admin), strategy=closed, as_of=AS_OF)
    assert (view.cases, view.points, view.enough) == (3, 4, True)
    assert view.brier == pytest.approx(0.175)
    rows = {(r.low, r.high): r for r in view.table}
    assert rows[(0.6, 0.8)].count == 2
    assert rows[(0.6, 0.8)].stated == pytest.approx(0.65)
    assert rows[(0.6, 0.8)].observed == pytest.approx(0.5)
    assert rows[(0.8, 1.0)].count == 2
    assert rows[(0.8, 1.0)].stated == pytest.approx(0.85)
    assert rows[(0.8, 1.0)].observed == pytest.approx(1.0)
    assert rows[(0.0, 0.2)].count == 0
    assert rows[(0.0, 0.2)].stated is None
    assert view.bias == pytest.approx(0.0)
    assert view.verdict == "Well calibrated"


def test_hidden_below_the_minimum_of_closed_cases(closed, admin, settings):
    settings.CALIBRATION_MIN_CASES = 4
    view = confidence_calibration(access=access_for(admin), strategy=closed, as_of=AS_OF)
    assert (view.cases, view.enough, view.brier, view.table) == (3, False, None, ())
    assert "3 of 4" in view.verdict
    # On 25 June, i6 has closed (late: 0.6 stated, not delivered): four cases.
    later = confidence_calibration(access=access_for(admin), strategy=closed,
                                   as_of=dt.date(2026, 6, 25))  # fmt: skip
    assert later.enough
    assert later.points == 5
    assert later.brier == pytest.approx((0.04 + 0.01 + 0.49 + 0.16 + 0.36) / 5)


def test_per_owner_and_per_team(closed, admin, member, leader, team, other_team, settings):
    settings.CALIBRATION_MIN_CASES = 2
    access = access_for(admin)
    owners = {g.key: g.view for g in confidence_by(access=access, strategy=closed, by="owner",
                                                   as_of=AS_OF)}  # fmt: skip
    assert owners[member.pk].cases == 2
    assert owners[member.pk].enough
    assert owners[member.pk].brier == pytest.approx((0.04 + 0.01 + 0.49) / 3)
    assert owners[leader.pk].cases == 1
    assert not owners[leader.pk].enough
    only_member = confidence_calibration(access=access, strategy=closed, owner=member,
                                         as_of=AS_OF)  # fmt: skip
    assert only_member.brier == owners[member.pk].brier
    teams = {g.key: g.view for g in confidence_by(access=access, strategy=closed, by="team",
                                                  as_of=AS_OF)}  # fmt: skip
    assert teams[team.pk].cases == 2
    assert teams[other_team.pk].cases == 1
    sales = confidence_calibration(access=access, strategy=closed, team=team, as_of=AS_OF)
    assert sales.cases == 2
    with pytest.raises(ValueError, match="by must be"):
        confidence_by(access=access, strategy=closed, by="theme")


def test_private_teams_cases_stay_out_for_an_outside_reader(closed, member, team, settings):
    settings.CALIBRATION_MIN_CASES = 1
    secret = TeamFactory(slug="secret", parent=team.parent, is_private=True)
    objective = ObjectiveFactory(theme=closed.themes.first(), team=secret)
    hidden = InitiativeFactory(objective=objective, team=secret, status=DONE,
                               due_date=dt.date(2026, 5, 1), completed_on=dt.date(2026, 4, 1))  # fmt: skip
    CheckInFactory(initiative=hidden, confidence=5, created_at=at(3, 1))
    seen = confidence_calibration(access=access_for(member), strategy=closed, as_of=AS_OF)
    assert seen.cases == 3  # the secret team's initiative is not one of them


def _forecast(kpi, day, probability, *, method="trend", hour=6, latest=False):
    return GapScoreFactory(
        subject_id=kpi.pk,
        as_of=day,
        computed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(hour))),
        is_latest=latest,
        forecast={"method": method, "probability_on_target": probability},
    )


def test_forecast_calibration_scores_stored_forecasts_against_the_target_date(
    admin, team, settings
):
    """k1 met its target: forecasts 0.8 (the day's last of two) and 0.6; k3 missed it after a
    0.9; k2 is undecided (left out); a forecast on/after the target date is left out.
    Brier (0.04 + 0.16 + 0.81) / 3."""
    settings.CALIBRATION_MIN_CASES = 2
    strategy = StrategyFactory()
    objective = ObjectiveFactory(theme=ThemeFactory(strategy=strategy), team=team)
    target = dt.date(2026, 5, 31)
    k1, k2, k3 = (KPIFactory(objective=objective, team=team, target_date=target) for _ in "123")
    _forecast(k1, dt.date(2026, 4, 1), 0.7, hour=6)
    _forecast(k1, dt.date(2026, 4, 1), 0.8, hour=18)
    _forecast(k1, dt.date(2026, 5, 1), 0.6)
    _forecast(k1, dt.date(2026, 6, 1), 0.1)
    _forecast(k1, dt.date(2026, 6, 5), 1.0, method="measured", latest=True)
    _forecast(k2, dt.date(2026, 4, 1), 0.3, latest=True)
    _forecast(k3, dt.date(2026, 4, 15), 0.9)
    _forecast(k3, dt.date(2026, 6, 2), 0.0, method="measured", latest=True)
    view = forecast_calibration(access=access_for(admin), strategy=strategy, as_of=AS_OF)
    assert (view.cases, view.points, view.enough) == (2, 3, True)
    assert view.brier == pytest.approx((0.04 + 0.16 + 0.81) / 3)
    assert view.bias == pytest.approx((0.8 + 0.6 + 0.9) / 3 - 2 / 3)
    report = calibration_report(access=access_for(admin), strategy=strategy, as_of=AS_OF)
    assert report.forecasts == view
    assert report.confidence.cases == 0
    assert not report.confidence.enough
