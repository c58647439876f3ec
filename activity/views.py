"""Pages of the activity app: the history of an object (with undo), comments and feeds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from activity.comments import (
    comment_delete,
    comment_edit,
    comment_may_edit,
    comment_post,
    subject_get,
    subject_kind,
    subject_label,
)
from activity.feeds import comment_item, object_feed, whats_new
from activity.history import history_for, history_restore, tracked_kind
from activity.models import COMMENT_MAX, Comment
from execsupport.validation import form_error_add
from strategy.access import access_for
from strategy.models import VersionConflict

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


class CommentForm(forms.Form):
    """A comment's text; ``@username`` mentions a person (who must see the subject)."""

    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Mention someone with @username: they are told, if they may see this.",
    )


def _object_url(kind: str, obj) -> str | None:
    if obj is None:
        return None
    get_url = getattr(obj, "get_absolute_url", None)
    return get_url() if get_url else None


@login_required
def history_page(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Every recorded version of one object, newest first: what changed (field, before,
    after), who, when; the strategy office restores an earlier version from here."""
    access = access_for(request.user)
    history = history_for(kind=kind, pk=pk, access=access)
    return render(
        request,
        "activity/history.html",
        {
            "history": history,
            "object_url": _object_url(kind, history.current),
            "current_version": getattr(history.current, "version", None),
        },
    )


_SEEN_VERSION = forms.IntegerField(required=True, min_value=1, max_value=2**31 - 1)


@login_required
@require_POST
def history_restore_page(
    request: AuthenticatedHttpRequest, kind: str, pk: int, history_id: int
) -> HttpResponse:
    """Restore (undo to) an earlier version: strategy office only; the form sends the version
    of the object it showed, so a change made meanwhile is not silently overwritten."""
    access = access_for(request.user)
    if not access.is_office:
        raise PermissionDenied("Only the strategy office restores an earlier version.")
    back = reverse("activity:history", args=[kind, pk])
    # One rule with the edit forms (VersionedModelForm.seen_version): the version the page showed
    # is a whole number >= 1. A restore overwrites every field, so unlike an edit form it is
    # never unguarded: a versioned object restored without a valid version is refused like a
    # stale one.
    version = None
    if any(f.name == "version" for f in tracked_kind(kind).model._meta.concrete_fields):
        try:
            version = _SEEN_VERSION.clean(request.POST.get("version", ""))
        except ValidationError:
            messages.error(
                request,
                "The page did not say which version it showed, so a change made meanwhile "
                "could be overwritten. Nothing was restored; look again and retry.",
            )
            return redirect(back)
    try:
        restored = history_restore(
            kind=kind, pk=pk, history_id=history_id, by=request.user, access=access, version=version
        )
    except VersionConflict as conflict:
        messages.error(request, f"{conflict} Nothing was restored; look again and retry.")
    except ValidationError as error:
        text = (
            "; ".join(
                f"{name}: {' '.join(problems)}" if name != "__all__" else " ".join(problems)
                for name, problems in error.message_dict.items()
            )
            if hasattr(error, "error_dict")
            else " ".join(error.messages)
        )
        messages.error(request, f"That version cannot be restored as it is: {text}")
    else:
        if restored is None:
            messages.info(request, "That version is the same as the current one: nothing changed.")
        else:
            messages.success(request, "The earlier version is restored (recorded in the history).")
    return redirect(back)


# --- activity, comments, what's new ---------------------------------------------------------
def _activity_context(request: HttpRequest, subject, access, form=None) -> dict:

    kind = subject_kind(subject)
    now = timezone.now()
    items = object_feed(subject=subject, access=access)
    for item in items:
        if item.comment is not None:
            _comment_controls(item.comment, access, now)
    return {
        "subject": subject,
        "kind": kind,
        "kind_label": "KPI" if kind == "kpi" else kind,
        "label": subject_label(subject),
        "object_url": subject.get_absolute_url()
        if hasattr(subject, "get_absolute_url")
        else reverse("metrics:alert-detail", args=[subject.pk]),
        "items": items,
        "form": form if form is not None else CommentForm(),
        "can_comment": access.can_comment_on(subject),
        "has_history": kind != "alert",
        "edit_minutes": settings.COMMENT_EDIT_MINUTES,
    }


def _comment_controls(comment, access, now) -> None:

    comment.can_edit = comment_may_edit(comment=comment, access=access, now=now)
    comment.can_delete = not comment.is_deleted and access.can_remove_comment(comment.author_id)


@login_required
def activity_page(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """The Activity tab of an objective, initiative, KPI or alert: its conversation and
    everything that happened to it, newest first; a comment is posted in place (HTMX)."""

    access = access_for(request.user)
    subject = subject_get(kind=kind, pk=pk, access=access)
    return render(request, "activity/activity.html", _activity_context(request, subject, access))


@login_required
@require_POST
def comment_new(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Post a comment. HTMX: answers the new comment (put first in the feed) and a fresh form
    (out of band); on a refused comment, the form with its error and the text as typed."""

    access = access_for(request.user)
    subject = subject_get(kind=kind, pk=pk, access=access)
    if not access.can_comment_on(subject):
        raise PermissionDenied("Your role does not allow commenting here.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = comment_post(
                subject=subject, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form_error_add(form, error)
        else:
            if request.htmx:
                _comment_controls(comment, access, timezone.now())
                return render(
                    request,
                    "activity/_comment_posted.html",
                    {
                        "item": _feed_item(comment),
                        "kind": kind,
                        "subject": subject,
                        "form": CommentForm(),
                        "can_comment": True,
                        "edit_minutes": settings.COMMENT_EDIT_MINUTES,
                    },
                )
            messages.success(request, "Comment posted.")
            return redirect(
                reverse("activity:activity", args=[kind, pk]) + f"#comment-{comment.pk}"
            )
    if request.htmx:
        response = render(
            request,
            "activity/_comment_form.html",
            {
                "form": form,
                "kind": kind,
                "subject": subject,
                "edit_minutes": settings.COMMENT_EDIT_MINUTES,
            },
        )
        return reswap(retarget(response, "#comment-form"), "outerHTML")
    context = _activity_context(request, subject, access, form=form)
    return render(request, "activity/activity.html", context, status=400)


def _feed_item(comment):
    return comment_item(comment)


def _comment_for(request: HttpRequest, comment_pk: int):
    """The comment and its subject, if this person may see the subject (else 404)."""

    access = access_for(request.user)
    comment = get_object_or_404(
        Comment.objects.select_related("author", "deleted_by"), pk=comment_pk
    )
    subject = subject_get(kind=comment.subject_type, pk=comment.subject_id, access=access)
    return access, comment, subject


@login_required
def comment_edit_page(request: AuthenticatedHttpRequest, comment_pk: int) -> HttpResponse:
    """Edit a comment (its author, within the window): GET the form in place of the comment,
    POST saves and answers the comment."""

    access, comment, subject = _comment_for(request, comment_pk)
    now = timezone.now()
    if not comment_may_edit(comment=comment, access=access, now=now):
        raise PermissionDenied(
            f"Only its author edits a comment, within {settings.COMMENT_EDIT_MINUTES} minutes "
            "of posting."
        )
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                comment = comment_edit(
                    comment=comment,
                    subject=subject,
                    body=form.cleaned_data["body"],
                    by=request.user,
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                if request.htmx:
                    _comment_controls(comment, access, timezone.now())
                    return render(
                        request, "activity/_feed_item.html", {"item": _feed_item(comment)}
                    )
                return redirect(
                    reverse("activity:activity", args=[comment.subject_type, subject.pk])
                    + f"#comment-{comment.pk}"
                )
        status = 200 if request.htmx else 400
    return render(
        request,
        "activity/comment_edit.html" if not request.htmx else "activity/_comment_edit_form.html",
        {"form": form, "comment": comment, "subject": subject},
        status=status,
    )


@login_required
@require_POST
def comment_delete_page(request: AuthenticatedHttpRequest, comment_pk: int) -> HttpResponse:
    """Delete a comment (its author or the strategy office): answers its trace."""

    access, comment, subject = _comment_for(request, comment_pk)
    comment = comment_delete(comment=comment, by=request.user)
    if request.htmx:
        _comment_controls(comment, access, timezone.now())
        return render(request, "activity/_feed_item.html", {"item": _feed_item(comment)})
    return redirect(
        reverse("activity:activity", args=[comment.subject_type, subject.pk])
        + f"#comment-{comment.pk}"
    )


WHATS_NEW_DAYS = (1, 7, 30, 90)


@login_required
def whats_new_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What happened lately on the person's work and where they were mentioned."""

    access = access_for(request.user)
    raw = request.GET.get("days", "7")
    days = int(raw) if raw.isdigit() and int(raw) in WHATS_NEW_DAYS else 7
    since = timezone.now() - dt.timedelta(days=days)
    items = whats_new(user=request.user, access=access, since=since)
    return render(
        request,
        "activity/whats_new.html",
        {"items": items, "days": days, "choices": WHATS_NEW_DAYS},
    )
