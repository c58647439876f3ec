"""Tracking and effect of support measures: adoption and the movement of the targeted figures
between two assessments, for the teams in a measure's test against the other teams.

This is a **simple before/after comparison with the other teams as reference**, not a causal
estimate: teams were not chosen at random, other things changed too, and a few teams make a
noisy mean. Pages label it so.

``movement`` (pure) compares the per-team figures of two snapshots (``AssessmentReport.data``
``teams``, or the live figures of ``support.figures`` for "now"): only teams with a figure in
both count (paired); each group's mean before and after, its change, and the difference of the
changes (test minus others).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from strategy.models import Strategy
from support import figures as F
from support.ranking import CAPABILITY_LABELS, SURVEY_ITEMS_OF
from surveys.catalogue import STANDARD_ITEMS


@dataclass(frozen=True)
class GroupMovement:
    """Means before/after of the test's teams and of the others (None: no team with both),
    the numbers of teams, and the changes (after - before; ``difference``: test - others)."""

    test_before: float | None
    test_after: float | None
    test_n: int
    others_before: float | None
    others_after: float | None
    others_n: int

    @property
    def test_change(self) -> float | None:
        """The test's teams' mean after minus before; None without both."""
        return _minus(self.test_after, self.test_before)

    @property
    def others_change(self) -> float | None:
        """The other teams' mean after minus before; None without both."""
        return _minus(self.others_after, self.others_before)

    @property
    def difference(self) -> float | None:
        """The test's change minus the others'; None without both."""
        return _minus(self.test_change, self.others_change)


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 2)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def movement(
    *, before: Mapping[int, float], after: Mapping[int, float], test_ids: Iterable[int]
) -> GroupMovement:
    """The before/after comparison of one figure (see the module docstring)."""
    tests = set(test_ids)
    paired = sorted(set(before) & set(after))
    test = [t for t in paired if t in tests]
    others = [t for t in paired if t not in tests]
    return GroupMovement(
        test_before=_mean([before[t] for t in test]),
        test_after=_mean([after[t] for t in test]),
        test_n=len(test),
        others_before=_mean([before[t] for t in others]),
        others_after=_mean([after[t] for t in others]),
        others_n=len(others),
    )


def figure_of(teams: Mapping[str, dict], key: tuple[str, str | None]) -> dict[int, float]:
    """``{team id: value}`` of one figure of a snapshot's ``teams``: ``("timeliness", None)``,
    ``("survey", code)`` or ``("capability", capability)``."""
    kind, code = key
    found = {}
    for team_id, row in teams.items():
        value = row.get(kind) if code is None else (row.get(kind) or {}).get(code)
        if value is not None:
            found[int(team_id)] = float(value)
    return found


def figures_now(*, strategy: Strategy, today: dt.date) -> dict[str, dict]:
    """The per-team figures of a snapshot computed now (``support.figures``), same shape as
    ``AssessmentReport.data["teams"]``."""
    timeliness = F.team_checkin_timeliness(strategy=strategy, today=today)
    _org, capability = F.team_capability_scores(strategy=strategy, as_of=today)
    codes = tuple(dict.fromkeys(c for items in SURVEY_ITEMS_OF.values() for c in items))
    _overall, survey = F.survey_means(strategy=strategy, as_of=today, items=codes)
    ids = set(timeliness) | set(capability) | set(survey)
    return {
        str(t): {
            "timeliness": timeliness.get(t),
            "capability": capability.get(t, {}),
            "survey": survey.get(t, {}),
        }
        for t in sorted(ids)
    }


def tracked_figures(measure) -> list[tuple[str, tuple[str, str | None], bool, str]]:
    """``(label, key, is_survey, unit)`` of the figures a measure is judged on: its adoption
    measure first, then the targeted capability's score and survey items."""
    rows: list[tuple[str, tuple[str, str | None], bool, str]] = []
    adoption = measure.adoption
    if adoption == "checkin_timeliness":
        rows.append(("Adoption: check-ins on time", ("timeliness", None), False, "%"))
    elif adoption == "survey_item":
        statement = STANDARD_ITEMS.get(measure.survey_item, measure.survey_item)
        rows.append((f"Adoption: “{statement}”", ("survey", measure.survey_item), True, "of 5"))
    elif adoption == "capability_score":
        label = CAPABILITY_LABELS[measure.capability]
        rows.append((f"Adoption: {label} score", ("capability", measure.capability), False, "of 5"))
    key = ("capability", measure.capability)
    if not any(r[1] == key for r in rows):
        rows.append((f"{CAPABILITY_LABELS[measure.capability]} score", key, False, "of 5"))
    for code in SURVEY_ITEMS_OF[measure.capability]:
        if not any(r[1] == ("survey", code) for r in rows):
            rows.append((f"“{STANDARD_ITEMS.get(code, code)}”", ("survey", code), True, "of 5"))
    return rows
