"""Alert writes of the engine: each outcome's alert specs against the stored alerts.

Alerts change state only through guarded updates (``status`` in the WHERE clause) and the
one-active-alert-per-condition index, so a condition never has two active alerts: an active
alert is refreshed, a new condition opens one (or reopens its recently resolved one), a
condition that no longer fires resolves it (with the hysteresis of ``metrics.alerts``), and an
objective's root alert links its causes' alerts. ``metrics.engine.persist.write_outcomes``
runs them in the transaction of the scores.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When

from metrics.alerts import ROOT_KIND, UNAVAILABLE_KIND, YIELDS_TO, AlertSpec
from metrics.engine.common import Key, Outcome, clean, logger, subjects_q
from metrics.engine.recordset import recordset_insert, recordset_supported
from metrics.models import Alert, AlertEvent, SubjectType
from metrics.scoring.common import UNAVAILABLE


def _scopes(outcomes: list[Outcome]) -> dict[Key, set[str]]:
    scopes: dict[Key, set[str]] = {}
    for outcome in outcomes:
        for key, kinds in outcome.scopes.items():
            scopes.setdefault(key, set()).update(kinds)
        if outcome.result.status != UNAVAILABLE:
            # A subject that computes again clears its "score unavailable" alert.
            scopes.setdefault(outcome.key, set()).add(UNAVAILABLE_KIND)
    return scopes


ALERT_REFRESH_FIELDS = (
    "title",
    "message",
    "title_parts",
    "message_parts",
    "severity",
    "owner_id",
    "team_id",
    "details",
    "peak_severity",
)
# ``last_seen_at`` of an unchanged alert is refreshed at most this often (a query saved on
# most incremental runs).
LAST_SEEN_RESOLUTION = timedelta(hours=1)


def _json(value):
    """As stored and read back from a JSON column (for comparison with the stored value)."""
    return json.loads(json.dumps(clean(value)))


def _peak(alert: Alert) -> int:
    """The highest severity the alert has had (rows from before the field: their severity)."""
    return max(alert.peak_severity, alert.severity)


def _apply(alert: Alert, spec: AlertSpec) -> bool:
    changed = False
    values = {
        "peak_severity": max(_peak(alert), spec.severity),
        "title": spec.title,
        "message": spec.message,
        "title_parts": _json(spec.title_parts),
        "message_parts": _json(spec.message_parts),
        "severity": spec.severity,
        "owner_id": spec.owner_id,
        "team_id": spec.team_id,
        "details": _json(spec.details),
    }
    for name, value in values.items():
        if getattr(alert, name) != value:
            setattr(alert, name, value)
            changed = True
    return changed


def _events(rows: list[tuple[int, str, int]], now: datetime) -> None:
    """The engine's steps of the alert log, in one insert: (alert id, kind, severity)."""
    if rows:
        AlertEvent.objects.bulk_create(
            [AlertEvent(alert_id=i, kind=k, severity=sev, at=now) for i, k, sev in rows],
            batch_size=1000,
        )


