"""The diff between two frozen packs, on hand-built snapshots (a pure function)."""

from __future__ import annotations

import copy

import pytest

from reviews.diff import pack_diff
from strategy.access import Access
from strategy.derived import DerivedNames, refs_of


def derived_neutral(parts) -> str:
    """The text as the strategy office reads it (every reference named "X")."""
    names = DerivedNames(Access(user_id=1, is_office=True, visible_team_ids=None))
    for key in refs_of(parts):
        names.known(key, name="X", team_id=7)
    return names.text(parts)


def snap(*items: dict, as_of: str = "2026-06-01") -> dict:
    return {"version": 1, "as_of": as_of, "items": list(items), "names": {}}


def kpi(pk=1, **over) -> dict:
    base = {
        "k": "kpi",
        "id": pk,
        "team": 7,
        "name": f"KPI {pk}",
        "unit": "%",
        "baseline": 0.0,
        "target": 100.0,
        "value": 50.0,
        "planned": 50.0,
        "status": "on_track",
        "score": 90.0,
        "reason": "",
        "forecast": {"misses_target": False, "probability": 0.8, "value_at_target": 100.0},
        "revision": None,
    }
    return base | over


def initiative(pk=1, **over) -> dict:
    base = {
        "k": "initiative",
        "id": pk,
        "team": 7,
        "name": f"Initiative {pk}",
        "status": "on_track",
        "score": 85.0,
        "budget": 1000.0,
        "spent": 100.0,
        "checkin_missing": False,
        "silent_days": 3,
        "cadence": 14,
    }
    return base | over


def milestone(pk=1, **over) -> dict:
    base = {
        "k": "milestone",
        "id": pk,
        "team": 7,
        "name": f"Milestone {pk}",
        "initiative": 1,
        "due": "2026-07-01",
        "done": None,
        "overdue": False,
    }
    return base | over


def alert(pk=1, **over) -> dict:
    base = {
        "k": "alert",
        "id": pk,
        "team": 7,
        "name": "KPI off track",
        "severity": 2,
        "subject": ["kpi", 1],
        "title": "KPI off track",
        "message": "",
    }
    return base | over


def action(pk=1, **over) -> dict:
    base = {
        "k": "action",
        "id": pk,
        "team": None,
        "name": "Call the supplier",
        "state": "open",
        "due": "2026-06-20",
        "overdue": False,
        "owner": "Ann",
    }
    return base | over


def kinds(changes) -> list[str]:
    return [c["kind"] for c in changes]


def test_nothing_changed_reports_nothing():
    old = snap(kpi(), initiative(), milestone(), alert(), action())
    assert pack_diff(old, copy.deepcopy(old)) == []


def test_new_red_and_recovery():
    old = snap(kpi(1), kpi(2, status="off_track", score=40.0))
    new = snap(kpi(1, status="off_track", score=45.0), kpi(2, status="at_risk", score=70.0))
    changes = pack_diff(old, new)
    assert kinds(changes) == ["new_red", "recovery"]
    assert changes[0]["subject"] == ["kpi", 1]
    assert changes[1]["subject"] == ["kpi", 2]


def test_kpi_movement_against_trajectory():
    old = snap(kpi(value=50.0, planned=50.0))
    new = snap(kpi(value=52.0, planned=60.0))  # 8 points of the distance fell behind plan
    changes = pack_diff(old, new)
    assert kinds(changes) == ["kpi_movement"]
    assert "behind" in derived_neutral(changes[0]["text"])
    # A move along the trajectory is no change.
    assert pack_diff(old, snap(kpi(value=60.0, planned=60.0))) == []


def test_forecast_turned():
    old = snap(kpi())
    new = snap(kpi(forecast={"misses_target": True, "probability": 0.1, "value_at_target": 70.0}))
    changes = pack_diff(old, new)
    assert kinds(changes) == ["forecast_turned"]
    assert "missing" in derived_neutral(changes[0]["text"])


def test_target_revised_with_reason():
    old = snap(kpi())
    new = snap(kpi(target=80.0, revision={"id": 9, "reason": "Market shrank", "at": "x"}))
    changes = pack_diff(old, new)
    assert "target_revised" in kinds(changes)
    revised = next(c for c in changes if c["kind"] == "target_revised")
    assert "Market shrank" in derived_neutral(revised["text"])


def test_milestones_completed_and_slipped():
    old = snap(milestone(1), milestone(2), milestone(3))
    new = snap(
        milestone(1, done="2026-06-10"),
        milestone(2, due="2026-08-01"),  # moved a month later
        milestone(3, overdue=True),  # now past due
    )
    changes = pack_diff(old, new)
    assert sorted(kinds(changes)) == [
        "milestone_completed",
        "milestone_slipped",
        "milestone_slipped",
    ]
    assert all(c.get("link") == ["initiative", 1] for c in changes)


def test_alerts_opened_and_resolved():
    old = snap(alert(1))
    new = snap(alert(2, severity=3))
    changes = pack_diff(old, new)
    assert kinds(changes) == ["alert_opened", "alert_resolved"]  # the critical one first


def test_spend_and_checkins_missing():
    old = snap(initiative(1), initiative(2))
    new = snap(initiative(1, spent=600.0), initiative(2, checkin_missing=True, silent_days=40))
    changes = pack_diff(old, new)
    assert sorted(kinds(changes)) == ["checkin_missing", "spend"]
    spend = next(c for c in changes if c["kind"] == "spend")
    assert "500" in derived_neutral(spend["text"])


def test_action_items_done_and_slipped():
    old = snap(action(1), action(2))
    new = snap(action(1, state="done"), action(2, overdue=True))
    assert sorted(kinds(pack_diff(old, new))) == ["action_done", "action_slipped"]


def test_ranked_biggest_first():
    old = snap(kpi(1), initiative(1), milestone(1), alert(1, severity=1))
    new = snap(
        kpi(1, status="off_track", score=30.0),
        initiative(1, spent=150.0),
        milestone(1, done="2026-06-10"),
    )
    changes = pack_diff(old, new)
    weights = [c["weight"] for c in changes]
    assert weights == sorted(weights, reverse=True)
    assert changes[0]["kind"] == "new_red"
    assert changes[-1]["kind"] in ("spend", "milestone_completed", "alert_resolved")


def test_a_deeper_fall_ranks_above_a_shallow_one():
    old = snap(kpi(1), kpi(2))
    new = snap(kpi(1, status="off_track", score=80.0), kpi(2, status="off_track", score=20.0))
    assert [c["subject"][1] for c in pack_diff(old, new)] == [2, 1]


def test_first_pack_reports_what_stands_out():
    new = snap(kpi(1, status="off_track"), alert(1), action(1, overdue=True))
    assert sorted(kinds(pack_diff(None, new))) == ["action_slipped", "alert_opened", "new_red"]


def test_the_diff_is_reproducible():
    old = snap(kpi(1), initiative(1))
    new = snap(kpi(1, status="off_track"), initiative(1, spent=900.0))
    assert pack_diff(old, new) == pack_diff(copy.deepcopy(old), copy.deepcopy(new))


@pytest.mark.parametrize("kind", ["strategy", "theme", "objective", "initiative"])
def test_every_scored_subject_can_turn_red(kind):
    item = {"k": kind, "id": 3, "team": None, "name": "x", "status": "at_risk", "score": 70.0}
    changes = pack_diff(snap(item), snap(item | {"status": "off_track", "score": 40.0}))
    assert kinds(changes) == ["new_red"]
