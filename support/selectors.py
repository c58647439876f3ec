"""Reads of the support app: visible reports, the support plan with its tracking, and what
changed since the previous assessment. Rules come from ``strategy.access``: a report is the
organisation's (anyone with a role reads it; the office and leaders write it); a support measure
is seen with its initiative's team; a team the reader may not see is counted, never named."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from metrics.models import SubjectType
from metrics.selectors import attach_latest_scores
from strategy.access import Access
from strategy.models import Strategy
from support.models import AssessmentReport, Barrier, SupportMeasure
from support.ranking import CAPABILITY_LABELS
from support.report import report_data_build, sees_all
from support.tracking import GroupMovement, figure_of, figures_now, movement, tracked_figures


def reports_visible(*, access: Access) -> QuerySet[AssessmentReport]:
    """The reports a person may read: all of them for anyone with a role, none otherwise."""
    if not access.sees_anything:
        return AssessmentReport.objects.none()
    return AssessmentReport.objects.all()


def report_get_for_user(*, access: Access, pk: int) -> AssessmentReport:
    """The report (404 when the reader sees nothing, or it does not exist)."""
    report = (
        reports_visible(access=access).select_related("strategy", "period").filter(pk=pk).first()
    )
    if report is None:
        raise Http404
    return report


def barrier_get_for_user(*, access: Access, pk: int) -> Barrier:
    """A barrier of a report the person may read, with its report's strategy and period; 404
    otherwise."""
    barrier = (
        Barrier.objects.filter(pk=pk, report__in=reports_visible(access=access))
        .select_related("report__strategy", "report__period")
        .first()
    )
    if barrier is None:
        raise Http404
    return barrier


def measures_visible(*, access: Access) -> QuerySet[SupportMeasure]:
    """The support measures whose initiative's team the person may see."""
    return access.scope(SupportMeasure.objects.all(), "initiative__team_id")


def measures_prefetch(*, access: Access) -> Prefetch:
    """A barrier's measures the reader may see, with their initiative and test teams."""
    return Prefetch(
        "measures",
        queryset=measures_visible(access=access)
        .select_related("initiative__owner", "initiative__team")
        .prefetch_related("test_teams"),
    )


def barriers_with_measures(*, report: AssessmentReport, access: Access) -> list[Barrier]:
    """The frozen report's barriers, each with the measures the reader may see (three
    queries)."""
    return list(report.barriers.prefetch_related(measures_prefetch(access=access)))


def report_data(report: AssessmentReport, *, today: dt.date) -> dict:
    """The stored data of a frozen report; computed now for a draft."""
    if report.is_frozen:
        return report.data
    return report_data_build(strategy=report.strategy, as_of=today)


# --- tracking ------------------------------------------------------------------------------------
# Why a figure has no team on one side of the comparison (no team names: safe for any reader).
MISSING = {
    "timeliness": "no team had a started plan initiative",
    "capability": "no team-level assessment yet",
    "survey": "the survey did not ask this item (or no round had closed)",
}


@dataclass
class FigureRow:
    """One targeted figure of a measure's tracking: its label, unit and movement (None: not shown
    to this reader), or why it cannot be computed."""

    label: str
    unit: str
    movement: GroupMovement | None  # None: a survey figure this reader may not combine
    reason: str = ""  # why the figure cannot be computed at all (the row says it instead)

    @property
    def test_missing(self) -> str:
        """Why the teams in the test have no before/after ("": they have one)."""
        m = self.movement
        return "no team in the test has this figure at both dates" if m and not m.test_n else ""

    @property
    def others_missing(self) -> str:
        """Why the other teams have no before/after ("": they have one)."""
        m = self.movement
        return "no other team has this figure at both dates" if m and not m.others_n else ""


def _missing_reason(kind: str, before: dict, after: dict, labels: tuple[str, str]) -> str:
    """Why no team can be compared: the figure is absent from a whole snapshot."""
    sides = [label for label, found in zip(labels, (before, after), strict=True) if not found]
    if not sides:
        return ""
    return f"Not computable: {MISSING[kind]} at the {' nor at the '.join(sides)}."


