"""The scoring stage alone: data quality and forecast of every KPI, the current plain-Python
code against the numpy code it replaced (issue #19), as a ratio (not a test).

Usage, on any seeded database (nothing is written):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_h6 python bench/bench_scoring.py

Reads each KPI's newest measurements once (as many as the engine reads,
``forecast_read_points``), then times ``kpi_data_quality`` + ``kpi_forecast`` over all KPIs
with the frozen numpy copy (tests/metrics/scoring_reference.py) and with the current code,
interleaved over ``--repeat`` repetitions (which goes first alternates). Prints the minimum
and median of each, their ratio (current / numpy) and the machine's pace before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cpu import machine_pace, pace_line  # noqa: E402  (bench/cpu.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from django.utils import timezone

    from metrics.engine.common import engine_thresholds
    from metrics.models import KPI, Measurement
    from metrics.scoring.forecast import forecast_read_points, kpi_forecast
    from metrics.scoring.kpi import KpiPlan
    from metrics.scoring.quality import kpi_data_quality
    from tests.metrics import scoring_reference as numpy_code

    t = engine_thresholds()
    today = timezone.localdate()
    series: dict[int, list] = {}
    for kpi_id, as_of, value in (
        Measurement.objects.filter(as_of__lte=today)
        .order_by("kpi_id", "as_of")
        .values_list("kpi_id", "as_of", "value")
    ):
        series.setdefault(kpi_id, []).append((as_of, value))
    work = []
    for k in KPI.objects.all():
        read = forecast_read_points(cadence_days=k.cadence_days, thresholds=t)
        plan = KpiPlan(
            name=k.name,
            direction=k.direction,
            baseline_value=k.baseline_value,
            baseline_date=k.baseline_date,
            target_value=k.target_value,
            target_date=k.target_date,
            cadence_days=k.cadence_days,
            range_low=k.range_low,
            range_high=k.range_high,
        )
        work.append((plan, series.get(k.id, [])[-read:]))

    def run(forecast, quality) -> float:
        began = time.perf_counter()
        for plan, points in work:
            quality(
                measurements=points[-t.quality_window :],
                cadence_days=plan.cadence_days,
                today=today,
                target_date=plan.target_date,
                thresholds=t,
            )
            forecast(plan=plan, measurements=points, today=today, thresholds=t)
        return time.perf_counter() - began

    pace = machine_pace()
    times: dict[str, list[float]] = {"numpy": [], "current": []}
    for rep in range(args.repeat):
        for name in ("numpy", "current") if rep % 2 == 0 else ("current", "numpy"):
            if name == "numpy":
                times[name].append(run(numpy_code.kpi_forecast, numpy_code.kpi_data_quality))
            else:
                times[name].append(run(kpi_forecast, kpi_data_quality))
    old, new = times["numpy"], times["current"]
    print(f"{len(work):,} KPIs, {sum(len(p) for _, p in work):,} measurements read")
    print(f"numpy code: min {min(old) * 1e3:.0f} ms, median {statistics.median(old) * 1e3:.0f} ms")
    print(f"current: min {min(new) * 1e3:.0f} ms, median {statistics.median(new) * 1e3:.0f} ms")
    print(
        f"current / numpy: {min(new) / min(old):.2f} (min), "
        f"{statistics.median(new) / statistics.median(old):.2f} (median)"
    )
    print(pace_line(pace, machine_pace()))


if __name__ == "__main__":
    main()
