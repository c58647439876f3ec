"""The demo's pulse surveys: two rounds each, most teams shown, Finance below the threshold; the
same seed gives the same answers."""

from __future__ import annotations

import pytest

from strategy.access import access_for
from strategy.models import Team
from surveys.models import Answer, SurveyRound
from surveys.results import item_results
from tests.strategy.test_seed_demo import seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development(settings) -> None:
    settings.DEBUG = True  # seed_demo refuses what looks like production


def test_demo_has_two_rounds_with_most_teams_shown_and_one_below_threshold():
    seed("--seed=42")
    from django.contrib.auth import get_user_model

    office = get_user_model().objects.get(username="office")
    round_ = SurveyRound.objects.filter(survey__name="Execution pulse").order_by("-closes_on")[0]
    assert SurveyRound.objects.filter(survey=round_.survey).count() == 2
    rows = item_results(
        access=access_for(office), strategy=round_.survey.strategy, item_code="know_priorities"
    )
    assert {r.round_id for r in rows} == set(
        SurveyRound.objects.filter(survey=round_.survey).values_list("id", flat=True)
    )
    finance = Team.objects.get(name="Finance")
    by_team = {(r.round_id, r.team_id): r for r in rows}
    assert by_team[(round_.pk, finance.pk)].suppressed
    shown = [r for r in rows if r.team_id is not None and not r.suppressed]
    assert len({r.team_id for r in shown}) >= 6
    assert all(r.respondents >= 5 for r in shown)
    first = sorted(Answer.objects.values_list("id", "value", "text"))
    seed("--seed=42", "--reset")
    assert sorted(Answer.objects.values_list("id", "value", "text")) == first
