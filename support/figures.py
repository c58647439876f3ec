"""The per-team figures an assessment stores and the support plan compares (reads, bulk).

Each function reads every team at once, in a constant number of queries, whatever the number of
teams: the report freezes them, and the support plan computes them live for "now".

* ``team_health``: the latest team score of the gap engine (0-100);
* ``team_checkin_timeliness``: per team, the share (0-100 %) of its active, started plan
  initiatives whose check-ins are not stale, by the one rule of staleness
  (``metrics.scoring.initiative.checkin_silence``, the engine's grace), as of a day;
* ``team_capability_scores``: the latest capability assessment of each team (1-5 per
  capability), and the organisation's (its own assessment, else the mean of the teams');
* ``survey_means``: per survey item, the newest closed round's mean per team and for the whole round,
  as the office sees them (``surveys.results.item_results``: what the anonymity rules let it
  show); a suppressed figure is simply absent.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from assessment.models import CAPABILITIES, CapabilityAssessment
from initiatives.models import CheckIn, Initiative
from metrics.models import GapScore, SubjectType
from metrics.scoring.initiative import checkin_silence
from strategy.access import Access
from strategy.models import Strategy
from surveys.results import SURVEY_ITEMS, item_results

OFFICE = Access(user_id=None, is_office=True, visible_team_ids=None)


def team_health() -> dict[int, float]:
    """``{team id: latest health score}`` of the scored teams (one query)."""
    rows = GapScore.objects.filter(
        subject_type=SubjectType.TEAM, is_latest=True, score__isnull=False
    ).values_list("subject_id", "score")
    return dict(cast(Iterable[tuple[int, float]], rows))  # score__isnull=False: never None


def team_checkin_timeliness(*, strategy: Strategy, today: dt.date) -> dict[int, float]:
    """``{team id: % of its started plan initiatives, active on ``today``, whose check-ins are
    not stale}`` (teams with none are absent), as of the end of ``today`` (a past day counts
    the check-ins made by then). Which initiatives existed on a past day follows the engine's
    history (``metrics.engine.initiatives``) and the capability evidence: started by then, not
    completed or cancelled; not when the row was entered (``created_at``), which an initiative
    recorded after its start would otherwise drop from every earlier snapshot. The one rule of
    staleness: ``metrics.scoring.initiative.checkin_silence`` with the engine's grace. Two
    queries."""
    end = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    rows = list(
        Initiative.objects.filter(
            objective__strategy=strategy,
            kind=Initiative.Kind.PLAN,
            start_date__lte=today,
        )
        .filter(Q(status=Initiative.Status.ACTIVE) | Q(completed_on__gt=today))
        .exclude(status=Initiative.Status.CANCELLED)
        .values_list("id", "team_id", "start_date", "checkin_cadence_days", "resumed_on")
    )
    last = dict(
        CheckIn.objects.filter(initiative_id__in=[r[0] for r in rows], created_at__lt=end)
        .values("initiative_id")
        .annotate(last=Max("created_at"))
        .values_list("initiative_id", "last")
    )
    grace = settings.GAP_STALE_GRACE
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for pk, team_id, start, cadence, resumed_on in rows:
        at = last.get(pk)
        silence = checkin_silence(
            last_checkin_on=timezone.localtime(at).date() if at else None,
            start_date=start,
            cadence_days=cadence,
            today=today,
            grace=grace,
            resumed_on=resumed_on if resumed_on is not None and resumed_on <= today else None,
        )
        totals[team_id][0] += 1
        totals[team_id][1] += 0 if silence.stale else 1
    return {team: round(100.0 * ok / n, 1) for team, (n, ok) in totals.items()}


def team_capability_scores(
    *, strategy: Strategy, as_of: dt.date
) -> tuple[dict[str, float | None], dict[int, dict[str, float]]]:
    """The organisation's capability scores (1-5, None when nobody assessed it) and each
    team's latest (``{team id: {capability: score}}``), assessed on or before ``as_of``. One
    query."""
    latest: dict[int | None, CapabilityAssessment] = {}
    for row in CapabilityAssessment.objects.filter(
        strategy=strategy, assessed_on__lte=as_of
    ).order_by("-assessed_on", "-id"):
        latest.setdefault(row.team_id, row)
    teams = {
        team_id: {c: float(s) for c, s in row.scores().items()}
        for team_id, row in latest.items()
        if team_id is not None
    }
    org = latest.get(None)
    if org is not None:
        return {c: float(s) for c, s in org.scores().items()}, teams
    overall: dict[str, float | None] = {}
    for capability in CAPABILITIES:
        values = [scores[capability] for scores in teams.values()]
        overall[capability] = round(sum(values) / len(values), 2) if values else None
    return overall, teams


def survey_means(
    *, strategy: Strategy, as_of: dt.date, items: tuple[str, ...] = SURVEY_ITEMS
) -> tuple[dict[str, dict], dict[int, dict[str, float]]]:
    """Per item code, the newest round closed on or before ``as_of`` (an item no round had
    asked and closed by then is absent: a later round would make a "before" equal its "after"):
    ``{code: {"round_id", "round_label", "closes_on", "mean", "respondents", "distribution",
    "previous_mean", "previous_round_label"}}`` for the whole round (values None when
    suppressed), and ``{team id: {code: mean}}`` of the teams whose figure is shown. Five
    queries per item (``surveys.results``)."""
    overall: dict[str, dict] = {}
    teams: dict[int, dict[str, float]] = defaultdict(dict)
    for code in items:
        results = item_results(access=OFFICE, strategy=strategy, item_code=code)
        rounds: dict[int, list] = {}
        for result in results:
            rounds.setdefault(result.round_id, []).append(result)
        ordered = [rs for rs in rounds.values() if rs[0].closes_on <= as_of]
        if not ordered:
            continue
        newest, previous = ordered[0], (ordered[1] if len(ordered) > 1 else None)
        whole = next((r for r in newest if r.team_id is None), None)
        before = next((r for r in previous or () if r.team_id is None), None)
        overall[code] = {
            "round_id": newest[0].round_id,
            "round_label": newest[0].round_label,
            "closes_on": newest[0].closes_on.isoformat(),
            "mean": whole.mean if whole else None,
            "respondents": whole.respondents if whole else None,
            "distribution": (
                {str(k): v for k, v in whole.distribution.items()}
                if whole and whole.distribution
                else None
            ),
            "previous_mean": before.mean if before else None,
            "previous_round_label": previous[0].round_label if previous else None,
        }
        for result in newest:
            if result.team_id is not None and result.mean is not None:
                teams[result.team_id][code] = result.mean
    return overall, dict(teams)
