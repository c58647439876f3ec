from __future__ import annotations

from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """Step 2 and the calibration of step 1 of the execution-support loop: capability
    assessments (manual scores beside the evidence the app computes) and confidence calibration."""

    name = "assessment"
