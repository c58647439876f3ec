"""The agility figures: the median times from an alert to its acknowledgement and to its
resolution, and from a red check-in to a re-plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Min, Q
from django.urls import reverse

from assessment.evidence.scope import (
    REPLAN_FIELDS,
    EvidenceRow,
    EvidenceScope,
    _initiatives,
    _median,
)
from initiatives.models import CheckIn, Initiative
from metrics.models import Alert, AlertEvent


# Alerts ---------------------------------------------------------------------------------------
def _alert_times(scope: EvidenceScope) -> Sequence[Mapping[str, Any]]:
    """Per alert in scope: first opened, acknowledged and resolved event times by ``as_of``."""
    if "alerts" in scope._cache:
        return scope._cache["alerts"]
    alerts = Alert.objects.filter(scope.access.alert_filter())
    if scope.team_ids is not None:
        team_q = Q(team_id__in_ids=scope.team_ids)
        # The organisation's view also has the alerts without a team (themes, the strategy).
        alerts = alerts.filter((team_q | Q(team_id__isnull=True)) if scope.team is None else team_q)
    kinds = AlertEvent.Kind
    rows = list(
        AlertEvent.objects.filter(alert_id__in=alerts.values("pk"), at__lt=scope.end)
        .values("alert_id")
        .annotate(
            opened=Min("at", filter=Q(kind=kinds.OPENED)),
            acknowledged=Min("at", filter=Q(kind=kinds.ACKNOWLEDGED)),
            resolved=Min("at", filter=Q(kind=kinds.RESOLVED)),
        )
        .filter(opened__isnull=False)
        .values("alert_id", "alert__title", "opened", "acknowledged", "resolved")
        .order_by("alert_id")
    )
    scope._cache["alerts"] = rows
    return rows


def _hours(row: Mapping[str, Any], key: str) -> float | None:
    if row[key] is None or row[key] < row["opened"]:
        return None
    return (row[key] - row["opened"]).total_seconds() / 3600


def _alert_figure(key: str, verb: str):
    def compute(scope):
        rows = _alert_times(scope)
        if not rows:
            return None, False, "Not tracked yet: no alert has been raised."
        hours = [h for h in (_hours(r, key) for r in rows) if h is not None]
        return (
            _median(hours),
            True,
            f"{len(hours)} of {len(rows)} alerts {verb}; {len(rows) - len(hours)} not yet.",
        )

    def rows(scope):
        return [
            EvidenceRow(
                "alert",
                r["alert_id"],
                r["alert__title"],
                reverse("metrics:alert-detail", args=[r["alert_id"]]),
                None,
                "not yet" if (h := _hours(r, key)) is None else f"{h:.1f} hours",
            )
            for r in _alert_times(scope)
        ]

    return compute, rows


# Re-plans after an off-track signal -------------------------------------------------------
def _replans(scope: EvidenceScope) -> list[tuple[dict, float | None]]:
    if "replans" in scope._cache:
        return scope._cache["replans"]
    signals = list(
        _initiatives(scope)
        .annotate(
            signal=Min(
                "checkins__created_at",
                filter=Q(checkins__rag=CheckIn.Rag.RED, checkins__created_at__lt=scope.end),
            )
        )
        .filter(signal__isnull=False)
        .order_by("pk")
        .values("pk", "title", "signal")
    )
    result: list[tuple[dict, float | None]] = []
    if signals:
        history = Initiative.history.model.objects.filter(
            id__in=[s["pk"] for s in signals], history_date__lt=scope.end
        ).order_by("id", "history_date", "history_id")
        previous: dict[int, tuple] = {}
        first_change: dict[int, dt.datetime] = {}
        signal_at = {s["pk"]: s["signal"] for s in signals}
        for record in history.values("id", "history_date", *REPLAN_FIELDS):
            pk = record["id"]
            values = tuple(record[f] for f in REPLAN_FIELDS)
            before = previous.get(pk)
            previous[pk] = values
            if (
                before is not None
                and before != values
                and pk not in first_change
                and record["history_date"] > signal_at[pk]
            ):
                first_change[pk] = record["history_date"]
        for s in signals:
            changed = first_change.get(s["pk"])
            days = None if changed is None else (changed - s["signal"]).total_seconds() / 86400
            result.append((s, days))
    scope._cache["replans"] = result
    return result


def _replan_compute(scope):
    rows = _replans(scope)
    if not rows:
        return None, False, "Not tracked yet: no initiative has reported red."
    days = [d for _, d in rows if d is not None]
    return (
        _median(days),
        True,
        f"{len(days)} of {len(rows)} initiatives that went red were re-planned; "
        f"{len(rows) - len(days)} not yet.",
    )


def _replan_rows(scope):
    return [
        EvidenceRow(
            "initiative",
            s["pk"],
            s["title"],
            reverse("initiatives:initiative-detail", args=[s["pk"]]),
            None,
            "not re-planned yet" if days is None else f"{days:.1f} days",
        )
        for s, days in _replans(scope)
    ]