def alerts_sync(*, outcomes: list[Outcome], now: datetime) -> list[int]:
    """Open, refresh, reopen and resolve alerts for the evaluated subjects, with hysteresis
    (``metrics.alerts.HYSTERESIS``), and log each step (``AlertEvent``) in bulk.

    * A firing spec opens its alert, or reopens the last automatically resolved one of its
      condition (a person's resolve is final: a fresh alert opens instead). The reopening
      keeps its acknowledgement and snooze unless it worsened (a severity above its
      ``peak_severity``), which clears both.
    * An active alert whose rule no longer fires resolves at once when the condition is
      clearly back (beyond its margin); within its margin (a *holding* spec) it stays active,
      ``clear_since`` is written once, and it resolves when clear for ``GAP_ALERT_CLEAR_DAYS``.
      A spec does not open while an alert it yields to (``metrics.alerts.YIELDS_TO``) is kept
      active on the same subject.
    * An active alert whose severity rises above the highest it has had (``peak_severity``)
      has worsened: a logged step, snooze and acknowledgement end, and it is notified again.
      A severity that wobbles (warning, info, warning) worsens once.

    Returns the ids of alerts to notify: opened, reopened (not acknowledged) and worsened.
    Snoozed ones are held back by the claim (``metrics.notifications.alerts_claim``).
    """
    scopes = _scopes(outcomes)
    if not scopes:
        return []
    specs: dict[str, AlertSpec] = {}
    holding: set[str] = set()
    for outcome in outcomes:
        for spec in outcome.alerts:
            if spec.holding:
                holding.add(spec.dedup_key)
            else:
                specs[spec.dedup_key] = spec
    active = list(
        Alert.objects.filter(subjects_q(scopes), status__in=Alert.ACTIVE_STATUSES).order_by()
    )
    by_key = {a.dedup_key: a for a in active}
    clear_after = timedelta(days=settings.GAP_ALERT_CLEAR_DAYS)
    to_resolve: list[Alert] = []
    clear_start: list[int] = []  # still active within the margin: clear since now
    clear_reset: list[int] = []  # firing again: no longer clear
    kept: dict[Key, set[str]] = {}
    for a in active:
        subject = (a.subject_type, a.subject_id)
        if a.dedup_key in specs:
            if a.clear_since is not None:
                clear_reset.append(a.id)
        elif a.kind in scopes.get(subject, ()):
            if a.dedup_key in holding and (
                a.clear_since is None or now - a.clear_since < clear_after
            ):
                if a.clear_since is None:
                    clear_start.append(a.id)
            else:
                to_resolve.append(a)
                continue
        kept.setdefault(subject, set()).add(a.kind)
    refreshed, changed, worsened = [], [], []
    seen_cutoff = now - LAST_SEEN_RESOLUTION
    for key, spec in specs.items():
        alert = by_key.get(key)
        if alert is not None:
            if spec.severity > _peak(alert):
                worsened.append(alert)
            if _apply(alert, spec):
                alert.last_seen_at = now
                changed.append(alert)
            elif alert.last_seen_at < seen_cutoff:
                refreshed.append(alert.id)
    missing = [
        key
        for key, spec in specs.items()
        if key not in by_key
        and not (YIELDS_TO.get(spec.kind, frozenset()) & kept.get(spec.subject_key, set()))
    ]
    opened: list[int] = []
    events: list[tuple[int, str, int]] = []
    if missing:
        last_resolved: dict[str, Alert] = {}
        for alert in Alert.objects.filter(
            dedup_key__in=missing, status=Alert.Status.RESOLVED
        ).order_by("dedup_key", "-resolved_at", "-id"):
            last_resolved.setdefault(alert.dedup_key, alert)
        reopen = [a for a in last_resolved.values() if a.resolved_by_id is None]
        if reopen:
            opened += _alerts_reopen(reopen=reopen, specs=specs, now=now, events=events)
            reopen = [a for a in reopen if a.reopened_now]
        reopened_keys = {a.dedup_key for a in reopen}
        new = [
            {
                "kind": spec.kind,
                "severity": spec.severity,
                "peak_severity": spec.severity,
                "subject_type": spec.subject_type,
                "subject_id": spec.subject_id,
                "team_id": spec.team_id,
                "dedup_key": key,
                "title": spec.title,
                "message": spec.message,
                "title_parts": clean(spec.title_parts),
                "message_parts": clean(spec.message_parts),
                "details": clean(spec.details),
                "owner_id": spec.owner_id,
            }
            for key, spec in specs.items()
            if key in missing and key not in reopened_keys
        ]
        if new:
            # A concurrent run may have opened the same conditions: the partial unique index
            # keeps one, and we only claim (and notify) the rows this run inserted.
            for alert_id, severity in _alerts_insert(new, now=now):
                opened.append(alert_id)
                events.append((alert_id, AlertEvent.Kind.OPENED, severity))
    if changed:
        Alert.objects.bulk_update(changed, (*ALERT_REFRESH_FIELDS, "last_seen_at"), batch_size=500)
    if worsened:
        ids = [a.id for a in worsened]
        # Worse than when it was acknowledged or snoozed: it needs attention again.
        Alert.objects.filter(id__in=ids, status__in=Alert.ACTIVE_STATUSES).update(
            status=Alert.Status.OPEN,
            acknowledged_at=None,
            acknowledged_by=None,
            snoozed_until=None,
            clear_since=None,
        )
        events += [(a.id, AlertEvent.Kind.WORSENED, a.severity) for a in worsened]
        opened += ids
    if refreshed:
        Alert.objects.filter(id__in=refreshed, status__in=Alert.ACTIVE_STATUSES).update(
            last_seen_at=now
        )
    if clear_start:
        Alert.objects.filter(id__in=clear_start, clear_since__isnull=True).update(clear_since=now)
    if clear_reset:
        Alert.objects.filter(id__in=clear_reset).update(clear_since=None)
    if to_resolve:
        Alert.objects.filter(
            id__in=[a.id for a in to_resolve], status__in=Alert.ACTIVE_STATUSES
        ).update(
            status=Alert.Status.RESOLVED,
            resolved_at=now,
            resolved_by=None,
            last_seen_at=now,
            clear_since=None,
        )
        events += [(a.id, AlertEvent.Kind.RESOLVED, a.severity) for a in to_resolve]
    _events(events, now)
    return opened


