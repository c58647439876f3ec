"""On the demo, every KPI's forecast follows its trend (issue #13).

Before, the window was the last 12 points whatever the cadence: a daily KPI was projected from
12 days of noise against months of trend ("Median first response time" projected up, 0 %,
while the series clearly fell). Checked on every KPI with at least 6 measurements in its last
90 days (daily and weekly ones; a monthly KPI has 3) whose trend over them is not flat.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from django.core.management import call_command

from metrics.engine.common import engine_thresholds
from metrics.engine.kpis import kpis_compute
from metrics.models import KPI, Measurement
from metrics.scoring.forecast import theil_sen

TODAY = dt.date(2026, 11, 27)


@pytest.mark.django_db
def test_every_demo_kpi_projects_the_sign_of_its_90_day_robust_trend(settings):
    settings.DEBUG = True  # seed_demo refuses DEBUG=false (production) without a flag
    call_command(
        "seed_demo",
        f"--today={TODAY:%Y-%m-%d}",
        "--no-progress",
        "--no-scores",
        stdout=io.StringIO(),
    )
    ids = list(KPI.objects.filter(is_active=True).values_list("id", flat=True))
    outcomes = kpis_compute(kpi_ids=ids, today=TODAY, thresholds=engine_thresholds())
    series: dict[int, list[tuple[dt.date, float]]] = {}
    for kpi_id, as_of, value in (
        Measurement.objects.filter(kpi_id__in=ids, as_of__lte=TODAY)
        .values_list("kpi_id", "as_of", "value")
        .order_by("as_of")
    ):
        series.setdefault(kpi_id, []).append((as_of, value))
    checked, wrong = 0, []
    for outcome in outcomes:
        forecast = outcome.result.forecast
        if not forecast or forecast["method"] != "robust-rw-drift":
            continue
        points = series[outcome.subject.subject_id]
        last = points[-1][0]
        recent = [(d, v) for d, v in points if d > last - dt.timedelta(days=90)]
        if len(recent) < 6:
            continue  # monthly and slower: 90 days hold too few points for a fit
        x = np.array([(d - last).days for d, _ in recent], dtype=float)
        y = np.array([v for _, v in recent], dtype=float)
        _, robust = theil_sen(x, y)
        typical = float(np.median(np.abs(np.diff(y)))) or 1.0
        if abs(robust) * 90 < typical:
            continue  # flat over the quarter (less than one typical change): no sign to follow
        checked += 1
        if np.sign(forecast["slope_per_day"]) != np.sign(robust):
            wrong.append((outcome.subject.label, forecast["slope_per_day"], robust))
    assert checked >= 10
    assert wrong == [], "\n".join(map(str, wrong))
