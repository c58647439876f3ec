"""Confidence calibration: stated confidences and the product's own KPI forecasts scored
against what happened, with the one calibration module (``metrics.scoring.calibration``).

Check-ins (``confidence_calibration``): every check-in of a closed initiative states a
probability of delivering on time (``confidence`` / 100). The outcome is known when the
initiative closes: **delivered** when it is done and completed on or before its due date, not
delivered when done late; cancelled initiatives are left out, as are open ones. Only check-ins
made before the end of the completion day count. A *case* is one closed initiative; the scores
are shown only with at least ``CALIBRATION_MIN_CASES`` cases (``enough``).

KPI forecasts (``forecast_calibration``): the engine stores each KPI score's forecast
(``GapScore.forecast``, P(the value on the target date meets the target) as
``probability_on_target``). Once a measurement on or after the target date decides it, the
KPI's current score carries a forecast of method ``measured`` whose probability is 1 (met) or 0
(missed): that is the outcome. Every earlier forecast (one per KPI and day, the last computed
that day, before the target date) is scored against it. A case is one decided KPI.

``bias`` = mean stated probability - observed rate: above zero is over-confidence, below
under-confidence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from assessment.evidence import evidence_scope
from initiatives.models import CheckIn, Initiative
from metrics.models import KPI, GapScore, SubjectType
from metrics.scoring.calibration import brier_score, reliability_table
from metrics.scoring.forecast import MEASURED
from strategy.access import Access
from strategy.models import Strategy, Team

# Five bins of 20 points: a team's few dozen check-ins spread over ten bins say little per bin.
EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class ReliabilityRow:
    """One bin of stated probabilities: ``low``-``high`` (0-1), the mean stated probability in
    it and the observed rate of delivery (both None for an empty bin), and its count."""

    low: float
    high: float
    stated: float | None
    observed: float | None
    count: int

    @property
    def bin(self) -> str:
        """The bin's range as a label in percent, e.g. "20-40 %"."""
        return f"{self.low * 100:.0f}-{self.high * 100:.0f} %"


@dataclass(frozen=True)
class CalibrationView:
    """Calibration of a set of probabilities: ``cases`` closed cases (initiatives or KPIs),
    ``points`` probabilities scored, ``enough`` when cases >= ``min_cases``; ``brier``,
    ``table``, ``stated`` (mean probability), ``observed`` (rate of the outcome over the scored
    probabilities) and ``bias`` (stated - observed) are None / empty unless ``enough``."""

    cases: int
    points: int
    min_cases: int
    enough: bool
    brier: float | None
    table: tuple[ReliabilityRow, ...]
    stated: float | None
    observed: float | None

    @property
    def bias(self) -> float | None:
        """Stated minus observed (share 0-1; above 0: over-confident); None if either is missing."""
        if self.stated is None or self.observed is None:
            return None
        return self.stated - self.observed

    @property
    def verdict(self) -> str:
        """Over-, under- or fairly confident, in words (a bias beyond 10 points counts)."""
        bias = self.bias
        if bias is None:
            return f"Not enough closed cases yet ({self.cases} of {self.min_cases})."
        if bias > 0.1:
            return "Over-confident"
        if bias < -0.1:
            return "Under-confident"
        return "Well calibrated"


def min_cases() -> int:
    """``CALIBRATION_MIN_CASES`` (at least 1)."""
    return max(1, int(settings.CALIBRATION_MIN_CASES))


def calibration_view(
    *, probabilities: list[float], outcomes: list[bool], cases: int
) -> CalibrationView:
    """Score ``probabilities`` (0-1) against ``outcomes`` with ``brier_score`` and
    ``reliability_table`` of ``metrics.scoring.calibration``, if ``cases`` are enough."""
    needed = min_cases()
    enough = cases >= needed and bool(probabilities)
    if not enough:
        return CalibrationView(cases, len(probabilities), needed, False, None, (), None, None)
    table = tuple(
        ReliabilityRow(
            low=row["low"],
            high=row["high"],
            stated=row["mean_probability"],
            observed=row["observed_rate"],
            count=row["count"],
        )
        for row in reliability_table(probabilities=probabilities, outcomes=outcomes, edges=EDGES)
    )
    return CalibrationView(
        cases=cases,
        points=len(probabilities),
        min_cases=needed,
        enough=True,
        brier=brier_score(probabilities=probabilities, outcomes=outcomes),
        table=table,
        stated=sum(probabilities) / len(probabilities),
        observed=sum(1 for o in outcomes if o) / len(outcomes),
    )


def _end(as_of: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))