@dataclass
class MeasureView:
    """A support measure as its plan shows it: its barrier, the test's teams (names and links; the
    hidden ones counted), the two dates' labels and the tracking rows."""

    measure: SupportMeasure
    barrier_label: str
    barrier_rank: int
    test_teams: list[tuple[str, str]]
    hidden_test_teams: int
    before_label: str
    after_label: str
    rows: list[FigureRow] = field(default_factory=list)
    kpi: object = None  # the adoption KPI when the reader may see it (its latest score attached)

    @property
    def adoption(self) -> FigureRow | None:
        """The adoption row, when the first row is one; else None."""
        first = self.rows[0] if self.rows else None
        return first if first and first.label.startswith("Adoption") else None


def _team_labels(teams, access: Access) -> tuple[list[tuple[str, str]], int]:
    shown = [(t.name, f"/?team={t.pk}") for t in teams if access.can_view_team(t.pk)]
    return shown, len(teams) - len(shown)


def _figure_rows(
    measure, before: dict, after: dict, test_ids, everything: bool, labels: tuple[str, str]
) -> list:
    """The measure's tracked figures, before/after; ``labels``: the names of the two snapshots,
    for saying which one lacks a figure."""
    rows = []
    for label, key, is_survey, unit in tracked_figures(measure):
        if is_survey and not everything:
            rows.append(FigureRow(label=label, unit=unit, movement=None))
            continue
        then, now = figure_of(before, key), figure_of(after, key)
        rows.append(
            FigureRow(
                label=label,
                unit=unit,
                movement=movement(before=then, after=now, test_ids=test_ids),
                reason=_missing_reason(key[0], then, now, labels),
            )
        )
    return rows


def _frozen_reports(strategy_ids: set[int]) -> dict[int, list[AssessmentReport]]:
    """The frozen reports of these strategies, oldest first, by strategy id (one query)."""
    found: dict[int, list[AssessmentReport]] = {s: [] for s in strategy_ids}
    for report in (
        AssessmentReport.objects.filter(
            strategy_id__in=strategy_ids, status=AssessmentReport.Status.FROZEN
        )
        .select_related("period")
        .order_by("as_of", "id")
    ):
        found[report.strategy_id].append(report)
    return found


def _after(report_id: int, frozen: list[AssessmentReport]) -> AssessmentReport | None:
    ids = [r.pk for r in frozen]
    index = ids.index(report_id) if report_id in ids else len(ids)
    return frozen[index + 1] if index + 1 < len(frozen) else None


def plan_read(
    *,
    access: Access,
    today: dt.date,
    strategy: Strategy | None = None,
    measure_ids: list[int] | None = None,
) -> list[MeasureView]:
    """The support measures the reader may see (of ``strategy``, or these ``measure_ids``),
    with their adoption and the movement of their targeted figures: from the assessment whose
    barrier they tackle to the next assessment (or now, live, when there is none yet), test
    teams against the others. A constant number of queries (the live figures are read once per
    strategy, when needed)."""
    visible = measures_visible(access=access)
    if strategy is not None:
        visible = visible.filter(barrier__report__strategy=strategy)
    if measure_ids is not None:
        visible = visible.filter(pk__in=measure_ids)
    measures = list(
        visible.select_related(
            "initiative__owner",
            "initiative__team",
            "barrier__report__period",
            "barrier__report__strategy",
            "kpi",
        )
        .prefetch_related("test_teams")
        .order_by("barrier__report__as_of", "barrier__rank", "initiative__due_date", "id")
    )
    if not measures:
        return []
    frozen = _frozen_reports({m.barrier.report.strategy_id for m in measures})
    everything = sees_all(access)
    kpis = [m.kpi for m in measures if m.kpi is not None and access.can_view_team(m.kpi.team_id)]
    attach_latest_scores(kpis, subject_type=SubjectType.KPI)
    now: dict[int, dict] = {}
    views = []
    for measure in measures:
        report = measure.barrier.report
        later = _after(report.pk, frozen[report.strategy_id])
        if later is not None:
            after = later.data.get("teams", {})
            after_label = f"assessment of {later.as_of:%-d %b %Y}"
        else:
            if report.strategy_id not in now:
                now[report.strategy_id] = figures_now(strategy=report.strategy, today=today)
            after, after_label = now[report.strategy_id], "now (live)"
        teams = list(measure.test_teams.all())
        shown, hidden = _team_labels(teams, access)
        before_label = f"assessment of {report.as_of:%-d %b %Y}"
        views.append(
            MeasureView(
                measure=measure,
                barrier_label=CAPABILITY_LABELS[measure.barrier.capability],
                barrier_rank=measure.barrier.rank,
                test_teams=shown,
                hidden_test_teams=hidden,
                before_label=before_label,
                after_label=after_label,
                rows=_figure_rows(
                    measure,
                    report.data.get("teams", {}),
                    after,
                    {t.pk for t in teams},
                    everything,
                    (before_label, after_label),
                ),
                kpi=measure.kpi if measure.kpi in kpis else None,
            )
        )
    return views


