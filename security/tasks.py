from __future__ import annotations

from celery import shared_task


@shared_task(name="security.events_prune", acks_late=True, ignore_result=True)
def security_events_prune() -> int:
    """Beat: delete security events past ``SECURITY_LOG_RETENTION_DAYS``."""
    from security.services import security_events_prune as prune

    return prune()
