"""Writes and reads of comments: post, edit within a window, delete leaving a trace, mentions.

Who may do what is answered by ``strategy.access`` (``Access.can_comment_on``,
``Access.can_remove_comment``); who may be told is answered by
``metrics.preferences.notification_send`` (their preference and their access).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from activity.models import Comment
from initiatives.models import Initiative
from metrics.models import KPI, Alert
from metrics.work import work_comment_notify
from strategy.access import Access, access_for, people_blind_to
from strategy.models import Objective
from strategy.people import person_name

SUBJECT_MODELS: dict[str, type[Objective | Initiative | KPI | Alert]] = {
    Comment.SubjectType.OBJECTIVE: Objective,
    Comment.SubjectType.INITIATIVE: Initiative,
    Comment.SubjectType.KPI: KPI,
    Comment.SubjectType.ALERT: Alert,
}
# "@username": Django's username characters, not preceded by a word character (an e-mail
# address "ann@example.com" mentions nobody); a trailing full stop ends the sentence.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")


def subject_get(*, kind: str, pk: int, access: Access) -> models.Model:
    """The objective, initiative, KPI or alert ``pk`` if this person may see it; ``Http404``
    otherwise (an unknown kind, a missing or hidden subject: its existence is not told)."""
    model = SUBJECT_MODELS.get(kind)
    if model is None:
        raise Http404("Comments are on objectives, initiatives, KPIs and alerts.")
    if model is Alert:
        found = Alert.objects.filter(access.alert_filter()).filter(pk=pk).first()
    else:
        found = access.scope(model.objects.all()).filter(pk=pk).first()
    if found is None:
        raise Http404("No such subject.")
    return found


def subject_kind(subject: models.Model) -> str:
    """The comment subject type of an objective, initiative, KPI or alert."""
    for kind, model in SUBJECT_MODELS.items():
        if isinstance(subject, model):
            return kind
    raise ValueError(f"Comments are not kept on {type(subject).__name__}.")


def subject_label(subject: models.Model) -> str:
    """How a subject is named to someone who may see it."""
    if isinstance(subject, Alert):
        return f"the alert “{subject.title}”" if getattr(subject, "title", "") else "an alert"
    return f"{subject._meta.verbose_name} “{subject}”"


def comments_visible_filter(access: Access) -> Q:
    """A ``Q`` on comments: those whose subject this person may see (one subquery per
    subject type)."""
    if access.is_office:
        return Q()
    if not access.sees_anything:
        return Q(pk__in=[])
    found = Q()
    for kind, model in SUBJECT_MODELS.items():
        ids: models.QuerySet[Any, Any]
        if model is Alert:
            ids = Alert.objects.filter(access.alert_filter()).values("id")
        else:
            ids = access.scope(model.objects.all()).values("id")
        found |= Q(subject_type=kind, subject_id__in=ids)
    return found


def comments_on(*, subject: models.Model) -> models.QuerySet[Comment]:
    """The comments on one subject (the caller checked it may see it), oldest first, with
    their authors."""
    return (
        Comment.objects.filter(subject_type=subject_kind(subject), subject_id=subject.pk)
        .select_related("author", "deleted_by")
        .order_by("created_at", "id")
    )


def comment_editable_until(comment: Comment) -> dt.datetime:
    """When the author's edit window closes: created at plus ``COMMENT_EDIT_MINUTES``."""
    return comment.created_at + dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def comment_may_edit(*, comment: Comment, access: Access, now: dt.datetime) -> bool:
    """Its author, while it is not deleted and within ``COMMENT_EDIT_MINUTES``."""
    return (
        not comment.is_deleted
        and comment.author_id is not None
        and comment.author_id == access.user_id
        and now <= comment_editable_until(comment)
    )


def mentions_resolve(*, body: str, subject: models.Model) -> list:
    """The people ``@username`` names in ``body``, in order, once each. ``ValidationError`` on
    ``body`` for a name nobody active has, or for a person who may not see ``subject`` (you
    cannot mention someone into a private object they cannot see)."""
    names = list(dict.fromkeys(m.rstrip(".") for m in MENTION.findall(body or "")))
    if not names:
        return []
    User = get_user_model()
    # Usernames match whatever the case (@Leader is @leader). Django keeps usernames unique
    # only case-sensitively: a name that two active people share but for the case is refused
    # as ambiguous rather than guessed.
    by_lower: dict[str, list] = {}
    for user in User.objects.annotate(lowered=Lower(User.USERNAME_FIELD)).filter(
        lowered__in={n.lower() for n in names}, is_active=True
    ):
        by_lower.setdefault(user.get_username().lower(), []).append(user)
    unknown = [n for n in names if n.lower() not in by_lower]
    if unknown:
        raise ValidationError(
            {"body": f"Nobody active is called {', '.join('@' + n for n in unknown)}."}
        )
    ambiguous = [n for n in names if len(by_lower[n.lower()]) > 1]
    if ambiguous:
        raise ValidationError(
            {
                "body": f"{', '.join('@' + n for n in ambiguous)} could be more than one person "
                "(their usernames differ only by case). Nothing was posted; ask the strategy "
                "office to rename one of them."
            }
        )
    people = {n: by_lower[n.lower()][0] for n in names}
    names = list(dict.fromkeys(people[n].get_username() for n in names))
    people = {p.get_username(): p for p in people.values()}
    blind_people = people_blind_to(people=[people[n] for n in names], subject=subject)
    if blind_people:
        who = ", ".join("@" + person.get_username() for person in blind_people)
        raise ValidationError(
            {
                "body": f"{who} cannot see {subject_label(subject)}, so cannot be mentioned "
                "here. Nothing was posted; remove the mention or ask the strategy office."
            }
        )
    return [people[n] for n in names]


