from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation: ``manage.py seed_demo`` and its builder (``demo.builder``). It sits
    above every other app (it writes the plan, the work, the measures, the reviews, the surveys
    and the support plan of a fictional company) and nothing imports it. The runtime image
    leaves ``demo.builder`` out; the command then says the demo is not installed."""

    name = "demo"
    label = "demo"