def _alerts_insert(rows: list[dict], *, now: datetime) -> list[tuple[int, int]]:
    """Open these alerts (``rows``: attname -> JSON-native value) unless their condition is
    already open (the one-active-alert-per-condition index); returns ``(id, severity)`` of
    each row inserted. One statement on PostgreSQL (``metrics.engine.recordset``)."""
    constants = {"status": Alert.Status.OPEN, "opened_at": now, "last_seen_at": now}
    if recordset_supported():
        return [
            (alert_id, severity)
            for alert_id, severity in recordset_insert(
                model=Alert,
                rows=rows,
                constants=constants,
                returning=("id", "severity"),
                skip_conflicts=True,
            )
        ]
    Alert.objects.bulk_create(
        [Alert(**row, **constants) for row in rows], batch_size=1000, ignore_conflicts=True
    )
    return list(
        Alert.objects.filter(
            dedup_key__in=[row["dedup_key"] for row in rows],
            status=Alert.Status.OPEN,
            opened_at=now,
        ).values_list("id", "severity")
    )


def _alerts_reopen(
    *, reopen: list[Alert], specs: dict[str, AlertSpec], now: datetime, events: list
) -> list[int]:
    """Reopen these automatically resolved alerts (two guarded updates: those that keep their
    acknowledgement and snooze, those that worsened and lose them). Sets ``reopened_now`` on
    each alert; returns the ids to notify (not those still acknowledged)."""
    for alert in reopen:
        alert.reopened_now = False
        alert.worse = specs[alert.dedup_key].severity > _peak(alert)
    common = {
        "resolved_at": None,
        "clear_since": None,
        "opened_at": now,
        "last_seen_at": now,
        "reopened_count": F("reopened_count") + 1,
    }
    keep = [a for a in reopen if not a.worse]
    worse = [a for a in reopen if a.worse]
    try:
        with transaction.atomic():
            if keep:
                Alert.objects.filter(
                    id__in=[a.id for a in keep], status=Alert.Status.RESOLVED
                ).update(
                    status=Case(
                        When(acknowledged_at__isnull=False, then=Value(Alert.Status.ACKNOWLEDGED)),
                        default=Value(Alert.Status.OPEN),
                    ),
                    **common,
                )
            if worse:
                Alert.objects.filter(
                    id__in=[a.id for a in worse], status=Alert.Status.RESOLVED
                ).update(
                    status=Alert.Status.OPEN,
                    acknowledged_at=None,
                    acknowledged_by=None,
                    snoozed_until=None,
                    **common,
                )
    except IntegrityError:
        # Another run opened one of these meanwhile: leave those to it.
        logger.info("Concurrent alert opening; reopening skipped for %s", reopen)
        return []
    notify = []
    for alert in reopen:
        alert.reopened_now = True
        _apply(alert, specs[alert.dedup_key])
        events.append((alert.id, AlertEvent.Kind.REOPENED, alert.severity))
        if alert.worse:
            events.append((alert.id, AlertEvent.Kind.WORSENED, alert.severity))
        if alert.worse or alert.acknowledged_at is None:
            notify.append(alert.id)
    Alert.objects.bulk_update(reopen, ALERT_REFRESH_FIELDS)
    return notify


def alerts_root_link(*, outcomes: list[Outcome]) -> int:
    """Point the active alerts of an objective's parts at the objective's root alert (the
    causes its ``objective_off_track`` spec lists in ``details["causes"]``), and unlink those
    no longer listed; returns how many changed. One query reads the roots, their listed causes
    and what is linked now; only differences are written (a run that changes nothing writes
    nothing)."""
    objective_ids = [o.key[1] for o in outcomes if o.key[0] == SubjectType.OBJECTIVE]
    if not objective_ids:
        return 0
    root_of: dict[str, str] = {}  # cause's dedup key -> its root's dedup key
    for outcome in outcomes:
        for spec in outcome.alerts:
            if spec.kind == ROOT_KIND:
                root_of.update(dict.fromkeys(spec.details.get("causes", []), spec.dedup_key))
    rows = Alert.objects.filter(
        Q(root__subject_type=SubjectType.OBJECTIVE, root__subject_id__in=objective_ids)
        | Q(dedup_key__in={*root_of, *root_of.values()}, status__in=Alert.ACTIVE_STATUSES)
    )
    found = list(rows.order_by().values_list("id", "dedup_key", "status", "root_id"))
    active_id = {key: i for i, key, status, _ in found if status in Alert.ACTIVE_STATUSES}
    changed = []
    for alert_id, key, status, root_id in found:
        if status not in Alert.ACTIVE_STATUSES:
            continue  # a resolved cause keeps the root it had
        want = active_id.get(root_of.get(key, ""))
        if want != root_id:
            changed.append(Alert(id=alert_id, root_id=want))
    if changed:
        Alert.objects.bulk_update(changed, ["root"], batch_size=500)
    return len(changed)
