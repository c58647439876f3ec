"""Operational tasks of the strategy app."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from strategy.models import Team


@shared_task(name="execsupport.ping", ignore_result=False)
def ping(token: str) -> dict:
    """Smoke task: proves a worker runs our code and reaches our database. The only task whose
    result is kept (when ``CELERY_RESULT_BACKEND`` is set), to be read by whoever pinged."""
    return {"token": token, "database": connection.vendor, "teams": Team.objects.count()}
