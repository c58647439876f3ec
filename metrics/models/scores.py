"""Computed gap scores and the recompute bookkeeping: the subjects to recompute and the
full recompute runs with their chunks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone

from metrics.models.common import SubjectType

if TYPE_CHECKING:
    from metrics.explain import ScoreExplained


class GapScore(models.Model):
    """A computed snapshot of how a subject executes against its plan.

    History is kept: each computation appends a row. Exactly one row per subject has
    ``is_latest`` set (a partial unique index), so the current score is one indexed lookup.
    """

    class Status(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        OFF_TRACK = "off_track", "Off track"
        NO_DATA = "no_data", "No data"
        UNAVAILABLE = "unavailable", "Score unavailable"

    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)
    as_of = models.DateField(help_text="The day the score describes.")
    is_latest = models.BooleanField(default=True)
    status = models.CharField(max_length=11, choices=Status.choices)
    reason = models.TextField(
        blank=True,
        help_text="Why this status, in one sentence, naming no other object (see reason_parts).",
    )
    reason_parts = models.JSONField(
        null=True,
        blank=True,
        help_text="The reason as strategy.derived parts, rendered for each reader; "
        "empty: the reason mentions no other object.",
    )
    score = models.FloatField(null=True, blank=True, help_text="Health 0-100.")
    progress = models.FloatField(
        null=True, blank=True, help_text="Share of the plan achieved, clamped to 0-1 for rollups."
    )
    achievement = models.FloatField(
        null=True, blank=True, help_text="Uncapped share of the plan achieved (1.25 = 125 %)."
    )
    expected_progress = models.FloatField(null=True, blank=True)
    attainment = models.FloatField(null=True, blank=True, help_text="progress / expected")
    gap = models.FloatField(null=True, blank=True, help_text="expected - progress")
    forecast = models.JSONField(null=True, blank=True)
    data_quality = models.JSONField(default=dict, blank=True)
    components = models.JSONField(default=dict, blank=True)
    contributors = models.JSONField(
        default=list, blank=True, help_text="Top contributors to the gap, largest first."
    )
    inputs = models.CharField(
        max_length=40,
        blank=True,
        default="",
        help_text=(
            "Fingerprint of what the score was computed from (its day included); a full "
            "recompute skips a KPI whose inputs match it (metrics.engine.unchanged)."
        ),
    )

    # Not a field: the reader's explanation (metrics.explain.scores_explain sets it).
    explained: ScoreExplained

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = "computed_at"
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=Q(is_latest=True),
                name="gapscore_one_latest_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="gapscore_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__gte=0, progress__lte=1),
                name="gapscore_progress_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "computed_at"]),
            # The newest latest score of a subject type: the version of the API's cached lists.
            models.Index(
                fields=["subject_type", "id"],
                condition=Q(is_latest=True),
                name="gapscore_newest_latest",
            ),
            models.Index(
                fields=["subject_type", "status"],
                condition=Q(is_latest=True),
                name="gapscore_latest_by_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} #{self.subject_id}: {self.get_status_display()}"


class DirtySubject(models.Model):
    """A subject whose score must be recomputed.

    Written in the same transaction as the change that needs it, so a lost Celery message
    only delays the recompute: the periodic sweep re-enqueues whatever is still here.
    """

    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"], name="dirty_subject_unique"
            ),
        ]
        indexes = [models.Index(fields=["marked_at"])]

    def __str__(self) -> str:
        return f"{self.subject_type} #{self.subject_id} (since {self.marked_at:%Y-%m-%d %H:%M})"


class RecomputeRun(models.Model):
    """A full recompute handed to the workers, recorded so that it finishes whatever happens
    to them: its chunks are rows (``RecomputeChunk``), each stage starts when the previous
    one's chunks are all done, and the sweep resumes what a dead worker left
    (``metrics.engine.runs``). No Celery chord, so no result backend, is involved."""

    class Stage(models.TextChoices):
        KPIS = "kpis", "KPIs"
        INITIATIVES = "initiatives", "Initiatives"
        ROLLUPS = "rollups", "Objectives, teams, themes and strategies"
        NOTIFY = "notify", "Notifications"
        DONE = "done", "Done"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        SUPERSEDED = "superseded", "Superseded by a newer run"
        FAILED = "failed", "Failed"

    today = models.DateField(help_text="The day the scores are computed for.")
    as_of = models.DateTimeField(help_text="The moment the run computes at (its scores' time).")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.KPIS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status"], name="recompute_run_status")]

    def __str__(self) -> str:
        return f"Recompute #{self.pk} of {self.today} ({self.status}, {self.stage})"


class RecomputeChunk(models.Model):
    """One chunk of a ``RecomputeRun``: the subject ids of a stage a worker computes at once.

    A worker claims it with a guarded update (``pending`` -> ``running`` with a new ``claim``
    token) and beats ``heartbeat_at`` while it works; a running chunk whose heartbeat is older
    than ``GAP_CHUNK_LEASE_SECONDS`` belonged to a dead worker and goes back to ``pending``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    run = models.ForeignKey(RecomputeRun, on_delete=models.CASCADE, related_name="chunks")
    stage = models.CharField(max_length=12, choices=RecomputeRun.Stage.choices)
    position = models.PositiveIntegerField()
    subject_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="Who claimed it last.")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "stage", "position"], name="recompute_chunk_unique"
            ),
        ]
        indexes = [models.Index(fields=["run", "stage", "status"], name="recompute_chunk_stage")]

    def __str__(self) -> str:
        return f"Chunk {self.stage} #{self.position} of run {self.run_id} ({self.status})"
