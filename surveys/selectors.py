"""Reads of pulse surveys for pages and the API: what a person may see and answer."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from strategy.access import Access
from strategy.models import Team
from surveys.models import Participation, RoundTeam, Survey, SurveyRound
from surveys.services import ANSWERING_ROLES


def surveys_visible(*, access: Access) -> QuerySet[Survey]:
    """Surveys (their questions; no result) are seen by anyone with a role; their rounds and
    results are scoped by team (``rounds_of``, ``surveys.results``)."""
    qs = Survey.objects.select_related("strategy")
    return qs if access.sees_anything else qs.none()


def survey_get_for_user(*, access: Access, pk: int) -> Survey:
    """One survey the reader may see, else Http404."""
    survey = surveys_visible(access=access).filter(pk=pk).first()
    if survey is None:
        raise Http404("No such survey.")
    return survey


def rounds_of(*, access: Access, survey: Survey) -> list[SurveyRound]:
    """The survey's rounds sent to a team the reader may see (all for the office), newest
    first, with their teams (two queries)."""
    qs = SurveyRound.objects.filter(survey=survey).prefetch_related(
        Prefetch("round_teams", queryset=RoundTeam.objects.select_related("team"))
    )
    if not access.is_office:
        qs = qs.filter(id__in=access.scope(RoundTeam.objects.all(), "team_id").values("round_id"))
    return list(qs.order_by("-closes_on", "-id"))


def round_get_for_user(*, access: Access, pk: int) -> SurveyRound:
    """One round the reader may see (sent to a team they may see), else Http404."""
    qs = SurveyRound.objects.select_related("survey", "survey__strategy").prefetch_related(
        "survey__questions",
        Prefetch("round_teams", queryset=RoundTeam.objects.select_related("team")),
    )
    if not access.is_office:
        qs = qs.filter(id__in=access.scope(RoundTeam.objects.all(), "team_id").values("round_id"))
    round_ = qs.filter(pk=pk).first()
    if round_ is None:
        raise Http404("No such survey round.")
    return round_


def rounds_open_for(*, user, today: dt.date) -> list[SurveyRound]:
    """Rounds open on ``today`` that ``user`` may answer (sent to a team where they are a
    member or leader) and has not answered yet. Two queries."""
    if not user.is_authenticated:
        return []
    answered = Participation.objects.filter(person=user).values("round_id")
    teams = Team.objects.filter(
        memberships__user=user, memberships__role__in=ANSWERING_ROLES
    ).values("id")
    return list(
        SurveyRound.objects.filter(
            opens_on__lte=today,
            closes_on__gte=today,
            closed_early=False,
            round_teams__team_id__in=teams,
        )
        .exclude(id__in=answered)
        .select_related("survey")
        .distinct()
        .order_by("closes_on", "id")
    )


def teams_to_send(*, access: Access) -> list[tuple[int, str]]:
    """(id, name) of the teams the reader may send a survey to: every team for the office,
    the teams a leader leads (a role carries down)."""
    return [(t, name) for t, name, _parent in access.visible_teams() if access.leads(t)]
