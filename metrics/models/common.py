"""What a score or an alert is about: the subject types shared by scores, alerts and the
recompute queue.
"""

from __future__ import annotations

from django.db import models


class SubjectType(models.TextChoices):
    """What a score or an alert is about."""

    KPI = "kpi", "KPI"
    INITIATIVE = "initiative", "Initiative"
    MILESTONE = "milestone", "Milestone"
    OBJECTIVE = "objective", "Objective"
    TEAM = "team", "Team"
    THEME = "theme", "Theme"
    STRATEGY = "strategy", "Strategy"
    ACTION = "action", "Action item"
