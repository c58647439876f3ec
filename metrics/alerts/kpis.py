"""The KPI rules: off track, at risk, forecast to miss its target, not measured."""

from __future__ import annotations

from metrics.alerts.specs import AlertSpec, Subject, _holding, _spec, unowned_alert
from metrics.alerts.tables import _margin, alert_severity
from metrics.scoring.common import AT_RISK, OFF_TRACK, ON_TRACK, Result, Thresholds
from metrics.scoring.forecast import forecast_sentence, kpi_forecast_misses
from strategy.derived import part
from strategy.quantities import quantity


def kpi_alerts(
    *,
    subject: Subject,
    result: Result,
    cadence_days: int,
    thresholds: Thresholds | None = None,
    kpi_kind: str | None = None,
) -> list[AlertSpec]:
    """Alerts of a KPI (``kpi_kind``: "leading" or "lagging", which sets the severity of off
    track, ``SEVERITY``), with the holding specs of its hysteresis (``HYSTERESIS``). While the
    KPI has no current data its performance alerts hold: "not measured" is not "back"."""
    t = thresholds or Thresholds()
    specs = unowned_alert(subject)
    dq = result.data_quality or {}
    if dq.get("stale"):
        since = dq.get("days_since_last")
        when = part("for {d}", d=quantity(since, "days")) if since is not None else "yet"
        specs.append(
            _spec(
                subject,
                "kpi_stale",
                alert_severity("kpi_stale"),
                part(
                    "{s} has not been measured {when}; a value is expected {cadence}. Until it "
                    "is, its status cannot be trusted. Record the current value (or fix the "
                    "data feed).",
                    s=subject.ref("This"),
                    when=when,
                    cadence=quantity(cadence_days, "every_days"),
                ),
                days_since_last=since,
            )
        )
    forecast = result.forecast
    # Whether the forecast "misses" is decided in one place (scoring.forecast.
    # kpi_forecast_misses), on P and the GAP_FORECAST_MISS_BELOW threshold.
    misses = kpi_forecast_misses(forecast=forecast, thresholds=t)
    attainment = result.attainment
    no_data = result.status not in (ON_TRACK, AT_RISK, OFF_TRACK)
    if result.status == OFF_TRACK:
        specs.append(
            _spec(
                subject,
                "kpi_off_track",
                alert_severity("kpi_off_track", kpi_kind=kpi_kind, forecast_misses=misses),
                part(
                    "{r} Agree corrective actions with the team, or revise the plan with a "
                    "reason if it no longer holds.",
                    r=result.explained,
                ),
                attainment=result.attainment,
                gap=result.gap,
                forecast_misses=misses,
            )
        )
    elif no_data or (
        attainment is not None and attainment < t.off_track + _margin("kpi_off_track")
    ):
        specs.append(_holding(subject, "kpi_off_track"))
    if result.status == AT_RISK:
        specs.append(
            _spec(
                subject,
                "kpi_at_risk",
                alert_severity("kpi_at_risk", forecast_misses=misses),
                part(
                    "{r} Look at what is holding it back before it goes off track.",
                    r=result.explained,
                ),
                attainment=result.attainment,
                gap=result.gap,
                forecast_misses=misses,
            )
        )
    elif (
        no_data
        or result.status == OFF_TRACK  # worse: the off-track alert says it; this one holds
        or (attainment is not None and attainment < t.on_track + _margin("kpi_at_risk"))
    ):
        specs.append(_holding(subject, "kpi_at_risk"))
    # The forecast warns while the current status still looks acceptable; once the KPI is
    # off track, that alert says it already.
    # (misses: never without a forecast)
    if (
        misses
        and forecast is not None
        and not dq.get("stale")
        and result.status in (ON_TRACK, AT_RISK)
    ):
        specs.append(
            _spec(
                subject,
                "kpi_forecast_miss",
                alert_severity("kpi_forecast_miss"),
                part(
                    "{s}: {forecast} Change course now, while there is time.",
                    s=subject.ref(),
                    forecast=forecast_sentence(forecast=forecast),
                ),
                probability_on_target=forecast["probability_on_target"],
            )
        )
    elif (
        no_data
        or dq.get("stale")
        or (
            forecast
            and forecast["probability_on_target"]
            < t.forecast_miss_below + _margin("kpi_forecast_miss")
        )
    ):
        # Within the margin, or still missing while off track (that alert says it): holds.
        specs.append(_holding(subject, "kpi_forecast_miss"))
    return specs
