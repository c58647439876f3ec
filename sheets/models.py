"""What the spreadsheet import keeps between a preview and its apply (issue #16)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PlanPreview(models.Model):
    """A plan file's validated preview, kept for its apply (``sheets.plan_import``).

    ``plan``: the pickled report and the validated rows of each sheet (model instances, not
    yet written; none for a file with measurements or check-ins, which the apply checks
    afresh), signed (``signature``: an HMAC of ``plan`` with the project's secret key) so
    that nothing but this code's own pickle is ever loaded. It is used by the same person's
    apply of the same file (``file_sha256``) on the same day (``today``); when the data it was
    validated against changed since (``data_version``,
    ``sheets.plan_import.plan_data_version``) that apply is refused and writes nothing. Kept
    ``PREVIEW_SECONDS`` at most; an apply consumes it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_sha256 = models.CharField(max_length=64)
    data_version = models.CharField(max_length=64)
    today = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    plan = models.BinaryField()
    signature = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["user", "file_sha256"], name="planpreview_user_file")]

    def __str__(self) -> str:
        return f"Preview {self.file_sha256[:12]} by user {self.user_id}"