@dataclass
class BarrierChange:
    """A barrier of the previous report: its rank and score then and now (None: no longer a
    barrier) and its measures."""

    label: str
    rank_then: int
    score_then: float | None
    rank_now: int | None  # None: no longer a barrier
    score_now: float | None
    measures: list[MeasureView] = field(default_factory=list)


@dataclass
class Changes:
    """What changed since the previous report: its barriers then and now, and the labels of the new
    ones."""

    previous: AssessmentReport
    barriers: list[BarrierChange]
    new_barriers: list[str]


def changes_since(*, report: AssessmentReport, data: dict, access: Access) -> Changes | None:
    """ "What changed since the last assessment": each barrier of the previous frozen report of
    the strategy, its rank and score then and now, and each of its measures (the reader may see)
    with the movement of its figures between the two assessments. None without a previous one."""
    previous = (
        AssessmentReport.objects.filter(
            strategy=report.strategy, status=AssessmentReport.Status.FROZEN
        )
        .exclude(pk=report.pk)
        .filter(as_of__lte=report.as_of or data["as_of"])
        .select_related("period")
        .order_by("-as_of", "-id")
        .first()
    )
    if previous is None:
        return None
    everything = sees_all(access)
    current = {b["capability"]: b for b in data["barriers"]}
    before_teams, after_teams = previous.data.get("teams", {}), data.get("teams", {})
    rows = []
    previous_barriers = barriers_with_measures(report=previous, access=access)
    for barrier in previous_barriers:
        now = current.get(barrier.capability)
        measures = []
        for measure in barrier.measures.all():
            teams = list(measure.test_teams.all())
            shown, hidden = _team_labels(teams, access)
            labels = (f"assessment of {previous.as_of:%-d %b %Y}", "this assessment")
            measures.append(
                MeasureView(
                    measure=measure,
                    barrier_label=CAPABILITY_LABELS[barrier.capability],
                    barrier_rank=barrier.rank,
                    test_teams=shown,
                    hidden_test_teams=hidden,
                    before_label=labels[0],
                    after_label=labels[1],
                    rows=_figure_rows(
                        measure,
                        before_teams,
                        after_teams,
                        {t.pk for t in teams},
                        everything,
                        labels,
                    ),
                )
            )
        rows.append(
            BarrierChange(
                label=CAPABILITY_LABELS[barrier.capability],
                rank_then=barrier.rank,
                score_then=barrier.score if everything else None,
                rank_now=now["rank"] if now else None,
                score_now=(now["score"] if now and everything else None),
                measures=measures,
            )
        )
    before = {b.capability for b in previous_barriers}
    new = [CAPABILITY_LABELS[c] for c in current if c not in before]
    return Changes(previous=previous, barriers=rows, new_barriers=new)