def _notify(*, comment: Comment, subject: models.Model, people: list, author) -> None:
    from metrics.models import NotificationEvent
    from metrics.preferences import notification_send

    name = person_name(
        first_name=author.first_name, last_name=author.last_name, username=author.get_username()
    )
    for person in people:
        if person.pk == author.pk:
            continue
        notification_send(
            recipient=person,
            kind=NotificationEvent.MENTION,
            subject_obj=subject,
            title=f"{name} mentioned you on {subject_label(subject)}",
            text=comment.body,
            link=comment_link(comment=comment, subject=subject),
            dedupe_key=f"comment:{comment.pk}:mention",
        )


def comment_link(*, comment: Comment, subject: models.Model) -> str:
    """The activity page's URL of the subject, anchored at this comment (``#comment-<id>``)."""
    from django.urls import reverse

    return reverse("activity:activity", args=[comment.subject_type, subject.pk]) + (
        f"#comment-{comment.pk}"
    )


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something."})
    return body


@transaction.atomic
def comment_post(*, subject: models.Model, author, body: str, now=None) -> Comment:
    """Post a comment on a subject and tell each person mentioned (``notification_send``:
    their preference; once per comment) and the people whose work the subject is
    (``metrics.work``: its owner, an initiative's contributors; not those mentioned). ``PermissionDenied`` if the author may not comment
    there (``Access.can_comment_on``), ``ValidationError`` on ``body`` (empty, too long, a
    mention of someone unknown or who cannot see the subject): nothing is written."""
    access = access_for(author)
    if not access.can_comment_on(subject):
        raise PermissionDenied("Your role does not allow commenting here.")
    body = _clean_body(body)
    mentioned = mentions_resolve(body=body, subject=subject)
    comment = Comment(
        subject_type=subject_kind(subject),
        subject_id=subject.pk,
        author=author,
        body=body,
        created_at=now or timezone.now(),
    )
    comment.full_clean()
    comment.save()
    if mentioned:
        comment.mentioned.set(mentioned)
        _notify(comment=comment, subject=subject, people=mentioned, author=author)
    # Whose work it is hears of it too, unless mentioned (told once, of the mention).
    work_comment_notify(
        comment=comment,
        subject=subject,
        author=author,
        mentioned=mentioned,
        link=comment_link(comment=comment, subject=subject),
    )
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, subject: models.Model, body: str, by, now=None) -> Comment:
    """Change a comment's text: its author only, within ``COMMENT_EDIT_MINUTES`` of posting,
    not once deleted (``PermissionDenied``, saying which). People newly mentioned are told."""
    now = now or timezone.now()
    access = access_for(by)
    if comment.author_id != by.pk:
        raise PermissionDenied("Only its author edits a comment.")
    if comment.is_deleted:
        raise PermissionDenied("This comment was deleted.")
    if not comment_may_edit(comment=comment, access=access, now=now):
        raise PermissionDenied(
            f"A comment can be edited for {settings.COMMENT_EDIT_MINUTES} minutes after "
            "posting; post a new one instead."
        )
    body = _clean_body(body)
    mentioned = mentions_resolve(body=body, subject=subject)
    before = set(comment.mentioned.values_list("id", flat=True))
    comment.body = body
    comment.edited_at = now
    comment.full_clean()
    comment.save(update_fields=["body", "edited_at"])
    comment.mentioned.set(mentioned)
    fresh = [p for p in mentioned if p.pk not in before]
    if fresh:
        _notify(comment=comment, subject=subject, people=fresh, author=by)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, by, now=None) -> Comment:
    """Delete a comment, leaving its trace ("comment deleted", by whom, when): its text and
    mentions are removed. Its author or the strategy office (``PermissionDenied``). Deleting
    a deleted comment changes nothing."""
    if not access_for(by).can_remove_comment(comment.author_id):
        raise PermissionDenied("Only its author or the strategy office deletes a comment.")
    if comment.is_deleted:
        return comment
    comment.body = ""
    comment.deleted_at = now or timezone.now()
    comment.deleted_by = by
    comment.save(update_fields=["body", "deleted_at", "deleted_by"])
    comment.mentioned.clear()
    return comment
