"""Reasons and alert messages read right at every edge (issue #14, "Texts that read right").

Figures are written from structured parts (``strategy.derived`` quantities) with the plural
and unit rules of ``strategy.quantities``. No database: the scoring and alert functions are
pure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re

import pytest

from metrics.alerts import Subject, initiative_alerts, kpi_alerts
from metrics.scoring import InitiativeFacts, KpiPlan, Thresholds, initiative_score, kpi_score
from metrics.scoring.forecast import METHOD_LABELS, forecast_sentence
from strategy.derived import derived_neutral, part
from strategy.quantities import (
    count_text,
    every_days_text,
    number_text,
    percent_text,
    points_text,
    quantity,
    quantity_text,
    singular,
)
from strategy.templatetags.ui import every_days, in_unit, unit_for

D = dt.date
JAN1, DEC31 = D(2026, 1, 1), D(2026, 12, 31)  # 364 days apart
MID = D(2026, 7, 2)  # day 182: half of the time elapsed
TODAY = D(2026, 7, 5)

# What no sentence may ever say.
BAD = [
    re.compile(r"\binf\b|\bnan\b", re.I),  # a non-finite number written out
    re.compile(r"\d+(\.\d+)?e[+-]?\d+", re.I),  # scientific notation
    re.compile(r"(?<![\d.,])1 (meetings|days|minutes|tickets)\b"),  # "1 meetings"
    re.compile(r"every 1 days?\b"),
    re.compile(r"\b(?!100 )\d{3,} % below"),  # "163 % below trajectory"
]


def _plan(**changes) -> KpiPlan:
    base = KpiPlan(
        name="KPI",
        direction="increase",
        baseline_value=20,
        baseline_date=JAN1,
        target_value=40,
        target_date=DEC31,
        cadence_days=30,
    )
    return dataclasses.replace(base, **changes)


def _reads_right(text: str) -> None:
    for pattern in BAD:
        assert not pattern.search(text), f"{pattern.pattern!r} in {text!r}"


# (case, plan, measurements, must contain, must not contain)
EDGES = [
    (
        "decrease KPI behind the plan: a share of the gap is fine",
        _plan(direction="decrease", baseline_value=90, target_value=30, unit="minutes"),
        [(MID, 70.0)],
        ["70 minutes on 2026-07-02 is 33 % below trajectory", "plan: 60 minutes"],
        [],
    ),
    (
        "decrease KPI beyond its baseline (was '163 % below trajectory')",
        _plan(direction="decrease", baseline_value=60, target_value=30, unit="minutes"),
        [(MID, 70.0)],
        ["70 minutes on 2026-07-02 is worse than its baseline (60 minutes)", "off track"],
        ["below trajectory"],
    ),
    (
        "increase KPI below its baseline",
        _plan(baseline_value=20, target_value=40, unit="deals"),
        [(MID, 12.0)],
        ["12 deals on 2026-07-02 is worse than its baseline (20 deals)", "target (40 deals)"],
        ["below trajectory"],
    ),
    (
        "tiny gap on a percentage KPI (was '99.86 % is 47 % below (plan 99.91 %)')",
        _plan(
            baseline_value=99.8,
            target_value=99.95,
            unit="%",
            trajectory=((MID, 99.91),),
        ),
        [(MID, 99.86)],
        ["99.86 % on 2026-07-02 is 0.05 percentage points below the plan (99.91 %)"],
        ["47 %", "below trajectory"],
    ),
    (
        "decreasing percentage KPI above its plan: points above",
        _plan(direction="decrease", baseline_value=5, target_value=2, unit="%"),
        [(MID, 4.4)],
        ["4.4 % on 2026-07-02 is 0.9 percentage points above the plan (3.5 %)"],
        ["below trajectory"],
    ),
    (
        "beyond the target: on track, over 100 % of the expected progress",
        _plan(unit="%"),
        [(MID, 45.0)],
        ["45 % on 2026-07-02 is at 250 % of the expected progress"],
        [],
    ),
    (
        "extreme target (was 'inf %'): a bound, not a number",
        _plan(baseline_value=0, target_value=1e-9, unit="tickets"),
        [(MID, 40.0)],
        ["40 tickets on 2026-07-02 is at more than 1,000 % of the expected progress"],
        [],
    ),
    (
        "singular count and cadence of one day (was '1 meetings', 'every 1 days')",
        _plan(baseline_value=0, target_value=10, unit="meetings", cadence_days=1),
        [(D(2026, 7, 4), 1.0)],
        ["1 meeting on 2026-07-04", "plan: 5.055 meetings"],
        [],
    ),
    (
        "zero value",
        _plan(baseline_value=0, target_value=10, unit="meetings"),
        [(MID, 0.0)],
        ["0 meetings on 2026-07-02 is 100 % below trajectory"],
        [],
    ),
    (
        "negative values around a negative baseline",
        _plan(baseline_value=-10, target_value=10, unit="EUR"),
        [(MID, -3.0)],
        ["-3 EUR on 2026-07-02 is 30 % below trajectory", "plan: 0 EUR"],
        [],
    ),
    (
        "no measurement yet, measured every day",
        _plan(cadence_days=1, unit="meetings"),
        [],
        ["No measurement yet: one is expected every day from 2026-01-01."],
        [],
    ),
    (
        "stale one day after a daily cadence",
        _plan(cadence_days=1, unit="meetings"),
        [(D(2026, 7, 2), 30.0)],
        ["Stale: last measured on 2026-07-02, 3 days ago, but a value is expected every day"],
        [],
    ),
    (
        "range KPI, outside by a width",
        _plan(direction="range", range_low=40, range_high=48, target_value=44, unit="hours"),
        [(MID, 56.0)],
        ["56 hours on 2026-07-02: outside its range (40 to 48 hours), 100 % of the range's"],
        [],
    ),
    (
        "range KPI inside, singular upper bound",
        _plan(direction="range", range_low=0, range_high=1, target_value=0.5, unit="incidents"),
        [(MID, 1.0)],
        ["1 incident on 2026-07-02: inside its range (0 to 1 incident)."],
        [],
    ),
]


@pytest.mark.parametrize(
    ("plan", "measurements", "present", "absent"),
    [pytest.param(p, m, present, absent, id=case) for case, p, m, present, absent in EDGES],
)
def test_kpi_reason_reads_right_at_the_edges(plan, measurements, present, absent):
    result = kpi_score(plan=plan, measurements=measurements, today=TODAY)
    text = result.reason
    for words in present:
        assert words in text
    for words in absent:
        assert words not in text
    _reads_right(text)
    # The stored parts render the same sentence (they are what pages and the API read).
    assert derived_neutral(result.reason_parts) == text
    for issue in result.data_quality["issues"]:
        _reads_right(issue)
    if result.forecast:
        _reads_right(forecast_sentence(forecast=result.forecast))


def _subject() -> Subject:
    return Subject("kpi", 7, "KPI", owner_id=1, actor_id=1, team_id=1)


def test_stale_alert_says_every_day_and_one_day():
    plan = _plan(cadence_days=1, unit="meetings")
    result = kpi_score(plan=plan, measurements=[(D(2026, 7, 3), 1.0)], today=TODAY)
    spec = next(s for s in kpi_alerts(subject=_subject(), result=result, cadence_days=1))
    assert spec.kind == "kpi_stale"
    assert "has not been measured for 2 days; a value is expected every day." in spec.message
    result.data_quality["days_since_last"] = 1  # (a grace shorter than the cadence)
    spec = kpi_alerts(subject=_subject(), result=result, cadence_days=1)[0]
    assert "for 1 day;" in spec.message
    _reads_right(spec.message)


def test_off_track_alert_of_a_kpi_beyond_its_baseline():
    plan = _plan(direction="decrease", baseline_value=60, target_value=30, unit="minutes")
    result = kpi_score(plan=plan, measurements=[(MID, 70.0)], today=TODAY)
    spec = next(s for s in kpi_alerts(subject=_subject(), result=result, cadence_days=30))
    assert spec.kind == "kpi_off_track"
    assert "worse than its baseline (60 minutes)" in spec.message
    _reads_right(spec.message)


def test_initiative_texts_singular_days_and_extreme_burn():
    facts = InitiativeFacts(
        title="Initiative",
        start_date=D(2026, 1, 1),
        due_date=D(2026, 12, 31),
        status="active",
        reported_progress=0.2,
        milestones=(),
        last_checkin_on=D(2026, 7, 4),
        last_rag="green",
        last_confidence=80.0,
        checkin_cadence_days=1,
        budget_planned=0.01,
        spent=50_000.0,
    )
    result = initiative_score(facts=facts, today=TODAY, thresholds=Thresholds())
    details = {c["key"]: c["detail"] for c in result.components["items"]}
    assert details["checkin_freshness"] == "Last check-in 1 day ago (expected every day)"
    assert details["budget"].startswith("Over budget: more than 1,000 % of the budget spent")
    subject = Subject("initiative", 3, "initiative", owner_id=1, actor_id=1, team_id=1)
    specs = initiative_alerts(subject=subject, result=result, thresholds=Thresholds(), is_open=True)
    over = next(s for s in specs if s.kind == "over_budget")
    assert "has spent more than 1,000 % of its planned budget" in over.message
    for text in [result.reason, *details.values(), *(s.message for s in specs)]:
        _reads_right(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (quantity(1, unit="meetings"), "1 meeting"),
        (quantity(2, unit="meetings"), "2 meetings"),
        (quantity(-1, unit="tickets per week"), "-1 ticket per week"),
        (quantity(1.5, unit="days"), "1.5 days"),
        (quantity(1, unit="enquiries"), "1 enquiry"),
        (quantity(1, unit="boxes"), "1 box"),
        (quantity(1, unit="EUR"), "1 EUR"),
        (quantity(1, unit="%"), "1 %"),
        (quantity(1, unit="status"), "1 status"),
        (quantity(99.86, unit="%"), "99.86 %"),
        (quantity(1200, unit="EUR"), "1,200 EUR"),
        (quantity(0.00001234, unit="kg"), "0.000012 kg"),
        (quantity(math.inf, unit="%"), "not a finite number"),
        (quantity(0.47, "percent"), "47 %"),
        (quantity(-0.004, "percent"), "0 %"),
        (quantity(math.inf, "percent"), "more than 1,000 %"),
        (quantity(-math.inf, "percent"), "less than -1,000 %"),
        (quantity(math.nan, "percent"), "an undefined share"),
        (quantity(0.05, "points"), "0.05 percentage points"),
        (quantity(1, "points"), "1 percentage point"),
        (quantity(0.05319, "points"), "0.05 percentage points"),
        (quantity(18.5749, "points"), "18.57 percentage points"),
        (quantity(0.00432, "points"), "0.004 percentage points"),
        (quantity(1, unit="incidents/month"), "1 incident/month"),
        (quantity(1, unit="€"), "1 €"),
        (quantity(1, "count", one="overdue milestone"), "1 overdue milestone"),
        (quantity(3, "count", one="overdue milestone"), "3 overdue milestones"),
        (quantity(0, "days"), "0 days"),
        (quantity(1, "days"), "1 day"),
        (quantity(1, "every_days"), "every day"),
        (quantity(7, "every_days"), "every 7 days"),
    ],
)
def test_quantity_rules(value, expected):
    assert derived_neutral(part("{x}", x=value)) == expected


def test_a_non_finite_plain_value_in_parts_is_a_phrase():
    assert derived_neutral(part("{x:.0f} points", x=math.inf)) == "not a finite number points"


def test_unknown_quantity_kind_is_refused():
    with pytest.raises(ValueError, match="unknown quantity kind"):
        quantity(1, "furlongs")


@pytest.mark.parametrize(
    ("word", "expected"),
    [("days", "day"), ("meetings", "meeting"), ("classes", "class"), ("status", "status")],
)
def test_singular(word, expected):
    assert singular(word) == expected


def test_text_helpers():
    assert number_text(1e-5) == "0.000010"
    assert quantity_text(1, "hours") == "1 hour"
    assert percent_text(None) == "n/a"
    assert points_text(-1) == "-1 percentage point"
    assert count_text(1, "person", "people") == "1 person"
    assert every_days_text(14) == "every 14 days"


def test_template_filters():
    assert in_unit(1.0, "meetings") == "1 meeting"
    assert in_unit(44.5, "minutes") == "44.50 minutes"
    assert in_unit(None, "minutes") == "—"
    assert in_unit(3, "") == "3"
    assert unit_for("meetings", 1) == "meeting"
    assert unit_for("meetings", 1.004) == "meetings"  # shown as 1.00
    assert every_days(1) == "every day"


def test_method_labels_are_spelled_right():
    assert "Theil\u2013Sen trend" in METHOD_LABELS["theil-sen"]  # an en dash


def test_rollup_reason_counts_points_and_parts_in_the_singular():
    from metrics.scoring import Child, rollup_score

    result = rollup_score(
        children=[
            Child("schedule", "Schedule", 98.0, 1.0, "on_track", "close"),
            Child("budget", "Budget", 100.0, 1.0, "on_track", "fine"),
        ]
    )
    assert "behind mainly because of Schedule (-1 point)." in result.reason
    single = rollup_score(children=[Child("schedule", "Schedule", 60.0, 1.0, "off_track", "late")])
    assert single.reason.startswith("Health 60/100 (1 of 1 part scored)")
    _reads_right(result.reason)
