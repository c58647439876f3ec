"""Writes of webhooks: saving within the owner's scope, deletion and retrying a delivery."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from metrics.models import Webhook, WebhookDelivery


@transaction.atomic
def webhook_save(*, webhook: Webhook, version: int | None = None, by=None) -> Webhook:
    """Create or update a webhook; ``version``: see ``kpi_save``. Its owner is required (whose
    eyes it sees through) and its team scope, when set, must be a team the owner may see.
    ``by`` (the person saving it, when not the admin): whom they may make its owner
    (``Access.may_make_webhook_owner``: a leader only themselves). ``ValidationError`` by field
    (its URL: ``execsupport.outbound``).

    On creation the signing secret is generated here (256 random bits) and left on the
    instance as ``new_secret`` for the one answer that shows it; it is never shown again."""
    from strategy.access import access_for

    created = webhook.pk is None
    if created:
        webhook.secret = webhook.new_secret = secrets.token_urlsafe(32)
    webhook.alert_kinds = sorted(set(webhook.alert_kinds or []))
    webhook.full_clean()
    if by is not None and not access_for(by).may_make_webhook_owner(webhook.owner_id):
        raise ValidationError(
            {"owner": "A team leader's webhook acts for the leader: choose yourself."}
        )
    webhook_scope_check(owner=webhook.owner, team_id=webhook.team_id)
    webhook.save(expected_version=version)
    return webhook


def webhook_scope_check(*, owner, team_id: int | None) -> None:
    """A webhook needs an owner, and its team scope (when set) must be a team the owner may
    see. ``ValidationError`` by field (``owner``, ``team``); also run by the admin's form."""
    from strategy.access import access_for

    if owner is None:
        raise ValidationError(
            {"owner": "Choose the person this webhook acts for: it receives what they may see."}
        )
    if team_id is not None and not access_for(owner).can_view_team(team_id):
        raise ValidationError(
            {"team": f"{owner} may not see this team: choose one of their teams."}
        )


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log."""
    webhook.delete()


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> bool:
    """Send a failed delivery again: back to pending with a fresh count of attempts (guarded,
    so two clicks queue it once), then handed to ``metrics.tasks.webhook_deliver`` after
    commit, the path of every delivery (retries with backoff, the URL checked again, the
    payload re-scoped to what the owner may still see). ``False`` when it was not failed."""
    from metrics.tasks import enqueue_safely, webhook_deliver

    with transaction.atomic():
        done = (
            WebhookDelivery.objects.filter(
                pk=delivery.pk, status=WebhookDelivery.Status.FAILED
            ).update(status=WebhookDelivery.Status.PENDING, attempts=0, last_error="")
            == 1
        )
        if done:
            delivery.status = WebhookDelivery.Status.PENDING
            delivery.attempts, delivery.last_error = 0, ""
            transaction.on_commit(lambda: enqueue_safely(webhook_deliver, delivery_id=delivery.pk))
    return done
