from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from execsupport.validation import form_error_add, is_valid_id
from initiatives import charts
from initiatives.forms import CheckInForm, InitiativeForm, MilestoneForm
from initiatives.models import Initiative, Milestone
from initiatives.services import (
    checkin_submit,
    initiative_save,
    milestone_save,
    milestone_set_completed,
)
from metrics.explain import alerts_render
from metrics.models import KPI, Alert
from metrics.scoring.quality import kpi_is_stale
from metrics.selectors import latest_scores_by_type, measurement_sparklines
from strategy.access import access_for
from strategy.models import Objective, VersionConflict
from workspace.initiative_selectors import initiative_page, initiatives_for_work

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


def initiative_get_for_user(*, access, pk: int) -> Initiative:
    """The initiative if this person may see it, else 404 (its existence is not disclosed)."""
    return get_object_or_404(
        access.scope(Initiative.objects.select_related("objective", "team", "owner")), pk=pk
    )


@login_required
def my_work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My work: the open initiatives the person owns or contributes to (with check-in forms where
    they may post), their active KPIs most in need of attention first, and their five most
    severe active alerts."""
    access = access_for(request.user)
    today = timezone.localdate()
    items = initiatives_for_work(access=access, user=request.user, today=today)
    kpis = list(
        access.scope(KPI.objects.filter(owner=request.user, is_active=True))
        .select_related("objective", "initiative")
        .order_by("name")
    )

    scores = latest_scores_by_type(kpi=[k.pk for k in kpis])
    measurement_sparklines(kpis=kpis, points=8)
    for kpi in kpis:
        kpi.latest_score = scores["kpi"].get(kpi.pk)
        kpi.can_record = access.can_record_measurement(kpi)
        kpi.days_since = (today - kpi.last_as_of).days if kpi.last_as_of else None
        kpi.stale = kpi_is_stale(
            last_day=kpi.last_as_of,
            cadence_days=kpi.cadence_days,
            today=today,
            target_date=kpi.target_date,
            grace=settings.GAP_STALE_GRACE,
            created_on=timezone.localtime(kpi.created_at).date(),
        )
        status = kpi.latest_score.status if kpi.latest_score else ""
        kpi.attention = {"off_track": 30, "at_risk": 15}.get(status, 0) + (20 if kpi.stale else 0)
    kpis.sort(key=lambda k: (-k.attention, k.name))
    alerts = (
        list(
            access.scope(
                Alert.objects.filter(owner=request.user, status__in=Alert.ACTIVE_STATUSES)
            ).order_by("-severity", "-opened_at")[:5]
        )
        if access.sees_anything
        else []
    )
    alerts_render(alerts=alerts, access=access)
    for item in items:
        item.can_update = access.can_update_initiative(item)
        item.form = CheckInForm(initiative=item) if item.can_update else None
    return render(
        request,
        "initiatives/my_work.html",
        {"items": items, "kpis": kpis, "alerts": alerts, "today": today},
    )


def _work_item_response(
    request: AuthenticatedHttpRequest, initiative: Initiative, *, form=None, saved: str = ""
) -> HttpResponse:
    """Re-render one My-work card (the HTMX target) after a check-in or a milestone change."""
    access = access_for(request.user)
    today = timezone.localdate()
    # Not only the person's own work: a leader or the strategy office may act on the card of an
    # initiative they neither own nor contribute to, and the card must render for them too.
    rows = initiatives_for_work(
        access=access, user=request.user, today=today, initiative_ids=[initiative.pk], mine=False
    )
    item = rows[0] if rows else initiative
    if not rows:  # closed meanwhile: show it without its flags
        item.flags, item.open_milestones, item.latest_score = [], [], None
    item.can_update = access.can_update_initiative(item)
    item.form = form or CheckInForm(initiative=item)
    return render(
        request,
        "initiatives/_work_item.html",
        {"item": item, "today": today, "saved": saved, "open": True},
    )


@login_required
@require_POST
def checkin_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Post a check-in (owner, contributors, team leaders; else 403). HTMX gets the My-work card
    back, otherwise a redirect, or the initiative page with the form's errors."""
    access = access_for(request.user)
    initiative = initiative_get_for_user(access=access, pk=pk)
    if not access.can_update_initiative(initiative):
        raise PermissionDenied("Only its owner, contributors and team leaders post check-ins.")
    form = CheckInForm(request.POST, initiative=initiative)
    if form.is_valid():
        try:
            checkin_submit(initiative=initiative, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error_add(form, error)
    ok = form.is_valid() and not form.errors
    if request.htmx:
        if ok:
            return _work_item_response(request, initiative, saved="Check-in saved.")
        return _work_item_response(request, initiative, form=form)
    if ok:
        messages.success(request, "Check-in saved.")
        return redirect(initiative)
    # Without JavaScript: show the initiative page with the form and its errors.
    return initiative_detail(request, pk, checkin_form=form)


@login_required
@require_POST
def milestone_complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Complete (or, with ``reopen``, reopen) a milestone."""
    access = access_for(request.user)
    milestone = get_object_or_404(Milestone.objects.select_related("initiative"), pk=pk)
    initiative = initiative_get_for_user(access=access, pk=milestone.initiative_id)
    if not access.can_update_initiative(initiative):
        raise PermissionDenied("Only its owner, contributors and team leaders update milestones.")
    reopen = request.POST.get("reopen") == "1"
    milestone_set_completed(
        milestone=milestone, completed_on=None if reopen else timezone.localdate(), by=request.user
    )
    text = f"“{milestone.title}” {'reopened' if reopen else 'completed'}."
    if request.htmx and request.POST.get("from") == "my-work":
        return _work_item_response(request, initiative, saved=text)
    messages.success(request, text)
    return redirect(initiative)


@login_required
def initiative_detail(
    request: AuthenticatedHttpRequest, pk: int, checkin_form=None
) -> HttpResponse:
    """The initiative page; ``checkin_form`` carries a rejected check-in's errors."""
    access = access_for(request.user)
    initiative = initiative_get_for_user(access=access, pk=pk)
    today = timezone.localdate()
    page = initiative_page(initiative=initiative, access=access)
    can_update = access.can_update_initiative(initiative)
    return render(
        request,
        "initiatives/initiative_detail.html",
        {
            "initiative": initiative,
            **page,
            "today": today,
            "currency": settings.CURRENCY,
            "can_edit": access.can_edit_initiative(initiative),
            "can_open_form": access.can_open_initiative_form(initiative),
            "can_plan_milestones": access.can_plan_milestones(initiative),
            "can_update": can_update,
            "checkin_form": (checkin_form or CheckInForm(initiative=initiative))
            if can_update
            else None,
            "burn_chart": charts.budget_burn(
                start=initiative.start_date,
                due=initiative.due_date,
                planned=initiative.budget_planned,
                spend=page["spend"],
                today=today,
                currency=settings.CURRENCY,
            ),
            "timeline_chart": charts.milestone_timeline(
                milestones=page["milestones"],
                start=initiative.start_date,
                due=initiative.due_date,
                today=today,
            ),
        },
        status=400 if checkin_form is not None else 200,
    )


@login_required
def initiative_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """Edit an initiative, or (without ``pk``) create one, optionally under ``?objective=``."""
    access = access_for(request.user)
    initial = {}
    if pk is None:
        if not access.is_leader_anywhere:
            raise PermissionDenied("Only team leaders add initiatives.")
        initiative = Initiative(owner=request.user)
        objective = (
            access.scope(Objective.objects.all()).filter(pk=request.GET.get("objective")).first()
            if is_valid_id(request.GET.get("objective") or "")
            else None
        )
        if objective is not None:
            initial = {"objective": objective.pk, "team": objective.team_id}
    else:
        initiative = initiative_get_for_user(access=access, pk=pk)
        if not access.can_open_initiative_form(initiative):
            raise PermissionDenied(
                "Only the leaders of this initiative's team and its owner can change it."
            )
    form = InitiativeForm(request.POST or None, instance=initiative, access=access, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            initiative = initiative_save(
                initiative=form.save(commit=False),
                contributors=form.cleaned_data["contributors"],
                version=form.expected_version,
                by=request.user,
            )
        except VersionConflict as conflict:
            form.version_conflict(conflict)
            status = 409
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, f"Saved “{initiative.title}”.")
            return redirect(initiative)
    return render(
        request,
        "initiatives/initiative_form.html",
        {"form": form, "initiative": initiative},
        status=status,
    )


@login_required
def milestone_edit(
    request: AuthenticatedHttpRequest, initiative_pk: int, pk: int | None = None
) -> HttpResponse:
    """Create (no ``pk``) or edit a milestone of the initiative; 403 unless its team's leader or
    owner, 409 on a version conflict."""
    access = access_for(request.user)
    initiative = initiative_get_for_user(access=access, pk=initiative_pk)
    if not access.can_plan_milestones(initiative):
        raise PermissionDenied(
            "Only the leaders of this initiative's team and its owner can change milestones."
        )
    milestone = (
        get_object_or_404(Milestone, pk=pk, initiative=initiative)
        if pk
        else Milestone(initiative=initiative)
    )
    form = MilestoneForm(request.POST or None, instance=milestone)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            milestone = milestone_save(
                milestone=form.save(commit=False), version=form.expected_version, by=request.user
            )
        except VersionConflict as conflict:
            form.version_conflict(conflict)
            status = 409
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, f"Saved milestone “{milestone.title}”.")
            return redirect(initiative)
    return render(
        request,
        "initiatives/milestone_form.html",
        {"form": form, "initiative": initiative, "milestone": milestone},
        status=status,
    )
