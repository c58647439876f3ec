"""Back-test of the KPI forecast on real public series (figures for the README; not a test).

Usage (needs the ``bench`` extra: ``pip install -e '.[bench]'``, which brings statsmodels and
vega_datasets, whose packages ship the series below):

    python bench/backtest_forecast.py            # held-out half (the figures we report)
    python bench/backtest_forecast.py --half tune  # the half the method was tuned on
    python bench/backtest_forecast.py --half all --json out.json

The protocol was committed before the method was tuned (issue #13) and does not change with it:

* **Series**: ``SERIES`` below, a fixed list of real series shipped inside statsmodels and
  vega_datasets (macro, labour market, stock prices, energy, environment, weather; daily,
  weekly, monthly, quarterly and yearly). Each series is used as measured, as a KPI measured
  on the series' dates with the series' cadence.
* **Halves**: the series sorted by name; even positions form the *tune* half (the only one
  looked at while choosing the method's constants), odd positions the *held-out* half.
* **Origins**: rolling; an origin needs ``MIN_HISTORY`` (12) points up to and including it
  and at most ``MAX_ORIGINS`` (24) origins per series, evenly spaced over the series. At an
  origin the product sees every point up to it (at most ``MAX_POINTS`` of them, more than the
  engine reads) and the baseline sees the last 12.
* **Horizons**: h = 1..12 steps of the series (the target date is the date of the point h steps
  after the origin; the outcome is the value measured on that date).
* **Targets** (fixed rule): with ``d`` the median absolute h-step change of the history up to
  the origin (the typical change over that horizon; ``1 %`` of the latest absolute value when
  that is 0), targets at ``latest + k * d`` for k in ``K_GRID`` (both directions: k > 0 is an
  "increase" KPI, k < 0 a "decrease" KPI) and keep-within-range targets
  ``[latest + (c - 1) * d, latest + (c + 1) * d]`` for c in ``RANGE_CENTRES``.
* **Outcome**: "hit" when the value on the target date meets the target (at or past it in the
  KPI's direction; inside the range, bounds included): what the KPI's final result is scored on.
* **Baseline**: a random walk with drift fitted on the last 12 points (drift = mean one-step
  change, sigma = standard deviation of the one-step changes, normal predictive distribution
  with standard deviation ``sigma * sqrt(h * (1 + h / 11))``).
* **Reported** per horizon: coverage of the product's interval (its nominal level, 80 % by
  default) with a Wilson 95 % binomial interval (origins of one series overlap, so the true
  uncertainty is larger than this interval says); Brier score and log loss of the product's
  P(hit) and of the baseline's; log loss of quoting the base rate of the half; share of
  probabilities below 1e-6 or above 1 - 1e-6; and a reliability table of the product (all
  horizons pooled). Log loss clips probabilities to [1e-6, 1 - 1e-6] (the product used to
  quote exact 0 and 1, whose log loss is infinite).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import NormalDist

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metrics.scoring import KpiPlan, Thresholds  # noqa: E402
from metrics.scoring.calibration import (  # noqa: E402
    binomial_interval,
    brier_score,
    log_loss,
    reliability_table,
)
from metrics.scoring.forecast import kpi_forecast  # noqa: E402

MIN_HISTORY = 12
MAX_ORIGINS = 24
MAX_POINTS = 400
HORIZONS = tuple(range(1, 13))
K_GRID = (-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0)
RANGE_CENTRES = (-1.0, 0.0, 1.0)
REPORT_HORIZONS = (1, 3, 6, 12)
LOG_LOSS_EPS = 1e-6
RELIABILITY_EDGES = (0.0, 1e-6, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1 - 1e-6, 1.0)


@dataclass(frozen=True)
class Series:
    name: str
    cadence_days: int
    points: tuple[tuple[date, float], ...]


def _monthly(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _from_frame(name, cadence, dates, values) -> Series:
    points = tuple(
        (d, float(v))
        for d, v in zip(dates, values, strict=True)
        if v is not None and math.isfinite(float(v))
    )
    return Series(name=name, cadence_days=cadence, points=points)


def _as_date(value) -> date:
    import pandas as pd

    return pd.Timestamp(value).date()


def load_series() -> list[Series]:
    """The fixed list of series (see the module docstring), sorted by name."""
    warnings.filterwarnings("ignore")
    import statsmodels.api as sm
    from vega_datasets import local_data

    ds = sm.datasets
    out: list[Series] = []

    macro = ds.macrodata.load_pandas().data
    macro_dates = [
        _monthly(int(y), int(q) * 3 - 2) for y, q in zip(macro.year, macro.quarter, strict=True)
    ]
    for col in ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1",
                "tbilrate", "unemp", "pop", "infl", "realint"):  # fmt: skip
        out.append(_from_frame(f"sm.macrodata.{col}", 91, macro_dates, macro[col]))

    co2 = ds.co2.load_pandas().data
    out.append(_from_frame("sm.co2", 7, [_as_date(d) for d in co2.index], co2["co2"]))

    sun = ds.sunspots.load_pandas().data
    out.append(
        _from_frame("sm.sunspots", 365, [date(int(y), 1, 1) for y in sun.YEAR], sun.SUNACTIVITY)
    )
    nile = ds.nile.load_pandas().data
    out.append(_from_frame("sm.nile", 365, [date(int(y), 1, 1) for y in nile.year], nile.volume))

    elnino = ds.elnino.load_pandas().data
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    dates, values = [], []
    for _, row in elnino.iterrows():
        for i, m in enumerate(months):
            dates.append(date(int(row.YEAR), i + 1, 1))
            values.append(row[m])
    out.append(_from_frame("sm.elnino", 30, dates, values))

    danish = ds.danish_data.load_pandas().data
    for col in ("lrm", "lry", "lpy", "ibo", "ide"):
        out.append(
            _from_frame(f"sm.danish.{col}", 91, [_as_date(d) for d in danish.index], danish[col])
        )

    ii = ds.interest_inflation.load_pandas().data
    ii_dates = [_monthly(int(y), int(q) * 3 - 2) for y, q in zip(ii.year, ii.quarter, strict=True)]
    for col in ("Dp", "R"):
        out.append(_from_frame(f"sm.interest_inflation.{col}", 91, ii_dates, ii[col]))

    longley = ds.longley.load_pandas().data
    for col in ("TOTEMP", "GNP"):
        out.append(
            _from_frame(
                f"sm.longley.{col}", 365, [date(int(y), 1, 1) for y in longley.YEAR], longley[col]
            )
        )

    fert = ds.fertility.load_pandas().data
    years = [c for c in fert.columns if c.isdigit()]
    for code in ("USA", "JPN", "BRA", "IND", "NGA", "DEU", "FRA", "CHN"):
        row = fert[fert["Country Code"] == code].iloc[0]
        out.append(
            _from_frame(
                f"sm.fertility.{code}", 365, [date(int(y), 1, 1) for y in years], row[years]
            )
        )

    grunfeld = ds.grunfeld.load_pandas().data
    for firm, rows in grunfeld.groupby("firm"):
        rows = rows.sort_values("year")
        out.append(
            _from_frame(
                f"sm.grunfeld.invest.{str(firm).replace(' ', '_')}",
                365,
                [date(int(y), 1, 1) for y in rows.year],
                rows.invest,
            )
        )

    emp = local_data.us_employment()
    for col in emp.columns:
        if col == "month":
            continue
        out.append(_from_frame(f"vega.us_employment.{col}", 30, [_as_date(d) for d in emp.month], emp[col]))  # fmt: skip

    stocks = local_data.stocks()
    for symbol, rows in stocks.groupby("symbol"):
        out.append(
            _from_frame(f"vega.stocks.{symbol}", 30, [_as_date(d) for d in rows.date], rows.price)
        )

    weather = local_data.seattle_weather()
    for col in ("temp_max", "temp_min", "wind"):
        out.append(
            _from_frame(
                f"vega.seattle_weather.{col}", 1, [_as_date(d) for d in weather.date], weather[col]
            )
        )

    iowa = local_data.iowa_electricity()
    for source, rows in iowa.groupby("source"):
        out.append(
            _from_frame(
                f"vega.iowa_electricity.{source.replace(' ', '_')}",
                365,
                [_as_date(d) for d in rows.year],
                rows.net_generation,
            )
        )

    ohlc = local_data.ohlc()
    out.append(_from_frame("vega.ohlc.close", 1, [_as_date(d) for d in ohlc.date], ohlc.close))
    return sorted(out, key=lambda s: s.name)


def halves(series: list[Series]) -> dict[str, list[Series]]:
    """The fixed split: even positions of the name-sorted list tune, odd positions are held out."""
    ordered = sorted(series, key=lambda s: s.name)
    return {"tune": ordered[0::2], "held-out": ordered[1::2]}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def typical_change(values: list[float], h: int) -> float:
    """The target rule's unit: median absolute h-step change of the history (1 % of the
    latest absolute value when that is 0, and 1e-9 when that is 0 too)."""
    changes = [abs(values[i + h] - values[i]) for i in range(len(values) - h)]
    d = _median(changes) if changes else 0.0
    if d == 0:
        d = abs(values[-1]) * 0.01
    return d or 1e-9


def baseline_rw_drift(history: list[float], h: int, plan: KpiPlan) -> float:
    """P(hit) of a random walk with drift fitted on the last 12 points."""
    y = history[-MIN_HISTORY:]
    diffs = [b - a for a, b in itertools.pairwise(y)]
    m = len(diffs)
    drift = sum(diffs) / m
    sd = math.sqrt(sum((d - drift) ** 2 for d in diffs) / (m - 1)) if m > 1 else 0.0
    centre = y[-1] + h * drift
    spread = sd * math.sqrt(h * (1 + h / m))
    if spread <= 0:
        if plan.is_range:
            return float(plan.range_low <= centre <= plan.range_high)
        up = plan.target_value > plan.baseline_value
        return float(centre >= plan.target_value if up else centre <= plan.target_value)
    dist = NormalDist(centre, spread)
    if plan.is_range:
        return dist.cdf(plan.range_high) - dist.cdf(plan.range_low)
    below = dist.cdf(plan.target_value)
    return 1 - below if plan.target_value > plan.baseline_value else below


def _hit(plan: KpiPlan, value: float) -> bool:
    if plan.is_range:
        return plan.range_low <= value <= plan.range_high
    if plan.target_value > plan.baseline_value:
        return value >= plan.target_value
    return value <= plan.target_value


def _plans(name: str, cadence: int, latest: float, d: float, start: date, target_date: date):
    for k in K_GRID:
        target = latest + k * d
        # The baseline only fixes the direction: below the target for an increase KPI.
        baseline = latest - k * d
        yield KpiPlan(
            name=name,
            direction="increase" if k > 0 else "decrease",
            baseline_value=baseline,
            baseline_date=start,
            target_value=target,
            target_date=target_date,
            cadence_days=cadence,
        )
    for c in RANGE_CENTRES:
        low, high = latest + (c - 1) * d, latest + (c + 1) * d
        yield KpiPlan(
            name=name,
            direction="range",
            baseline_value=latest,
            baseline_date=start,
            target_value=(low + high) / 2,
            target_date=target_date,
            cadence_days=cadence,
            range_low=low,
            range_high=high,
        )


def origins(n: int) -> list[int]:
    """Indexes of the rolling origins of a series of ``n`` points (evenly spaced)."""
    first, last = MIN_HISTORY - 1, n - 2  # at least one point after the origin
    if last < first:
        return []
    count = min(MAX_ORIGINS, last - first + 1)
    if count == 1:
        return [first]
    return sorted({round(first + i * (last - first) / (count - 1)) for i in range(count)})


def run(series: list[Series], thresholds: Thresholds) -> dict:
    """Every forecast of the protocol; returns per-horizon lists of records."""
    records: dict[int, list[dict]] = {h: [] for h in HORIZONS}
    no_forecast = 0
    for s in series:
        dates = [d for d, _ in s.points]
        values = [v for _, v in s.points]
        for o in origins(len(values)):
            history = list(s.points[max(0, o + 1 - MAX_POINTS) : o + 1])
            hist_values = values[: o + 1]
            latest = values[o]
            for h in HORIZONS:
                if o + h >= len(values):
                    break
                d = typical_change(hist_values, h)
                target_date = dates[o + h]
                outcome = values[o + h]
                interval_done = False
                for plan in _plans(s.name, s.cadence_days, latest, d, dates[0], target_date):
                    forecast = kpi_forecast(
                        plan=plan, measurements=history, today=dates[o], thresholds=thresholds
                    )
                    if forecast is None:
                        no_forecast += 1
                        continue
                    rec = {
                        "series": s.name,
                        "p": forecast["probability_on_target"],
                        "p_rw": baseline_rw_drift(hist_values, h, plan),
                        "hit": _hit(plan, outcome),
                    }
                    if not interval_done:
                        rec["covered"] = (
                            forecast["interval_low"] <= outcome <= forecast["interval_high"]
                        )
                        interval_done = True
                    records[h].append(rec)
    return {"records": records, "no_forecast": no_forecast}


def summarise(result: dict, level: float) -> dict:
    rows = []
    everything = [r for h in HORIZONS for r in result["records"][h]]
    for h in HORIZONS:
        recs = result["records"][h]
        if not recs:
            continue
        covered = [r["covered"] for r in recs if "covered" in r]
        p = [r["p"] for r in recs]
        p_rw = [r["p_rw"] for r in recs]
        hits = [r["hit"] for r in recs]
        base = sum(hits) / len(hits)
        low, high = binomial_interval(successes=sum(covered), trials=len(covered))
        rows.append(
            {
                "h": h,
                "intervals": len(covered),
                "coverage": sum(covered) / len(covered),
                "coverage_ci": [low, high],
                "probabilities": len(p),
                "hit_rate": base,
                "brier": brier_score(probabilities=p, outcomes=hits),
                "brier_rw": brier_score(probabilities=p_rw, outcomes=hits),
                "log_loss": log_loss(probabilities=p, outcomes=hits, eps=LOG_LOSS_EPS),
                "log_loss_rw": log_loss(probabilities=p_rw, outcomes=hits, eps=LOG_LOSS_EPS),
                "log_loss_base_rate": log_loss(
                    probabilities=[base] * len(hits), outcomes=hits, eps=LOG_LOSS_EPS
                ),
                "extreme_share": sum(1 for x in p if x < 1e-6 or x > 1 - 1e-6) / len(p),
            }
        )
    return {
        "level": level,
        "series": len({r["series"] for r in everything}),
        "no_forecast": result["no_forecast"],
        "horizons": rows,
        "reliability": reliability_table(
            probabilities=[r["p"] for r in everything],
            outcomes=[r["hit"] for r in everything],
            edges=RELIABILITY_EDGES,
        ),
        "reliability_rw": reliability_table(
            probabilities=[r["p_rw"] for r in everything],
            outcomes=[r["hit"] for r in everything],
            edges=RELIABILITY_EDGES,
        ),
    }


def _print(summary: dict, half: str, seconds: float) -> None:
    level = summary["level"]
    print(
        f"Back-test, {half} half: {summary['series']} series, horizons 1-12 steps; "
        f"{summary['no_forecast']} (origin, horizon, target) cases without a forecast "
        f"(not enough data); {seconds:.1f} s"
    )
    print(
        f"{'h':>3} {'n int':>6} {f'cov {level:.0%}':>8} {'95 % CI':>13} {'n P':>6} {'hit':>5} "
        f"{'Brier':>7} {'Br RWD':>7} {'LL':>7} {'LL RWD':>7} {'LL base':>7} {'extreme':>7}"
    )
    for r in summary["horizons"]:
        marker = "*" if r["h"] in REPORT_HORIZONS else " "
        print(
            f"{r['h']:>2}{marker} {r['intervals']:>6} {r['coverage']:>8.1%} "
            f"{r['coverage_ci'][0]:>6.1%}-{r['coverage_ci'][1]:<6.1%} {r['probabilities']:>6} "
            f"{r['hit_rate']:>5.2f} {r['brier']:>7.4f} {r['brier_rw']:>7.4f} "
            f"{r['log_loss']:>7.4f} {r['log_loss_rw']:>7.4f} {r['log_loss_base_rate']:>7.4f} "
            f"{r['extreme_share']:>7.1%}"
        )
    for key, label in (("reliability", "product"), ("reliability_rw", "random walk with drift")):
        print(f"Reliability of P(hit), {label}, all horizons:")
        print(f"  {'P from':>9} {'to':>9} {'count':>7} {'mean P':>8} {'hit rate':>8}")
        for row in summary[key]:
            if not row["count"]:
                continue
            print(
                f"  {row['low']:>9.6g} {row['high']:>9.6g} {row['count']:>7} "
                f"{row['mean_probability']:>8.3f} {row['observed_rate']:>8.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--half", choices=("held-out", "tune", "all"), default="held-out")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args()
    series = load_series()
    chosen = series if args.half == "all" else halves(series)[args.half]
    thresholds = Thresholds()
    start = time.perf_counter()
    result = run(chosen, thresholds)
    summary = summarise(result, thresholds.interval_level)
    _print(summary, args.half, time.perf_counter() - start)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
