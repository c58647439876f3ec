"""The survey-based evidence figures (leadership.vision_trust, talent.resources) on
hand-computed survey rounds: the mean shown, the anonymity threshold, the scope (the
organisation, a team, a team above the surveyed ones) and ``as_of`` picking the latest round
closed by then.

Threshold 5 (the default ``SURVEY_MIN_RESPONDENTS``). Rounds of an "Execution pulse" survey
(both items), answered through ``surveys.services.response_submit``:

* "May pulse" (1-15 May) to Sales and Engineering, 5 answers each.
  vision: Sales 5 4 4 3 5 (21/5 = 4.2), Engineering 3 3 2 4 3 (15/5 = 3.0), all 36/10 = 3.6.
  resources: Sales 2 3 3 2 4 (14/5 = 2.8), Engineering 4 4 5 3 4 (20/5 = 4.0), all 34/10 = 3.4.
* "June pulse" (1-10 Jun) to Sales and Engineering: Sales 5 answers, vision 2 2 3 3 2
  (12/5 = 2.4), resources 3 each (3.0); Engineering only 4, below the threshold (kept in the
  pending pool, never shown), so the round's total is Sales' 5 answers: 2.4 and 3.0.
* "July pulse" (20-30 Jun) to Sales only, 5 answers of 1: after 15 Jun, so only a later
  ``as_of`` sees it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from assessment.evidence import capability_evidence, evidence_rows, evidence_scope
from strategy.access import access_for
from strategy.models import Membership
from surveys import services
from tests.factories import MembershipFactory, StrategyFactory, UserFactory

pytestmark = pytest.mark.django_db
VISION, RESOURCES = "vision_trust", "resources"


def _answer(round_, team, *, vision, resources, prefix, today):
    """One new member of ``team`` per value pair answers ``round_`` on ``today``: the two items
    as given, every other scale item 3."""
    codes = [q.code for q in round_.survey.questions.all() if q.kind == "scale"]
    for i, (v, r) in enumerate(zip(vision, resources, strict=True)):
        user = UserFactory(username=f"{prefix}-{i}")
        MembershipFactory(user=user, team=team, role=Membership.Role.MEMBER)
        scale = {**dict.fromkeys(codes, "3"), "leader_vision_trust": str(v),
                 "have_resources": str(r)}  # fmt: skip
        services.response_submit(
            user=user, round_=round_, team_id=team.id, scale=scale, text={}, today=today
        )


def _send(survey, admin, teams, label, opens, closes):
    return services.round_send(
        access=access_for(admin), user=admin, survey=survey, label=label,
        opens_on=opens, closes_on=closes, team_ids=[t.id for t in teams],
    )  # fmt: skip


@pytest.fixture
def surveyed(team, other_team, admin):
    strategy = StrategyFactory()
    survey = services.survey_create(
        access=access_for(admin), user=admin, strategy=strategy, template="execution_pulse"
    )
    may = _send(survey, admin, [team, other_team], "May pulse", dt.date(2026, 5, 1),
                dt.date(2026, 5, 15))  # fmt: skip
    _answer(may, team, vision=[5, 4, 4, 3, 5], resources=[2, 3, 3, 2, 4], prefix="s1",
            today=dt.date(2026, 5, 3))  # fmt: skip
    _answer(may, other_team, vision=[3, 3, 2, 4, 3], resources=[4, 4, 5, 3, 4], prefix="e1",
            today=dt.date(2026, 5, 4))  # fmt: skip
    june = _send(survey, admin, [team, other_team], "June pulse", dt.date(2026, 6, 1),
                 dt.date(2026, 6, 10))  # fmt: skip
    _answer(june, team, vision=[2, 2, 3, 3, 2], resources=[3] * 5, prefix="s2",
            today=dt.date(2026, 6, 2))  # fmt: skip
    _answer(june, other_team, vision=[5] * 4, resources=[5] * 4, prefix="e2",
            today=dt.date(2026, 6, 2))  # fmt: skip
    july = _send(survey, admin, [team], "July pulse", dt.date(2026, 6, 20), dt.date(2026, 6, 30))
    _answer(july, team, vision=[1] * 5, resources=[1] * 5, prefix="s3",
            today=dt.date(2026, 6, 21))  # fmt: skip
    return strategy


def _figures(reader, strategy, as_of, team=None):
    figures = capability_evidence(access=access_for(reader), strategy=strategy, team=team,
                                  as_of=as_of)  # fmt: skip
    return {f.code: f for fs in figures.values() for f in fs}


def test_the_organisation_sees_the_latest_round_closed_by_as_of(surveyed, admin):
    f = _figures(admin, surveyed, dt.date(2026, 6, 15))
    # June pulse: Sales' 5 answers only (Engineering's 4 are below the threshold).
    assert f[VISION].tracked is True
    assert f[VISION].value == pytest.approx(2.4)
    assert f[VISION].unit == "of 5"
    assert f[VISION].display == "2.4 of 5"
    assert f[VISION].detail == "Mean of 5 answers in June pulse (closed 10 Jun 2026)."
    assert f[RESOURCES].value == pytest.approx(3.0)
    assert f[VISION].rows_url == "/assessment/evidence/vision_trust/?as_of=2026-06-15"

    f = _figures(admin, surveyed, dt.date(2026, 5, 31))  # May pulse: both teams, 10 answers
    assert f[VISION].value == pytest.approx(3.6)
    assert f[VISION].detail == "Mean of 10 answers in May pulse (closed 15 May 2026)."
    assert f[RESOURCES].value == pytest.approx(3.4)

    f = _figures(admin, surveyed, dt.date(2026, 5, 15))  # the day May pulse closes
    assert f[VISION].value == pytest.approx(3.6)

    f = _figures(admin, surveyed, dt.date(2026, 6, 30))  # July pulse, Sales only
    assert f[VISION].value == pytest.approx(1.0)
    assert f[RESOURCES].value == pytest.approx(1.0)


def test_before_any_round_has_closed_the_figures_are_not_tracked_yet(surveyed, admin):
    f = _figures(admin, surveyed, dt.date(2026, 5, 14))  # May pulse still open
    for code in (VISION, RESOURCES):
        assert f[code].tracked is False
        assert f[code].value is None
        assert f[code].display == "not tracked yet"
        assert f[code].rows_url is None


def test_a_team_sees_its_own_figure(surveyed, admin, team, other_team):
    f = _figures(admin, surveyed, dt.date(2026, 6, 15), team=team)
    assert f[VISION].value == pytest.approx(2.4)
    assert f[RESOURCES].value == pytest.approx(3.0)
    f = _figures(admin, surveyed, dt.date(2026, 5, 31), team=team)
    assert f[VISION].value == pytest.approx(4.2)
    assert f[RESOURCES].value == pytest.approx(2.8)
    assert f[VISION].detail == "Mean of 5 answers in May pulse (closed 15 May 2026)."


def test_below_the_threshold_the_latest_shown_round_is_used_and_named(surveyed, admin, other_team):
    # Engineering has 4 answers in June pulse: not shown; its figure is still May's (3.0),
    # and the detail names that round and why the later one is not used.
    f = _figures(admin, surveyed, dt.date(2026, 6, 15), team=other_team)
    assert f[VISION].value == pytest.approx(3.0)
    assert f[RESOURCES].value == pytest.approx(4.0)
    assert f[VISION].detail == (
        "Mean of 5 answers in May pulse (closed 15 May 2026). June pulse (closed 10 Jun "
        "2026): Fewer than 5 people answered: not shown, to keep answers anonymous."
    )
    scope = evidence_scope(access=access_for(admin), strategy=surveyed,
                           team=other_team, as_of=dt.date(2026, 6, 15))  # fmt: skip
    _figure, rows = evidence_rows(scope=scope, code=VISION)
    assert [(r.name, r.counted, r.value) for r in rows] == [
        ("May pulse: all teams here", None, "mean 3.00 of 5 (5 answers)"),
        ("May pulse: Engineering", None, "mean 3.00 of 5 (5 answers)"),
        ("June pulse: all teams here", False,
         "Fewer than 5 people answered: not shown, to keep answers anonymous."),
    ]  # fmt: skip


def test_a_team_above_the_surveyed_ones_sees_them_combined(surveyed, admin, division, company):
    # Commercial was not sent the survey, Sales (below it) was: Commercial and the teams
    # below it rest on Sales' answers.
    f = _figures(admin, surveyed, dt.date(2026, 6, 15), team=division)
    assert f[VISION].value == pytest.approx(2.4)
    f = _figures(admin, surveyed, dt.date(2026, 5, 31), team=division)
    assert f[VISION].value == pytest.approx(4.2)
    assert f[RESOURCES].value == pytest.approx(2.8)
    # Acme covers both surveyed teams: the round's total.
    f = _figures(admin, surveyed, dt.date(2026, 5, 31), team=company)
    assert f[VISION].value == pytest.approx(3.6)
    assert f[VISION].detail == "Mean of 10 answers in May pulse (closed 15 May 2026)."


def test_a_round_below_the_threshold_is_not_shown_and_says_why(team, other_team, admin):
    strategy = StrategyFactory()
    survey = services.survey_create(
        access=access_for(admin), user=admin, strategy=strategy, template="execution_pulse"
    )
    june = _send(survey, admin, [team, other_team], "June pulse", dt.date(2026, 6, 1),
                 dt.date(2026, 6, 10))  # fmt: skip
    _answer(june, team, vision=[5] * 4, resources=[5] * 4, prefix="s",
            today=dt.date(2026, 6, 2))  # fmt: skip
    _answer(june, other_team, vision=[1] * 3, resources=[1] * 3, prefix="e",
            today=dt.date(2026, 6, 2))  # fmt: skip
    f = _figures(admin, strategy, dt.date(2026, 6, 15))
    figure = f[VISION]
    assert figure.value is None
    assert "Fewer than 5 people answered" in figure.detail
    assert "June pulse" in figure.detail
    assert figure.tracked is True  # a round has closed: not "not tracked yet"
    assert figure.display == "—"
    assert figure.detail == (
        "June pulse (closed 10 Jun 2026): Fewer than 5 people answered: not shown, to keep "
        "answers anonymous."
    )
    scope = evidence_scope(access=access_for(admin), strategy=strategy, as_of=dt.date(2026, 6, 15))
    _figure, rows = evidence_rows(scope=scope, code=VISION)
    assert [(r.name, r.counted, r.value) for r in rows] == [
        ("June pulse: all teams here", False,
         "Fewer than 5 people answered: not shown, to keep answers anonymous."),
    ]  # fmt: skip


def test_the_rows_are_the_round_figures_it_was_computed_from(surveyed, admin, team, other_team):
    scope = evidence_scope(access=access_for(admin), strategy=surveyed, as_of=dt.date(2026, 5, 31))
    figure, rows = evidence_rows(scope=scope, code=VISION)
    assert figure.value == pytest.approx(3.6)
    assert [(r.name, r.value, r.counted) for r in rows] == [
        ("May pulse: all teams here", "mean 3.60 of 5 (10 answers)", None),
        ("May pulse: Sales", "mean 4.20 of 5 (5 answers)", None),
        ("May pulse: Engineering", "mean 3.00 of 5 (5 answers)", None),
    ]

    # June: Engineering's 4 answers are not shown; its row says so without a number.
    scope = evidence_scope(access=access_for(admin), strategy=surveyed, as_of=dt.date(2026, 6, 15))
    figure, rows = evidence_rows(scope=scope, code=RESOURCES)
    assert figure.value == pytest.approx(3.0)
    assert [(r.name, r.counted, r.value) for r in rows] == [
        ("June pulse: all teams here", None, "mean 3.00 of 5 (5 answers)"),
        ("June pulse: Sales", None, "mean 3.00 of 5 (5 answers)"),
        ("June pulse: Engineering", False,
         "Fewer than 5 people answered: not shown, to keep answers anonymous."),
    ]  # fmt: skip


def test_a_private_team_is_neither_counted_nor_named_for_an_outside_reader(
    surveyed, member, other_team
):
    other_team.is_private = True
    other_team.save()
    # May pulse for a member of Sales: Sales' 5 answers only (4.2), Engineering unnamed.
    scope = evidence_scope(access=access_for(member), strategy=surveyed, as_of=dt.date(2026, 5, 31))
    figure, rows = evidence_rows(scope=scope, code=VISION)
    assert figure.value == pytest.approx(4.2)
    assert figure.detail == "Mean of 5 answers in May pulse (closed 15 May 2026)."
    assert [(r.name, r.value) for r in rows] == [
        ("May pulse: all teams here", "mean 4.20 of 5 (5 answers)"),
        ("May pulse: Sales", "mean 4.20 of 5 (5 answers)"),
    ]
