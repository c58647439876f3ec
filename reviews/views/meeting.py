"""Meeting mode: the meeting page (agenda from the diff), discussed items, decisions and action
items recorded in place with HTMX, and an action item turned into an initiative."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from execsupport.validation import form_error_add
from reviews import services
from reviews.forms import (
    ActionItemForm,
    ActionStatusForm,
    DecisionForm,
    MeetingForm,
    ToInitiativeForm,
    review_people,
)
from reviews.models import ActionItem, Meeting
from reviews.selectors import (
    decision_text_shown,
    decisions_with_movement,
    item_visible,
    meeting_get_for_user,
    pack_read,
)
from reviews.views.common import _label_people, _participant_ids, _safe
from strategy.access import access_for

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


def _meeting_context(request: HttpRequest, meeting: Meeting, **extra) -> dict:
    access = access_for(request.user)
    review = meeting.review
    participant_ids = _participant_ids(review)
    can_record = access.can_record_in_review(review, participant_ids=participant_ids)
    pack = getattr(meeting, "pack", None) if _has_pack(meeting) else None
    view = pack_read(pack=pack, access=access) if pack is not None else None
    people = review_people(review, access=access)
    subjects: list[tuple[str, str]] = []
    if view is not None:
        for section in view.sections:
            if section.kind in ("kpi", "objective", "initiative"):
                subjects.extend(
                    (f"{section.kind}:{row['id']}", f"{section.title[:-1]}: {row['name']}")
                    for row in section.rows
                )
    from reviews.models import Decision

    decisions = list(
        Decision.objects.filter(meeting=meeting).select_related("decided_by").order_by("id")
    )
    actions = [
        item
        for item in ActionItem.objects.filter(meeting=meeting).select_related("owner")
        if item.team_id is None or item_visible(access, item.team_id)
    ]
    _label_people(access, actions, "owner")
    _label_people(access, decisions, "decided_by")
    context: dict[str, Any] = {
        "meeting": meeting,
        "review": review,
        "view": view,
        "discussed": set(meeting.discussed or []),
        "can_record": can_record,
        "can_manage": access.can_manage_review(review),
        "decisions": decisions_with_movement(
            decisions=decisions,
            access=access,
            texts_shown=decision_text_shown(access=access, review=review),
        ),
        "actions": actions,
        "today": timezone.localdate(),
        "move_form": MeetingForm(initial={"starts_at": timezone.localtime(meeting.starts_at)}),
    }
    if can_record:
        context.setdefault("decision_form", DecisionForm(people=people, subjects=subjects))
        context.setdefault("action_form", ActionItemForm(people=people))
    context.update(extra)
    return context


def _has_pack(meeting: Meeting) -> bool:
    try:
        meeting.pack  # noqa: B018
    except Meeting.pack.RelatedObjectDoesNotExist:
        return False
    return True


@login_required
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Meeting mode: the agenda follows the diff of the meeting's pack (biggest changes first);
    participants mark items discussed and record decisions and action items in place."""
    access = access_for(request.user)
    meeting = meeting_get_for_user(access=access, pk=pk)
    return render(request, "reviews/meeting.html", _meeting_context(request, meeting))


def _meeting_for_recorder(request: HttpRequest, pk: int) -> Meeting:
    access = access_for(request.user)
    meeting = meeting_get_for_user(access=access, pk=pk)
    review = meeting.review
    if not access.can_record_in_review(review, participant_ids=_participant_ids(review)):
        raise PermissionDenied("Only the review's participants record in its meetings.")
    return meeting


