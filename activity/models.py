"""Comments on objectives, initiatives, KPIs and alerts.

Our own small model rather than django-comments-xtd: xtd (on django-contrib-comments) brings a
generic foreign key, django.contrib.sites, its own forms, moderation and templates, and knows
nothing of ``strategy.access``; what is needed here (who may read a comment is who may see its
subject, mentions checked against the mentioned person's access, an edit window, a deleted
comment leaving a trace) is a few fields and the services in ``activity.comments``.

The history of definitions lives in each tracked model's ``history`` (django-simple-history,
``activity.history``); comments are not part of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from execsupport.validation import FieldConstraintsMixin, text_validators

COMMENT_MAX = 4000


class Comment(FieldConstraintsMixin, models.Model):
    """One comment on an objective, initiative, KPI or alert.

    Readable by whoever may see its subject (``strategy.access``). Its author edits it within
    ``COMMENT_EDIT_MINUTES``; deleting it (its author or the strategy office) empties its text
    and keeps the row as the trace "comment deleted" (who, when)."""

    class SubjectType(models.TextChoices):
        OBJECTIVE = "objective", "Objective"
        INITIATIVE = "initiative", "Initiative"
        KPI = "kpi", "KPI"
        ALERT = "alert", "Alert"

    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    body = models.TextField(blank=True, validators=text_validators(COMMENT_MAX))
    mentioned = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="mentioned_in",
        help_text="People named with @username, each checked to see the subject and notified.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "created_at"], name="comment_subject"
            ),
            models.Index(fields=["created_at", "id"], name="comment_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body="") | models.Q(deleted_at__isnull=False),
                name="comment_body_unless_deleted",
                violation_error_message="Write something.",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment #{self.pk} on {self.subject_type} #{self.subject_id}"

    @property
    def is_deleted(self) -> bool:
        """True once soft-deleted (``deleted_at`` set); the row is kept."""
        return self.deleted_at is not None
