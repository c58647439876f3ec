"""Issue #19: the engine's full recompute of a seeded plan gives the scores and alerts it gave
before scoring moved off numpy on short series.

``tests/metrics/data/scoring_golden.json`` was written by this module (``SCORING_GOLDEN_WRITE=1``)
with the code before the change (d589eca). The plan: 24 KPIs (daily, weekly, fortnightly and
monthly; increasing, decreasing and range; trends, random walks, constant and frozen feeds,
spikes, stale and nearly empty series, large magnitudes), two objectives, two initiatives.
Figures must agree within 1e-12 relative; statuses, reasons, texts and alerts exactly. Ids
differ from run to run (and between SQLite and PostgreSQL), so they are replaced by the
subjects' names first, and the input fingerprints (hashes over ids) are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest

from initiatives.models import Initiative, Milestone
from metrics.engine.run import full_recompute
from metrics.models import KPI, Alert, GapScore, Measurement
from strategy.models import Objective, Strategy, Team, Theme
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MilestoneFactory,
    ObjectiveFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)
from tests.metrics.test_scoring_unchanged import assert_same

GOLDEN = Path(__file__).parent / "data" / "scoring_golden.json"
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 22, 0, tzinfo=dt.UTC)

CADENCES = [1, 7, 14, 30]
POINTS = {1: 120, 7: 40, 14: 20, 30: 14}
DIRECTIONS = ["increase", "decrease", "range"]
PATTERNS = ["trend", "walk", "constant", "spike", "stale", "few", "frozen", "large"]


def _values(rng: random.Random, pattern: str, n: int, start: float, step: float) -> list[float]:
    if pattern == "constant":
        return [start] * n
    if pattern == "walk":
        values, v = [], start
        for _ in range(n):
            v += rng.gauss(step, abs(step) * 3 + 0.5)
            values.append(round(v, 2))
        return values
    values = [round(start + step * i + rng.gauss(0, abs(step) + 0.1), 2) for i in range(n)]
    if pattern == "spike":
        values[n // 2] *= 8
        values[-1] = values[-2] * 6
    if pattern == "frozen":
        values[-6:] = [values[-7]] * 6
    if pattern == "large":
        values = [v * 1e9 + 3e12 for v in values]
    return values


def plan_seed() -> None:
    """The seeded plan (names fixed, ids whatever the database gives)."""
    rng = random.Random(19)
    owner = UserFactory(email="golden.owner@example.com")
    team = TeamFactory(name="Golden team", slug="golden-team")
    strategy = StrategyFactory(name="Golden", status=Strategy.Status.ACTIVE, owner=owner)
    theme = ThemeFactory(strategy=strategy, name="Golden theme")
    parent = ObjectiveFactory(
        theme=theme, team=team, owner=owner, key="golden-parent", title="Golden parent"
    )
    child = ObjectiveFactory(
        theme=theme,
        team=team,
        owner=owner,
        parent=parent,
        key="golden-child",
        title="Golden child",
    )
    for k in range(24):
        cadence = CADENCES[k % 4]
        direction = DIRECTIONS[k % 3]
        pattern = PATTERNS[k % 8]
        n = 3 if pattern == "few" else POINTS[cadence]
        baseline, target = (40.0, 20.0) if direction == "decrease" else (20.0, 40.0)
        step = (target - baseline) / (365 / cadence) * rng.uniform(0.2, 1.6)
        values = _values(rng, pattern, n, baseline, step)
        if pattern == "large":
            baseline, target = baseline * 1e9 + 3e12, target * 1e9 + 3e12
        kpi = KPIFactory(
            key=f"golden-{k}",
            name=f"Golden KPI {k} ({pattern}, every {cadence} d, {direction})",
            objective=parent if k % 2 else child,
            team=team,
            owner=owner,
            unit="%" if k % 5 == 0 else "",
            direction=direction,
            baseline_value=baseline,
            target_value=target,
            range_low=20.0 if direction == "range" else None,
            range_high=30.0 if direction == "range" else None,
            baseline_date=dt.date(2026, 1, 1),
            target_date=dt.date(2026, 12, 31),
            cadence_days=cadence,
        )
        end = TODAY - dt.timedelta(days=100 if pattern == "stale" else rng.randint(0, cadence - 1))
        Measurement.objects.bulk_create(
            Measurement(kpi=kpi, as_of=end - dt.timedelta(days=cadence * (n - 1 - i)), value=v)
            for i, v in enumerate(values)
        )
    for i, objective in enumerate([parent, child]):
        initiative = InitiativeFactory(
            objective=objective,
            team=team,
            owner=owner,
            key=f"golden-initiative-{i}",
            title=f"Golden initiative {i}",
            budget_planned=Decimal("100000"),
            start_date=dt.date(2026, 1, 1),
            due_date=dt.date(2026, 12, 31),
            progress=30 + 20 * i,
        )
        MilestoneFactory(
            initiative=initiative,
            title=f"Golden milestone {i}",
            due_date=dt.date(2026, 3, 1),
            completed_on=dt.date(2026, 2, 20) if i else None,
        )


def _labels() -> dict[tuple[str, int], str]:
    labels: dict[tuple[str, int], str] = {}
    for kind, model, field in (
        ("kpi", KPI, "key"),
        ("initiative", Initiative, "key"),
        ("objective", Objective, "key"),
        ("theme", Theme, "name"),
        ("strategy", Strategy, "name"),
        ("team", Team, "slug"),
        ("milestone", Milestone, "title"),
    ):
        for pk, label in model.objects.values_list("id", field):
            labels[(kind, pk)] = label
    return labels


# Keys of ``components.facts`` whose items carry the id of another kind of object.
FACT_KINDS = {"overdue_milestones": "milestone"}


def _named(value, labels: dict, kind: str | None = None):
    """``value`` with every subject id replaced by its subject's name."""
    if isinstance(value, dict):
        kind = value.get("subject_type", value.get("type", kind))
        out = {}
        for key, item in value.items():
            if key == "fingerprint":
                continue  # a hash of the inputs, their ids included: not a result
            if key in ("subject_id", "id") and isinstance(item, int) and (kind, item) in labels:
                out[key] = labels[(kind, item)]
            else:
                # A list of facts about one kind of object ("overdue_milestones") names that
                # kind: its ids are not the enclosing subject's.
                out[key] = _named(item, labels, FACT_KINDS.get(key, kind))
        return out
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], int) and tuple(value) in labels:
            return [value[0], labels[tuple(value)]]  # a reference: ["kpi", 12]
        return [_named(item, labels, kind) for item in value]
    if isinstance(value, str):
        return re.sub(
            r"\b(kpi|initiative|milestone|objective|theme|strategy|team)[:/](\d+)",
            lambda m: f"{m[1]}:{labels.get((m[1], int(m[2])), m[2])}",
            value,
        )
    return value


