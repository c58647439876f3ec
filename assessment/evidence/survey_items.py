"""The figures of a survey item (leadership's vision and trust, talent's resources): the mean of
the latest closed round whose figure for the scope is shown."""

from __future__ import annotations

from dataclasses import dataclass

from assessment.evidence.scope import EvidenceRow, EvidenceScope, _teams
from strategy.quantities import date_text


@dataclass(frozen=True)
class _SurveyPick:
    """The survey results one figure rests on: ``used``, the round whose combined figure for
    the scope is the latest shown one (that figure first, then each of the round's teams in
    the scope, shown or not; empty when none is shown), and ``skipped``, the combined figure of
    a round closed later than it that is not shown (None when there is none)."""

    used: list
    skipped: object | None


def _survey_results(scope: EvidenceScope, item_code: str) -> _SurveyPick:
    """The item's results (``surveys.results.item_results``) of the rounds closed by ``as_of``
    for the scope: the organisation (``team`` None: every round team the reader may see,
    combined), or ``team`` and the teams below it that a round was sent to, combined. The
    survey app applies the anonymity threshold and complementary suppression; a suppressed
    figure is never used here, only its reason given."""
    key = ("survey", item_code)
    if key in scope._cache:
        return scope._cache[key]
    from surveys.results import item_results

    team_ids = None if scope.team is None else sorted(scope.team_ids or ())
    results = item_results(
        access=scope.access, strategy=scope.strategy, item_code=item_code, team_ids=team_ids
    )
    closed = [r for r in results if r.team_id is None and r.closes_on <= scope.as_of]
    shown = [r for r in closed if not r.suppressed and r.mean is not None]
    used: list = []
    skipped = None
    newest = max(closed, key=lambda r: (r.closes_on, r.round_id), default=None)
    if shown:
        latest = max(shown, key=lambda r: (r.closes_on, r.round_id))
        used = [latest] + [
            r for r in results if r.round_id == latest.round_id and r.team_id is not None
        ]
        if newest is not latest:
            skipped = newest
    elif newest is not None:
        skipped = newest
    pick = _SurveyPick(used=used, skipped=skipped)
    scope._cache[key] = pick
    return pick


def _not_shown(result) -> str:
    return f"{result.round_label} (closed {date_text(result.closes_on)}): {result.reason}"


def _survey_figure(item_code: str):
    def compute(scope):
        pick = _survey_results(scope, item_code)
        if not pick.used and pick.skipped is None:
            return None, False, "Not tracked yet: no survey round has closed with results here."
        if not pick.used:
            return None, True, _not_shown(pick.skipped)
        latest = pick.used[0]
        detail = (
            f"Mean of {latest.respondents} answers in {latest.round_label} "
            f"(closed {date_text(latest.closes_on)})."
        )
        if pick.skipped is not None:
            detail += " " + _not_shown(pick.skipped)
        return latest.mean, True, detail

    def rows(scope):
        pick = _survey_results(scope, item_code)
        names = dict(_teams(scope).values_list("pk", "name"))
        return [
            EvidenceRow(
                "survey result",
                r.round_id,
                f"{r.round_label}: "
                + ("all teams here" if r.team_id is None else names.get(r.team_id, "a team")),
                None,
                False if r.suppressed else None,
                r.reason if r.suppressed else f"mean {r.mean:.2f} of 5 ({r.respondents} answers)",
            )
            for r in [*pick.used, *([pick.skipped] if pick.skipped is not None else [])]
        ]

    return compute, rows
