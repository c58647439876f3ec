"""What a score, an alert or a recompute mark is about: the subject types of every core app.

The type lives at the bottom of the core (``strategy``) so that the apps below ``metrics`` can
name their subjects when they announce a change (``strategy.signals.subjects_changed``)
without importing the gap engine; ``metrics.models`` re-exports it as before.
"""

from __future__ import annotations

from django.db import models


class SubjectType(models.TextChoices):
    """What a score or an alert is about (stored as its ``value`` in ``subject_type`` columns)."""

    KPI = "kpi", "KPI"
    INITIATIVE = "initiative", "Initiative"
    MILESTONE = "milestone", "Milestone"
    OBJECTIVE = "objective", "Objective"
    TEAM = "team", "Team"
    THEME = "theme", "Theme"
    STRATEGY = "strategy", "Strategy"
    ACTION = "action", "Action item"
