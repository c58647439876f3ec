"""People's actions on alerts: acknowledge, snooze and resolve, one or many, logged as alert
events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from execsupport.validation import REASON_MAX, text_validators
from metrics.models import Alert, AlertEvent


def _alert_note(note: str | None) -> str:
    """The note, stripped; a ``ValidationError`` on ``note`` when too long or holding NUL."""
    note = (note or "").strip()
    errors = []
    for validator in text_validators(REASON_MAX):
        try:
            validator(note)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError({"note": errors})
    return note


def _alerts_step(
    *,
    alert_ids: Iterable[int],
    by,
    kind: str,
    allowed: Iterable[str],
    values: dict,
    note: str,
    until=None,
    now,
) -> list[int]:
    """Apply ``values`` to the alerts of ``alert_ids`` whose status is in ``allowed`` and log
    ``kind`` for each: returns the ids changed (others changed state meanwhile)."""
    ids = sorted({int(i) for i in alert_ids})
    if not ids:
        return []
    with transaction.atomic():
        rows = list(
            Alert.objects.select_for_update()
            .filter(id__in=ids, status__in=list(allowed))
            .order_by("id")
            .values_list("id", "severity")
        )
        if not rows:
            return []
        changed = [alert_id for alert_id, _severity in rows]
        Alert.objects.filter(id__in=changed).update(**values)
        AlertEvent.objects.bulk_create(
            [
                AlertEvent(
                    alert_id=alert_id,
                    kind=kind,
                    at=now,
                    by=by,
                    note=note,
                    severity=severity,
                    until=until,
                )
                for alert_id, severity in rows
            ]
        )
    return changed


def alerts_acknowledge(*, alert_ids: Iterable[int], by, note: str = "") -> list[int]:
    """Open → acknowledged, with who, when and why (``note``). Returns the ids changed: those
    still open. Raises ``ValidationError`` on ``note`` (too long, NUL)."""
    note, now = _alert_note(note), timezone.now()
    return _alerts_step(
        alert_ids=alert_ids,
        by=by,
        kind=AlertEvent.Kind.ACKNOWLEDGED,
        allowed=[Alert.Status.OPEN],
        values={
            "status": Alert.Status.ACKNOWLEDGED,
            "acknowledged_at": now,
            "acknowledged_by": by,
            "acknowledge_note": note,
        },
        note=note,
        now=now,
    )


def alert_snooze_check(*, until, now) -> None:
    """``until`` must be an aware date-time after ``now`` and at most
    ``GAP_ALERT_SNOOZE_MAX_DAYS`` days ahead; a ``ValidationError`` on ``until`` otherwise."""
    if until is None:
        raise ValidationError({"until": ["Say until when it is snoozed."]})
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= now:
        raise ValidationError(
            {"until": [ValidationError("The snooze must end in the future.", code="past")]}
        )
    longest = timedelta(days=settings.GAP_ALERT_SNOOZE_MAX_DAYS)
    if until - now > longest:
        raise ValidationError(
            {
                "until": [
                    ValidationError(
                        f"An alert is snoozed for at most {settings.GAP_ALERT_SNOOZE_MAX_DAYS} "
                        "days; resolve it if it no longer needs attention.",
                        code="too_far",
                    )
                ]
            }
        )


def alerts_snooze(*, alert_ids: Iterable[int], by, until, note: str = "") -> list[int]:
    """Snooze active alerts until ``until`` (an aware date-time), with who, when and why: they
    notify nobody until then unless they worsen (their severity rises). Status is unchanged
    (open or acknowledged). Returns the ids changed (those still active). Raises
    ``ValidationError`` on ``until`` (past, too far) or ``note``."""
    note, now = _alert_note(note), timezone.now()
    if until is not None and timezone.is_naive(until):
        until = timezone.make_aware(until)
    alert_snooze_check(until=until, now=now)
    return _alerts_step(
        alert_ids=alert_ids,
        by=by,
        kind=AlertEvent.Kind.SNOOZED,
        allowed=Alert.ACTIVE_STATUSES,
        values={
            "snoozed_at": now,
            "snoozed_until": until,
            "snoozed_by": by,
            "snooze_note": note,
        },
        note=note,
        until=until,
        now=now,
    )


def alerts_resolve(*, alert_ids: Iterable[int], by, note: str = "") -> list[int]:
    """Open or acknowledged → resolved by a person (never reopened by the engine: if the
    condition still holds, it opens a fresh alert at its next run). Returns the ids changed."""
    note, now = _alert_note(note), timezone.now()
    return _alerts_step(
        alert_ids=alert_ids,
        by=by,
        kind=AlertEvent.Kind.RESOLVED,
        allowed=Alert.ACTIVE_STATUSES,
        values={
            "status": Alert.Status.RESOLVED,
            "resolved_at": now,
            "resolved_by": by,
            "clear_since": None,
        },
        note=note,
        now=now,
    )


def _refresh(alert: Alert, done: list[int]) -> bool:
    if done:
        alert.refresh_from_db()
    return bool(done)


def alert_acknowledge(*, alert: Alert, by, note: str = "") -> bool:
    """``alerts_acknowledge`` of one alert: ``False`` if it was not open any more (someone
    else changed it first); the instance is refreshed when it changed."""
    return _refresh(alert, alerts_acknowledge(alert_ids=[alert.pk], by=by, note=note))


def alert_snooze(*, alert: Alert, by, until, note: str = "") -> bool:
    """``alerts_snooze`` of one alert: ``False`` if it was resolved meanwhile."""
    return _refresh(alert, alerts_snooze(alert_ids=[alert.pk], by=by, until=until, note=note))


def alert_resolve(*, alert: Alert, by, note: str = "") -> bool:
    """``alerts_resolve`` of one alert: ``False`` if it was resolved already."""
    return _refresh(alert, alerts_resolve(alert_ids=[alert.pk], by=by, note=note))
