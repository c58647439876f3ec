"""What changed between two frozen packs of one review: a pure function of the two snapshots
(no database, no clock), so a diff is reproducible from the packs alone.

``pack_diff(old, new)`` returns changes, biggest first. Each change is a plain dict::

    {"key": "new_red:kpi:5",         # stable: meeting mode marks it discussed
     "kind": "new_red",              # one of KINDS
     "subject": ["kpi", 5],          # what it is about (its page is linked)
     "team": 3 | None,               # the subject's team in the newer pack (privacy)
     "weight": 112.5,                # ranking: larger is bigger
     "text": derived parts}          # strategy.derived parts, references not names

Kinds: new reds and recoveries (any scored subject), KPI movements against the trajectory,
forecasts that turned, milestones completed or slipped, targets revised (with their reason),
alerts opened and resolved, spend since last time, check-ins missing, action items done and
slipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from strategy.derived import part, ref
from strategy.quantities import quantity

KINDS = {
    "new_red": "Turned red",
    "recovery": "Recovered",
    "kpi_movement": "KPI moved against its trajectory",
    "forecast_turned": "Forecast turned",
    "milestone_completed": "Milestone completed",
    "milestone_slipped": "Milestone slipped",
    "target_revised": "Target revised",
    "alert_opened": "Alert opened",
    "alert_resolved": "Alert resolved",
    "spend": "Spend since the last pack",
    "checkin_missing": "Check-in missing",
    "action_done": "Action item done",
    "action_slipped": "Action item slipped",
}
SCORED = ("strategy", "theme", "objective", "initiative", "kpi")
RED = "off_track"
MOVEMENT_MIN = 0.05  # share of the baseline-to-target distance that counts as a movement


def _index(snapshot: dict | None) -> dict[tuple[str, int], dict]:
    if not snapshot:
        return {}
    return {(item["k"], item["id"]): item for item in snapshot.get("items", [])}


def _change(kind: str, item: dict, weight: float, text: Any, subject=None) -> dict:
    subject = subject or [item["k"], item["id"]]
    return {
        "key": f"{kind}:{subject[0]}:{subject[1]}",
        "kind": kind,
        "subject": list(subject),
        "team": item.get("team"),
        "weight": round(float(weight), 3),
        "text": text,
    }


def _relative_gap(item: dict) -> float | None:
    """(value - planned) over the baseline-to-target distance, signed so that positive is
    better than plan; None without a value or a plan."""
    value, planned = item.get("value"), item.get("planned")
    baseline, target = item.get("baseline"), item.get("target")
    if value is None or planned is None or baseline is None or target is None:
        return None
    if target == baseline:
        return None
    return (value - planned) / (target - baseline)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def pack_diff(old: dict | None, new: dict) -> list[dict]:
    """The changes from ``old`` to ``new`` (two ``pack_snapshot`` results of one review),
    biggest first; ``old`` None (the first pack) reports what stands out now: reds, missing
    check-ins, open alerts and slipped action items. Nothing changed: an empty list."""
    before, after = _index(old), _index(new)
    changes: list[dict] = []
    for key, item in after.items():
        kind = key[0]
        was = before.get(key)
        subject = ref(kind, item["id"])
        if kind in SCORED:
            status, then = item.get("status"), (was or {}).get("status")
            score, score_then = item.get("score"), (was or {}).get("score")
            drop = (score_then - score) if score is not None and score_then is not None else 0.0
            if status == RED and then != RED:
                changes.append(
                    _change(
                        "new_red",
                        item,
                        100 + max(drop, 0) + _rank(kind),
                        part(
                            "{0} turned red: {r}",
                            about=key,
                            **{"0": subject, "r": item.get("reason") or ""},
                        ),
                    )
                )
            elif was is not None and then == RED and status in ("on_track", "at_risk"):
                changes.append(
                    _change(
                        "recovery",
                        item,
                        60 + max(-drop, 0) + _rank(kind),
                        part(
                            "{0} recovered ({s})",
                            about=key,
                            **{"0": subject, "s": status.replace("_", " ")},
                        ),
                    )
                )
        if kind == "kpi":
            changes.extend(_kpi_changes(item, was, subject))
        elif kind == "milestone":
            changes.extend(_milestone_changes(item, was, subject, new))
        elif kind == "initiative":
            changes.extend(_initiative_changes(item, was, subject))
        elif kind == "alert" and was is None:
            changes.append(
                _change(
                    "alert_opened",
                    item,
                    20 + 15 * int(item.get("severity") or 1),
                    part(
                        "Alert opened: {t}", about=tuple(item["subject"]), t=item.get("title") or ""
                    ),
                    subject=item["subject"],
                )
                | {"key": f"alert_opened:alert:{item['id']}"}
            )
        elif kind == "action":
            changes.extend(_action_changes(item, was))
    for key, item in before.items():
        if key[0] == "alert" and key not in after:
            changes.append(
                _change(
                    "alert_resolved",
                    item,
                    25 + 5 * int(item.get("severity") or 1),
                    part(
                        "Alert resolved: {t}",
                        about=tuple(item["subject"]),
                        t=item.get("title") or "",
                    ),
                    subject=item["subject"],
                )
                | {"key": f"alert_resolved:alert:{item['id']}"}
            )
    changes.sort(key=lambda c: (-c["weight"], c["key"]))
    return changes


def _rank(kind: str) -> float:
    """Bigger subjects first among equals: the strategy, a theme, an objective..."""
    return {"strategy": 5, "theme": 4, "objective": 3, "initiative": 2, "kpi": 1}.get(kind, 0)


def _kpi_changes(item: dict, was: dict | None, subject: dict) -> list[dict]:
    out: list[dict] = []
    key = ("kpi", item["id"])
    if was is None:
        return out
    gap, gap_then = _relative_gap(item), _relative_gap(was)
    if gap is not None and gap_then is not None and abs(gap - gap_then) >= MOVEMENT_MIN:
        moved = gap - gap_then
        out.append(
            _change(
                "kpi_movement",
                item,
                40 + min(100 * abs(moved), 50),
                part(
                    "{0} moved {d} against its trajectory ({v} then, {n} now; plan {p})",
                    about=key,
                    **{
                        "0": subject,
                        "d": "ahead" if moved > 0 else "behind",
                        "v": quantity(was["value"], unit=item.get("unit") or ""),
                        "n": quantity(item["value"], unit=item.get("unit") or ""),
                        "p": quantity(item["planned"], unit=item.get("unit") or ""),
                    },
                ),
            )
        )
    forecast, then = item.get("forecast"), was.get("forecast")
    if forecast and then and forecast.get("misses_target") != then.get("misses_target"):
        misses = forecast.get("misses_target")
        out.append(
            _change(
                "forecast_turned",
                item,
                70 if misses else 50,
                part(
                    "The forecast of {0} turned: now {w} its target",
                    about=key,
                    **{"0": subject, "w": "missing" if misses else "reaching"},
                ),
            )
        )
    revision, revision_then = item.get("revision"), was.get("revision")
    if revision and (not revision_then or revision_then.get("id") != revision.get("id")):
        out.append(
            _change(
                "target_revised",
                item,
                45,
                part(
                    "The target of {0} was revised ({t} then, {n} now): {r}",
                    about=key,
                    **{
                        "0": subject,
                        "t": quantity(was.get("target"), unit=item.get("unit") or ""),
                        "n": quantity(item.get("target"), unit=item.get("unit") or ""),
                        "r": revision.get("reason") or "",
                    },
                ),
            )
        )
    return out


def _milestone_changes(item: dict, was: dict | None, subject: dict, new: dict) -> list[dict]:
    key = ("milestone", item["id"])
    subject_of = ["initiative", item.get("initiative")]
    if was is None:
        return []
    if item.get("done") and not was.get("done"):
        return [
            _change(
                "milestone_completed",
                item,
                30,
                part("{0} completed on {d}", about=key, **{"0": subject, "d": item["done"]}),
                subject=["milestone", item["id"]],
            )
            | {"link": subject_of}
        ]
    due, due_then = _date(item.get("due")), _date(was.get("due"))
    moved = (due - due_then).days if due and due_then else 0
    if not item.get("done") and (moved > 0 or (item.get("overdue") and not was.get("overdue"))):
        # A pack has its date; an overdue milestone, its due date.
        days = (
            moved
            if moved > 0
            else (cast(dt.date, _date(new.get("as_of"))) - cast(dt.date, due)).days
        )
        return [
            _change(
                "milestone_slipped",
                item,
                55 + min(days, 90) / 3,
                part(
                    "{0} slipped: {w}",
                    about=key,
                    **{
                        "0": subject,
                        "w": (
                            f"due {item['due']} instead of {was['due']}"
                            if moved > 0
                            else f"overdue since {item['due']}"
                        ),
                    },
                ),
                subject=["milestone", item["id"]],
            )
            | {"link": subject_of}
        ]
    return []


def _initiative_changes(item: dict, was: dict | None, subject: dict) -> list[dict]:
    out = []
    key = ("initiative", item["id"])
    spent, spent_then = item.get("spent") or 0.0, (was or {}).get("spent") or 0.0
    if was is not None and spent - spent_then > 0:
        delta = spent - spent_then
        budget = item.get("budget") or 0.0
        share = delta / budget if budget else 1.0
        out.append(
            _change(
                "spend",
                item,
                20 + 30 * min(share, 1.0),
                part(
                    "{0} spent {d} since the last pack ({s} of {b} budget)",
                    about=key,
                    **{
                        "0": subject,
                        "d": quantity(delta, unit=""),
                        "s": quantity(spent, unit=""),
                        "b": quantity(budget, unit=""),
                    },
                ),
            )
        )
    if item.get("checkin_missing") and not (was or {}).get("checkin_missing"):
        out.append(
            _change(
                "checkin_missing",
                item,
                35,
                part(
                    "{0} has no check-in for {n} days (every {c} days expected)",
                    about=key,
                    **{"0": subject, "n": item.get("silent_days"), "c": item.get("cadence")},
                ),
            )
        )
    return out


def _action_changes(item: dict, was: dict | None) -> list[dict]:
    subject = ["action", item["id"]]
    if item.get("state") == "done" and (was is None or was.get("state") != "done"):
        return [
            _change(
                "action_done",
                item,
                25,
                part("Action item done: {t}", t=item["name"]),
                subject=subject,
            )
        ]
    if item.get("overdue") and not (was or {}).get("overdue"):
        return [
            _change(
                "action_slipped",
                item,
                50,
                part("Action item slipped: {t} (due {d})", t=item["name"], d=item.get("due")),
                subject=subject,
            )
        ]
    return []
