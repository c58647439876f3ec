"""The pages of reviews and their meetings' schedule: the list, a review, a new meeting, its
freeze, move, cancellation and minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from execsupport.validation import form_error_add
from reviews import services
from reviews.forms import (
    MeetingForm,
    ReviewForm,
)
from reviews.models import Meeting, Review
from reviews.selectors import (
    decision_text_shown,
    decisions_with_movement,
    meeting_get_for_user,
    people_visible,
    review_action_items,
    review_get_for_user,
    review_scope_text,
    reviews_visible,
)
from reviews.views.common import _label_people
from strategy.access import access_for
from strategy.selectors import strategy_current

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


@login_required
def review_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The reviews the person may see; leaders and the strategy office create one here."""
    access = access_for(request.user)
    if not access.sees_anything and not Review.objects.filter(participants=request.user).exists():
        return render(request, "no_access.html", status=403)
    strategy = strategy_current()
    form = None
    if access.can_create_review() and strategy is not None:
        form = ReviewForm(request.POST or None, access=access, strategy=strategy)
        if request.method == "POST" and form.is_valid():
            review = form.save(commit=False)
            review.strategy = strategy
            review.owner = request.user
            try:
                services.review_save(
                    review=review,
                    participant_ids=[p.pk for p in form.cleaned_data["participants"]]
                    + [request.user.pk],
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                messages.success(request, f"Review “{review.name}” created.")
                return redirect(review)
    elif request.method == "POST":
        raise PermissionDenied("Only leaders and the strategy office create reviews.")
    reviews = list(
        reviews_visible(access=access)
        .select_related("strategy", "team", "theme", "objective", "owner")
        .order_by("name", "id")
    )
    # Each with its scope as the reader may read it (a hidden team is not named).
    rows = [(review, review_scope_text(access=access, review=review)) for review in reviews]
    return render(request, "reviews/review_list.html", {"reviews": rows, "form": form})


@login_required
def review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A review: its meetings (with their packs), the decision log with each decision's KPI
    movement since, and its open action items."""
    access = access_for(request.user)
    review = review_get_for_user(access=access, pk=pk)
    meetings = list(review.meetings.select_related("pack").order_by("-starts_at", "-id"))
    for meeting in meetings:
        meeting.has_pack = hasattr(meeting, "pack")
    from reviews.models import Decision

    decisions = list(
        Decision.objects.filter(meeting__review=review)
        .select_related("decided_by", "meeting")
        .order_by("-created_at", "-id")
    )
    actions = review_action_items(review=review, access=access)
    participants = list(review.participants.order_by("first_name", "username"))
    shown = people_visible(access=access, ids=[p.pk for p in participants] + [review.owner_id])
    _label_people(access, actions, "owner")
    _label_people(access, decisions, "decided_by")
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "meetings": meetings,
            "decisions": decisions_with_movement(
                decisions=decisions,
                access=access,
                texts_shown=decision_text_shown(access=access, review=review),
            ),
            "scope_text": review_scope_text(access=access, review=review),
            "actions": actions,
            "today": timezone.localdate(),
            "can_manage": access.can_manage_review(review),
            "meeting_form": MeetingForm(),
            "participants": [p for p in participants if p.pk in shown],
            "participants_hidden": sum(1 for p in participants if p.pk not in shown),
            "owner_shown": review.owner_id in shown,
        },
    )


@login_required
@require_POST
def meeting_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Schedule a meeting of a review."""
    access = access_for(request.user)
    review = review_get_for_user(access=access, pk=pk)
    if not access.can_manage_review(review):
        raise PermissionDenied("Only who runs the review schedules its meetings.")
    form = MeetingForm(request.POST)
    if form.is_valid():
        meeting = services.meeting_schedule(review=review, starts_at=form.cleaned_data["starts_at"])
        messages.success(request, "Meeting scheduled.")
        return redirect(meeting)
    messages.error(request, "Enter the meeting's date and time.")
    return redirect(review)


def _meeting_for_manager(request: HttpRequest, pk: int) -> Meeting:
    access = access_for(request.user)
    meeting = meeting_get_for_user(access=access, pk=pk)
    if not access.can_manage_review(meeting.review):
        raise PermissionDenied("Only who runs the review changes its meetings.")
    return meeting


@login_required
@require_POST
def meeting_freeze(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Freeze the meeting's pack now (once; a second freeze keeps the first pack)."""
    meeting = _meeting_for_manager(request, pk)
    if meeting.status == Meeting.Status.CANCELLED:
        raise PermissionDenied("A cancelled meeting gets no pack.")
    _pack, created = services.pack_freeze(meeting=meeting)
    messages.success(request, "Pack frozen." if created else "The pack was frozen already.")
    return redirect(meeting)


@login_required
@require_POST
def meeting_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Move a scheduled meeting to another date and time."""
    meeting = _meeting_for_manager(request, pk)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the new date and time.")
        return redirect(meeting)
    try:
        services.meeting_move(meeting=meeting, starts_at=form.cleaned_data["starts_at"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Meeting moved.")
    return redirect(meeting)


@login_required
@require_POST
def meeting_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel a meeting not yet held."""
    meeting = _meeting_for_manager(request, pk)
    try:
        services.meeting_cancel(meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Meeting cancelled.")
    return redirect(meeting.review)


@login_required
@require_POST
def meeting_minutes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """E-mail the minutes (decisions and action items) to the participants, once."""
    meeting = _meeting_for_manager(request, pk)
    sent = services.meeting_minutes_send(meeting=meeting)
    if sent:
        messages.success(request, f"Minutes sent to {sent} participants.")
    else:
        messages.info(request, "The minutes were sent already (or nobody has an address).")
    return redirect(meeting)
