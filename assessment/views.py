"""Pages of the capability map and of confidence calibration."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from assessment import calibration, charts, evidence
from assessment.forms import AssessmentForm
from assessment.models import CAPABILITIES, Capability, CapabilityAssessment
from assessment.selectors import (
    assessment_changes,
    assessment_get_for_user,
    assessment_previous,
    assessments_latest_by_scope,
    assessments_visible,
)
from assessment.services import assessment_save
from execsupport.validation import DateFormField, IdFormField, form_error_add
from strategy.access import Access, access_for
from strategy.models import Strategy, Team, VersionConflict
from strategy.people import person_name
from strategy.quantities import date_text
from strategy.selectors import strategy_current

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


class ScopeForm(forms.Form):
    """``?team=`` (a team the reader sees; empty: the organisation) and ``?as_of=``."""

    team = IdFormField(required=False)
    as_of = DateFormField(required=False)


def _scope(request: HttpRequest, access: Access) -> tuple[Team | None, dt.date | None]:
    """The page's team and day from its query; ``Http404`` for a team the reader does not
    see, ``ValidationError`` for a malformed value."""
    form = ScopeForm(request.GET)
    if not form.is_valid():
        raise ValidationError(form.errors)
    team_id = form.cleaned_data.get("team")
    team = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None or not access.can_view_team(team.pk):
            raise Http404("No such team.")
    return team, form.cleaned_data.get("as_of")


def _strategy_or_none(access: Access) -> Strategy | None:
    return strategy_current() if access.sees_anything else None


def _no_access(request: HttpRequest) -> HttpResponse:
    return render(request, "no_access.html", status=403)


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    """The capability map: the latest assessment of each scope side by side (comparison
    between teams, with a radar), and every assessment."""
    access = access_for(request.user)
    strategy = _strategy_or_none(access)
    if strategy is None:
        return (
            _no_access(request)
            if not access.sees_anything
            else render(request, "assessment/assessment_list.html", {"strategy": None})
        )
    assessments = list(assessments_visible(access=access, strategy=strategy))
    latest = assessments_latest_by_scope(access=access, strategy=strategy)
    radar = charts.capability_radar(
        series=[(a.team.name if a.team else "Organisation", a.scores()) for a in latest[:5]]
    )
    return render(
        request,
        "assessment/assessment_list.html",
        {
            "strategy": strategy,
            "assessments": assessments,
            "latest": latest,
            "capabilities": [(c, Capability(c).label) for c in CAPABILITIES],
            "radar": radar,
            "can_record": access.can_record_any_assessment,
        },
    )


def _assessment_form_page(
    request: HttpRequest, access: Access, assessment: CapabilityAssessment
) -> HttpResponse:
    form = AssessmentForm(request.POST or None, instance=assessment, access=access)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = assessment_save(
                    assessment=form.save(commit=False), expected_version=form.expected_version
                )
            except VersionConflict as conflict:
                form.version_conflict(conflict)
                status = 409
            except ValidationError as error:
                form_error_add(form, error)
            else:
                messages.success(request, "Assessment saved.")
                return redirect(assessment)
        if status == 200:
            status = 400
    return render(
        request,
        "assessment/assessment_form.html",
        {"form": form, "assessment": assessment},
        status=status,
    )


@login_required
def assessment_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Record an assessment: the office (any team or the organisation), leaders (their
    teams)."""
    access = access_for(request.user)
    if not access.can_record_any_assessment:
        raise PermissionDenied("Only leaders and the strategy office record assessments.")
    strategy = strategy_current()
    if strategy is None:
        raise Http404("There is no strategy yet.")
    assessment = CapabilityAssessment(
        strategy=strategy, assessor=request.user, assessed_on=timezone.localdate()
    )
    return _assessment_form_page(request, access, assessment)


@login_required
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The edit page of an assessment; 403 unless a leader of its team or the strategy office."""
    access = access_for(request.user)
    assessment = assessment_get_for_user(access=access, pk=pk)
    if not access.can_record_assessment(assessment.team_id):
        raise PermissionDenied("Only leaders of this team (or the strategy office) change it.")
    return _assessment_form_page(request, access, assessment)


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One assessment: radar against the previous one, each score with its change and notes,
    and beside it the evidence the app computed for the scope on the assessment's day."""
    access = access_for(request.user)
    assessment = assessment_get_for_user(access=access, pk=pk)
    previous = assessment_previous(assessment=assessment)
    figures = evidence.capability_evidence(
        access=access,
        strategy=assessment.strategy,
        team=assessment.team,
        as_of=assessment.assessed_on,
    )
    rows = [
        (change, figures[change.capability])
        for change in assessment_changes(assessment=assessment, previous=previous)
    ]
    series = [(date_text(assessment.assessed_on), assessment.scores())]
    if previous is not None:
        series.append((f"{date_text(previous.assessed_on)} (previous)", previous.scores()))
    return render(
        request,
        "assessment/assessment_detail.html",
        {
            "assessment": assessment,
            "previous": previous,
            "rows": rows,
            "radar": charts.capability_radar(series=series),
            "can_edit": access.can_record_assessment(assessment.team_id),
            "scope_query": f"?team={assessment.team_id}" if assessment.team_id else "",
        },
    )


@login_required
def evidence_rows(request: HttpRequest, code: str) -> HttpResponse:
    """The rows one evidence figure was computed from, each marked as counted or not."""
    access = access_for(request.user)
    strategy = _strategy_or_none(access)
    if strategy is None:
        return _no_access(request)
    if code not in evidence.FIGURES:
        raise Http404("No such figure.")
    try:
        team, as_of = _scope(request, access)
    except ValidationError as error:
        return render(request, "assessment/bad_query.html", {"errors": error.messages}, status=400)
    scope = evidence.evidence_scope(access=access, strategy=strategy, team=team, as_of=as_of)
    figure, rows = evidence.evidence_rows(scope=scope, code=code)
    return render(
        request,
        "assessment/evidence_rows.html",
        {
            "figure": figure,
            "capability": Capability(evidence.FIGURES[code].capability).label,
            "rows": rows,
            "team": team,
            "as_of": scope.as_of,
        },
    )


@login_required
def calibration_page(request: HttpRequest) -> HttpResponse:
    """How well stated confidence and the KPI forecasts matched what happened, overall and per
    team and owner (each shown from ``CALIBRATION_MIN_CASES`` closed cases on)."""
    access = access_for(request.user)
    strategy = _strategy_or_none(access)
    if strategy is None:
        return _no_access(request)
    try:
        team, as_of = _scope(request, access)
    except ValidationError as error:
        return render(request, "assessment/bad_query.html", {"errors": error.messages}, status=400)
    report = calibration.calibration_report(
        access=access, strategy=strategy, team=team, as_of=as_of
    )
    users = get_user_model().objects.in_bulk([g.key for g in report.by_owner])
    teams = dict(
        Team.objects.filter(pk__in=[g.key for g in report.by_team]).values_list("pk", "name")
    )
    owners = [
        (
            person_name(
                first_name=users[g.key].first_name,
                last_name=users[g.key].last_name,
                username=users[g.key].username,
            ),
            g.view,
        )
        for g in report.by_owner
        if g.key in users
    ]
    return render(
        request,
        "assessment/calibration.html",
        {
            "report": report,
            "owners": owners,
            "teams": [(teams.get(g.key, "—"), g.view) for g in report.by_team],
            "team": team,
            "team_choices": access.visible_teams(),
        },
    )
