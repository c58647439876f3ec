from __future__ import annotations

from django.apps import AppConfig


class SupportConfig(AppConfig):
    """The execution-support loop's steps 1, 3 and 5 (issue #18): the assessment report with its
    ranked barriers, the support plan (support measures are initiatives of the support kind)
    and the tracking of their adoption and effect between assessments."""

    name = "support"
