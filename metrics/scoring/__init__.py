"""Pure maths of the gap engine: no ORM, no request, no clock (``today`` is always passed in).

* ``kpi``        progress, expected progress, attainment, gap and status of one KPI
* ``forecast``   robust trend, prediction interval, probability of reaching the target
* ``quality``    data quality: stale, frozen, implausible jumps
* ``initiative`` health of an initiative from named components
* ``rollup``     weighted rollups (objective, team, theme, strategy) and their contributors

Every function takes plain values and returns plain values, so it is tested with tables and
hypothesis and never needs a database.
"""

from __future__ import annotations

from metrics.scoring.common import Result, Thresholds, status_for_score
from metrics.scoring.forecast import kpi_forecast
from metrics.scoring.initiative import InitiativeFacts, initiative_score
from metrics.scoring.kpi import (
    KpiPlan,
    kpi_achievement,
    kpi_expected_progress,
    kpi_planned_value,
    kpi_score,
)
from metrics.scoring.quality import kpi_data_quality
from metrics.scoring.rollup import Child, rollup_score

__all__ = [
    "Child",
    "InitiativeFacts",
    "KpiPlan",
    "Result",
    "Thresholds",
    "initiative_score",
    "kpi_achievement",
    "kpi_data_quality",
    "kpi_expected_progress",
    "kpi_forecast",
    "kpi_planned_value",
    "kpi_score",
    "rollup_score",
    "status_for_score",
]
