"""Operational tasks of the strategy app."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from strategy.models import Team


@shared_task(name="execsupport.ping")
def ping(token: str) -> dict:
    """Smoke task: proves a worker runs our code and reaches our database."""
    return {"token": token, "database": connection.vendor, "teams": Team.objects.count()}