SCORE_FIELDS = [
    "status",
    "reason",
    "reason_parts",
    "score",
    "progress",
    "achievement",
    "expected_progress",
    "attainment",
    "gap",
    "forecast",
    "data_quality",
    "components",
    "contributors",
]
ALERT_FIELDS = [
    "kind",
    "severity",
    "status",
    "dedup_key",
    "title",
    "message",
    "title_parts",
    "message_parts",
    "details",
]


def snapshot() -> dict:
    """The latest scores and the alerts after the recompute, by subject name."""
    labels = _labels()
    scores = {}
    for row in GapScore.objects.filter(is_latest=True).values(
        "subject_type", "subject_id", *SCORE_FIELDS
    ):
        name = f"{row['subject_type']}:{labels[(row['subject_type'], row['subject_id'])]}"
        scores[name] = _named({f: row[f] for f in SCORE_FIELDS}, labels, row["subject_type"])
    alerts = []
    for row in Alert.objects.values("subject_type", "subject_id", *ALERT_FIELDS):
        name = f"{row['subject_type']}:{labels[(row['subject_type'], row['subject_id'])]}"
        alerts.append({"subject": name, **_named({f: row[f] for f in ALERT_FIELDS}, labels)})
    alerts.sort(key=lambda a: (a["subject"], a["kind"], a["dedup_key"]))
    # Through JSON, as stored: tuples become lists, dates strings.
    return json.loads(json.dumps({"scores": scores, "alerts": alerts}, default=str))


@pytest.mark.django_db
def test_golden_full_recompute():
    plan_seed()
    full_recompute(today=TODAY, now=NOW)
    got = snapshot()
    if os.environ.get("SCORING_GOLDEN_WRITE") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"wrote {GOLDEN}")
    golden = json.loads(GOLDEN.read_text())
    assert len(golden["scores"]) >= 30
    assert golden["alerts"]
    assert_same(got, golden)