def confidence_points(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> list[tuple[int, int | None, int | None, float, bool]]:
    """``(initiative id, owner id, team id, stated probability, delivered)`` of every check-in
    scored (see the module docstring), over what ``access`` may see: one query."""
    scope = evidence_scope(access=access, strategy=strategy, team=team, as_of=as_of)
    rows = (
        CheckIn.objects.filter(
            scope.teams("initiative__team_id"),
            initiative__objective__strategy=strategy,
            initiative__status=Initiative.Status.DONE,
            initiative__completed_on__isnull=False,
            initiative__completed_on__lte=scope.as_of,
            created_at__lt=scope.end,
        )
        .order_by("initiative_id", "created_at", "pk")
        .values_list(
            "initiative_id",
            "initiative__owner_id",
            "initiative__team_id",
            "confidence",
            "created_at",
            "initiative__completed_on",
            "initiative__due_date",
        )
    )
    points: list[tuple[int, int | None, int | None, float, bool]] = []
    for initiative_id, owner_id, team_id, confidence, created_at, completed, due in rows:
        assert completed is not None  # completed_on__isnull=False above
        if timezone.localdate(created_at) > completed:
            continue  # stated after the fact
        points.append((initiative_id, owner_id, team_id, confidence / 100, completed <= due))
    return points


def confidence_calibration(
    *,
    access: Access,
    strategy: Strategy,
    team: Team | None = None,
    owner=None,
    as_of: dt.date | None = None,
) -> CalibrationView:
    """Calibration of the check-ins' stated confidence for ``team`` and the teams below it
    (None: every team the reader sees), optionally only of initiatives owned by ``owner``."""
    points = confidence_points(access=access, strategy=strategy, team=team, as_of=as_of)
    if owner is not None:
        owner_id = getattr(owner, "pk", owner)
        points = [p for p in points if p[1] == owner_id]
    return calibration_view(
        probabilities=[p[3] for p in points],
        outcomes=[p[4] for p in points],
        cases=len({p[0] for p in points}),
    )


@dataclass(frozen=True)
class GroupCalibration:
    """The calibration of one owner or team (``key``: its id) for the breakdown tables."""

    key: int
    view: CalibrationView


def _groups(points: list, index: int) -> list[GroupCalibration]:
    groups: dict[int, list] = defaultdict(list)
    for point in points:
        if point[index] is not None:
            groups[point[index]].append(point)
    result = [
        GroupCalibration(
            key=key,
            view=calibration_view(
                probabilities=[p[3] for p in group],
                outcomes=[p[4] for p in group],
                cases=len({p[0] for p in group}),
            ),
        )
        for key, group in groups.items()
    ]
    return sorted(result, key=lambda g: (-g.view.cases, g.key))


def confidence_by(
    *,
    access: Access,
    strategy: Strategy,
    by: str,
    team: Team | None = None,
    as_of: dt.date | None = None,
) -> list[GroupCalibration]:
    """Calibration per owner (``by="owner"``) or per team (``by="team"``, the initiative's
    own team), for those with any scored check-in, most cases first (each ``view.enough`` only
    from ``CALIBRATION_MIN_CASES`` on). Raises ``ValueError`` for another ``by``."""
    if by not in ("owner", "team"):
        raise ValueError(f"by must be 'owner' or 'team', not {by!r}")
    points = confidence_points(access=access, strategy=strategy, team=team, as_of=as_of)
    return _groups(points, 1 if by == "owner" else 2)


@dataclass(frozen=True)
class CalibrationReport:
    """Everything the calibration page and API show: the check-ins' calibration overall, per
    owner and per team, and the KPI forecasts' calibration."""

    confidence: CalibrationView
    by_owner: list[GroupCalibration]
    by_team: list[GroupCalibration]
    forecasts: CalibrationView


def calibration_report(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> CalibrationReport:
    """The whole calibration report from one read of the check-ins and one of the forecasts."""
    points = confidence_points(access=access, strategy=strategy, team=team, as_of=as_of)
    return CalibrationReport(
        confidence=calibration_view(
            probabilities=[p[3] for p in points],
            outcomes=[p[4] for p in points],
            cases=len({p[0] for p in points}),
        ),
        by_owner=_groups(points, 1),
        by_team=_groups(points, 2),
        forecasts=forecast_calibration(access=access, strategy=strategy, team=team, as_of=as_of),
    )


def forecast_points(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> list[tuple[int, float, bool]]:
    """``(kpi id, P(on target), met)`` of every stored KPI forecast scored (see the module
    docstring): two queries."""
    scope = evidence_scope(access=access, strategy=strategy, team=team, as_of=as_of)
    tied = (
        Q(objective__strategy=strategy)
        | Q(initiative__objective__strategy=strategy)
        | Q(objective__isnull=True, initiative__isnull=True)
    )
    kpis = KPI.objects.filter(tied, scope.teams(), target_date__lte=scope.as_of)
    target_dates = dict(kpis.values_list("pk", "target_date"))
    if not target_dates:
        return []
    rows = (
        GapScore.objects.filter(
            subject_type=SubjectType.KPI,
            subject_id__in=list(target_dates),
            forecast__isnull=False,
            computed_at__lt=scope.end,
        )
        .order_by("subject_id", "as_of", "computed_at", "pk")
        .values_list(
            "subject_id",
            "as_of",
            "forecast__method",
            "forecast__probability_on_target",
        )
    )
    outcome: dict[int, bool] = {}
    stated: dict[tuple[int, dt.date], float] = {}
    for kpi_id, day, method, probability in rows:
        if probability is None:
            continue
        if method == MEASURED:
            outcome[kpi_id] = float(probability) >= 0.5  # the newest decided score wins
        elif day < target_dates[kpi_id]:
            stated[(kpi_id, day)] = float(probability)  # the day's last forecast wins
    return [
        (kpi_id, probability, outcome[kpi_id])
        for (kpi_id, _day), probability in sorted(stated.items())
        if kpi_id in outcome
    ]


def forecast_calibration(
    *, access: Access, strategy: Strategy, team: Team | None = None, as_of: dt.date | None = None
) -> CalibrationView:
    """Calibration of the engine's KPI forecasts (P of reaching the target) against what the
    KPI measured at its target date, for the KPIs the reader sees."""
    points = forecast_points(access=access, strategy=strategy, team=team, as_of=as_of)
    return calibration_view(
        probabilities=[p[1] for p in points],
        outcomes=[p[2] for p in points],
        cases=len({p[0] for p in points}),
    )