@login_required
@require_POST
def meeting_discussed(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark one agenda item discussed (or not); HTMX swaps the agenda."""
    meeting = _meeting_for_recorder(request, pk)
    key = request.POST.get("key") or ""
    if key:
        try:
            services.meeting_mark_discussed(
                meeting=meeting,
                key=key,
                discussed=request.POST.get("discussed") == "1",
                access=access_for(request.user),
            )
        except ValidationError:
            return HttpResponseBadRequest("Not an item of this agenda.")
    if request.htmx:
        return render(request, "reviews/_agenda.html", _meeting_context(request, meeting))
    return redirect(meeting)


@login_required
@require_POST
def decision_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record a decision in a meeting; HTMX swaps the decisions block."""
    meeting = _meeting_for_recorder(request, pk)
    context = _meeting_context(request, meeting)
    people = review_people(meeting.review, access=access_for(request.user))
    form = DecisionForm(
        request.POST, people=people, subjects=context["decision_form"].fields["concerns"].choices
    )
    if form.is_valid():
        try:
            services.decision_record(
                meeting=meeting,
                text=form.cleaned_data["text"],
                decided_by=form.cleaned_data["decided_by"],
                recorded_by=request.user,
                kpi_ids=form.ids_of("kpi"),
                objective_ids=form.ids_of("objective"),
                initiative_ids=form.ids_of("initiative"),
            )
        except ValidationError as error:
            form_error_add(form, error)
    if form.is_valid() and not form.errors:
        context = _meeting_context(request, meeting, saved="Decision recorded.")
    else:
        context = _meeting_context(request, meeting, decision_form=form)
    if request.htmx:
        return render(request, "reviews/_decisions.html", context)
    if form.errors:
        return render(request, "reviews/meeting.html", context, status=400)
    messages.success(request, "Decision recorded.")
    return redirect(meeting)


@login_required
@require_POST
def action_item_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record an action item in a meeting; HTMX swaps the action items block."""
    meeting = _meeting_for_recorder(request, pk)
    form = ActionItemForm(
        request.POST, people=review_people(meeting.review, access=access_for(request.user))
    )
    if form.is_valid():
        try:
            services.action_item_create(
                title=form.cleaned_data["title"],
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
                note=form.cleaned_data["note"],
                team_id=meeting.review.scope_team_id,
                meeting=meeting,
                created_by=request.user,
            )
        except ValidationError as error:
            form_error_add(form, error)
    ok = form.is_valid() and not form.errors
    context = (
        _meeting_context(request, meeting, saved="Action item recorded.")
        if ok
        else _meeting_context(request, meeting, action_form=form)
    )
    if request.htmx:
        return render(request, "reviews/_actions.html", context)
    if not ok:
        return render(request, "reviews/meeting.html", context, status=400)
    messages.success(request, "Action item recorded.")
    return redirect(meeting)


@login_required
@require_POST
def action_item_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark an action item done, dropped or open again (its owner, leaders of its team, the
    strategy office); HTMX swaps its row."""
    item = _action_item_for_updater(request, pk)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_item_set_status(
            item=item, status=form.cleaned_data["status"], by=request.user
        )
    if request.htmx:
        return render(
            request,
            "reviews/_action_item.html",
            {"item": item, "today": timezone.localdate(), "can_update": True},
        )
    messages.success(request, f"“{item.title}” is {item.get_status_display().lower()}.")
    next_url = request.POST.get("next")
    return redirect(next_url if _safe(next_url) else "reviews:review-list")


def _action_item_for_updater(request: HttpRequest, pk: int) -> ActionItem:
    """The action item if the reader may see it (else 404) and update it (else 403)."""
    access = access_for(request.user)
    item = get_object_or_404(
        ActionItem.objects.select_related("owner", "meeting", "meeting__review"), pk=pk
    )
    visible = (
        item.owner_id == request.user.pk
        or (item.team_id is None and access.sees_anything)
        or (item.team_id is not None and item_visible(access, item.team_id))
    )
    if not visible:
        raise Http404("No such action item.")
    if not access.can_update_action_item(item):
        raise PermissionDenied("Only its owner and team leaders update an action item.")
    return item


@login_required
def action_item_to_initiative(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Turn an open action item into a proposed initiative under an objective whose team the
    reader leads (``reviews.services.action_item_to_initiative``): the item is then done and
    links to the initiative."""
    item = _action_item_for_updater(request, pk)
    access = access_for(request.user)
    if item.status != ActionItem.Status.OPEN:
        messages.info(request, "Only an open action item can be turned into an initiative.")
        if item.meeting is not None:
            return redirect(item.meeting)
        return redirect("initiatives:my-work")
    form = ToInitiativeForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        objective = form.cleaned_data["objective"]
        if not access.can_create_objective_for(objective.team_id):
            raise PermissionDenied("Only leaders of the objective's team do this.")
        try:
            initiative = services.action_item_to_initiative(
                item=item, objective=objective, by=request.user
            )
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, f"“{item.title}” is now a proposed initiative.")
            return redirect(initiative)
    status = 400 if request.method == "POST" else 200
    _label_people(access, [item], "owner")
    return render(
        request,
        "reviews/to_initiative.html",
        {"item": item, "form": form, "today": timezone.localdate()},
        status=status,
    )
