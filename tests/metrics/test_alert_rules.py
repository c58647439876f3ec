"""The severity table and the hysteresis table of ``metrics.alerts`` (issue #14 §3): every row
applied by ``alert_severity`` and by the rules, every kind covered, and the README showing the
tables as the code has them. No database."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.alerts import (
    CRITICAL,
    HYSTERESIS,
    INFO,
    SEVERITY,
    WARNING,
    Subject,
    alert_severity,
    initiative_alerts,
    kpi_alerts,
)
from metrics.models import Alert
from metrics.scoring.common import AT_RISK, OFF_TRACK, ON_TRACK, Result, Thresholds

README = Path(__file__).resolve().parents[2] / "README.md"
NAMES = {INFO: "info", WARNING: "warning", CRITICAL: "critical"}

# One case per row of SEVERITY: (kind, facts for alert_severity).
ROW_CASES = {
    ("kpi_off_track", CRITICAL): {"kpi_kind": "lagging", "forecast_misses": True},
    ("kpi_off_track", WARNING): {"kpi_kind": "leading", "forecast_misses": True},
    ("kpi_at_risk", WARNING): {"forecast_misses": True},
    ("kpi_at_risk", INFO): {"forecast_misses": False},
    ("over_budget", CRITICAL): {"burn": 1.2, "budget_tolerance": 0.15},
    ("over_budget", WARNING): {"burn": 1.1, "budget_tolerance": 0.15},
    ("objective_off_track", CRITICAL): {"parts_severity": CRITICAL},
    ("objective_off_track", WARNING): {"parts_severity": WARNING},
    ("objective_off_track", INFO): {"parts_severity": INFO},
}


@pytest.mark.parametrize(("kind", "when", "severity"), SEVERITY)
def test_each_severity_row(kind, when, severity):
    facts = ROW_CASES.get((kind, severity), {})
    assert alert_severity(kind, **facts) == severity, when


def test_off_track_is_critical_only_for_a_lagging_kpi_forecast_to_miss():
    assert alert_severity("kpi_off_track", kpi_kind="lagging", forecast_misses=False) == WARNING
    assert alert_severity("kpi_off_track", kpi_kind="leading", forecast_misses=False) == WARNING


def test_every_kind_has_a_severity_row_and_a_hysteresis_rule():
    kinds = set(Alert.Kind.values)
    assert {kind for kind, _, _ in SEVERITY} == kinds
    assert set(HYSTERESIS) == kinds


def test_readme_shows_the_tables_as_written():
    text = README.read_text()
    for kind, when, severity in SEVERITY:
        assert f"| `{kind}` | {when} | {NAMES[severity]} |" in text, (kind, when)
    for kind, (_margin, back) in HYSTERESIS.items():
        assert f"| `{kind}` | {back} |" in text, kind


def _subject():
    return Subject(subject_type="kpi", subject_id=1, label="KPI", owner_id=7, actor_id=7, team_id=3)


def _forecast(p):
    return {
        "probability_on_target": p,
        "value_at_target": 30.0,
        "interval_level": 0.8,
        "interval_low": 25.0,
        "interval_high": 35.0,
        "method": "robust-rw-drift",
        "projected_target_date": None,
        "reach": "never",
    }


@pytest.mark.parametrize(
    ("kpi_kind", "p", "severity"),
    [("lagging", 0.2, CRITICAL), ("lagging", 0.8, WARNING), ("leading", 0.2, WARNING)],
)
def test_the_kpi_rule_applies_the_table(kpi_kind, p, severity):
    result = Result(status=OFF_TRACK, reason="Behind.", attainment=0.5, forecast=_forecast(p))
    specs = kpi_alerts(subject=_subject(), result=result, cadence_days=7, kpi_kind=kpi_kind)
    (spec,) = [s for s in specs if s.kind == "kpi_off_track"]
    assert spec.severity == severity


@pytest.mark.parametrize(
    ("status", "attainment", "p", "firing", "holding"),
    [
        (AT_RISK, 0.75, 0.45, {"kpi_at_risk", "kpi_forecast_miss"}, {"kpi_off_track"}),
        (ON_TRACK, 0.92, 0.55, set(), {"kpi_at_risk", "kpi_forecast_miss"}),
        (ON_TRACK, 1.0, 0.9, set(), set()),  # clearly back on every count
        (OFF_TRACK, 0.5, 0.3, {"kpi_off_track"}, {"kpi_at_risk", "kpi_forecast_miss"}),
    ],
)
def test_kpi_rules_hold_within_their_margins(status, attainment, p, firing, holding):
    result = Result(status=status, reason="r", attainment=attainment, forecast=_forecast(p))
    specs = kpi_alerts(subject=_subject(), result=result, cadence_days=7, thresholds=Thresholds())
    assert {s.kind for s in specs if not s.holding} == firing
    assert {s.kind for s in specs if s.holding} == holding


def test_over_budget_severity_from_the_initiative_rule():
    def burn(spent):
        result = Result(
            status=AT_RISK,
            reason="r",
            components={
                "facts": {"burn": spent, "delivered": 0.9, "spent": spent, "budget_planned": 1}
            },
        )
        subject = Subject(
            subject_type="initiative",
            subject_id=1,
            label="initiative",
            owner_id=7,
            actor_id=7,
            team_id=3,
        )
        specs = initiative_alerts(
            subject=subject, result=result, thresholds=Thresholds(), is_open=True
        )
        return {s.kind: s.severity for s in specs if not s.holding}

    assert burn(1.2)["over_budget"] == CRITICAL
    assert burn(1.1)["over_budget"] == WARNING
