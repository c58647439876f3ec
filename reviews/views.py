"""Pages of the review cycle: reviews, a review's meetings and decision log, the printable
pack, and meeting mode (agenda from the diff, decisions and action items recorded in place
with HTMX)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from execsupport.pdf import (
    PdfUnavailable,
    pdf_response,
    pdf_unavailable_response,
    weasyprint_module,
)
from execsupport.validation import form_error_add
from reviews import services
from reviews.forms import (
    ActionItemForm,
    ActionStatusForm,
    DecisionForm,
    MeetingForm,
    ReviewForm,
    ToInitiativeForm,
    review_people,
)
from reviews.models import ActionItem, Meeting, PackPdf, Review
from reviews.pdf import pack_page_context, pack_pdf_filename, pack_pdf_html, pack_pdf_request
from reviews.selectors import (
    HIDDEN_PERSON,
    decision_text_shown,
    decisions_with_movement,
    item_visible,
    meeting_get_for_user,
    pack_get_for_user,
    pack_read,
    people_visible,
    review_action_items,
    review_get_for_user,
    review_scope_text,
    reviews_visible,
)
from strategy.access import access_for
from strategy.selectors import strategy_current

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


def _label_people(access, objects, *fields: str) -> None:
    """Set ``<field>_label`` on each object: the person's name if the reader may see them,
    else "someone you cannot see"; "not recorded" when there is none (one query for all)."""
    from strategy.people import person_name

    ids = {getattr(o, f"{f}_id") for o in objects for f in fields}
    shown = people_visible(access=access, ids=ids)
    for obj in objects:
        for f in fields:
            person = getattr(obj, f)
            if person is None:
                label = "not recorded"
            elif person.pk in shown:
                label = person_name(
                    first_name=person.first_name,
                    last_name=person.last_name,
                    username=person.username,
                )
            else:
                label = HIDDEN_PERSON
            setattr(obj, f"{f}_label", label)


def _participant_ids(review: Review) -> list[int]:
    return list(review.participants.values_list("pk", flat=True))


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


def _safe(url: str | None) -> TypeGuard[str]:
    return url is not None and url.startswith("/") and not url.startswith("//")


@login_required
def pack_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The frozen pack, printable (the print rules of static/css/print.css), with what changed
    since the previous pack of the same review, for this reader."""
    access = access_for(request.user)
    pack = pack_get_for_user(access=access, pk=pk)
    return render(request, "reviews/pack.html", pack_page_context(pack=pack, access=access))


# The pack PDF job each pack's page gave this session: {pack id: job id} (polls read it).
PDF_JOBS_SESSION_KEY = "reviews_pack_pdf_jobs"


@login_required
@require_GET
def pack_pdf_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The pack as a PDF for this reader, made by a worker and stored (``reviews.pdf``): the
    PDF when it is ready; else a page (202) saying it is being prepared, which polls this URL
    (HTMX: the status fragment) and then offers the download. A failure says why (503), as
    does a server without WeasyPrint's libraries."""
    access = access_for(request.user)
    pack = pack_get_for_user(access=access, pk=pk)
    try:
        weasyprint_module()
    except PdfUnavailable as exc:
        return pdf_unavailable_response(exc)
    jobs = request.session.get(PDF_JOBS_SESSION_KEY, {})
    job = None
    if request.htmx and str(pack.pk) in jobs:
        # A poll of the waiting page: the status of the job this reader was given, without
        # rendering the pack again (the download itself always does, for current access).
        job = PackPdf.objects.defer("html", "content").filter(pk=jobs[str(pack.pk)]).first()
    if job is None or job.pack_id != pack.pk:
        job = pack_pdf_request(
            pack=pack, html=pack_pdf_html(pack=pack, user=request.user, access=access)
        )
        request.session[PDF_JOBS_SESSION_KEY] = {**jobs, str(pack.pk): job.pk}
    context = {"pack": pack, "review": pack.review, "job": job}
    if request.htmx:
        return render(request, "reviews/_pack_pdf_status.html", context)
    if job.status == PackPdf.Status.DONE:
        content = cast("bytes | memoryview", job.content)  # DONE: the content is set
        return pdf_response(bytes(content), filename=pack_pdf_filename(pack=pack))
    status = 503 if job.status == PackPdf.Status.FAILED else 202
    return render(request, "reviews/pack_pdf_wait.html", context, status=status)


@login_required
@require_GET
def pack_changes_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The pack's diff (what changed since the previous pack) as this reader sees it, CSV or
    XLSX (``sheets.exports.pack_changes_export``); 404 if the pack is not visible."""
    from django.conf import settings

    from sheets.exports import pack_changes_export as export
    from sheets.writing import sheet_response

    access = access_for(request.user)
    pack = pack_get_for_user(access=access, pk=pk)
    view = pack_read(pack=pack, access=access)
    sheet, rows = export(
        changes=view.changes,
        hidden=view.hidden_changes,
        names=view.names,
        discussed=set(pack.meeting.discussed or []),
        site_url=settings.SITE_URL.rstrip("/"),
    )
    return sheet_response(
        fmt=fmt, filename=f"pack-{pack.pk}-{pack.as_of:%Y-%m-%d}-changes", sheet=sheet, rows=rows
    )


@login_required
@require_GET
def action_items_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The action items of a review's meetings the reader may see, CSV or XLSX
    (``sheets.exports.action_items_export``); 404 if the review is not visible."""
    from sheets.exports import action_items_export as export
    from sheets.writing import sheet_response

    access = access_for(request.user)
    review = review_get_for_user(access=access, pk=pk)
    items = review_action_items(review=review, access=access)
    shown = people_visible(access=access, ids={item.owner_id for item in items})
    sheet, rows = export(items=items, shown_people=shown)
    return sheet_response(
        fmt=fmt, filename=f"review-{review.pk}-action-items", sheet=sheet, rows=rows
    )
