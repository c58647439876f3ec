"""Weighted rollups: objective, team, theme and strategy scores from their parts.

A parent's score is the weighted mean of its scored parts' 0-100 scores, so it always lies
within the range of its inputs. Parts without a score (no data, cancelled) carry no weight but
are listed, and the share of weight that has data is reported as ``coverage``: a parent whose
scored parts hold less than ``MIN_COVERAGE`` of its weight is never shown on track.
Each part costs the parent ``share * (100 - score)`` points: the largest of these are the
stored contributors ("behind because ...").

A part that is another scored subject (``subject_type`` set) is never named in what is stored:
its label, the reason, the component's detail and the contributor's explanation are
``strategy.parts`` parts with a reference to it, rendered for each reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from metrics.scoring.common import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    Result,
    Thresholds,
    status_for_score,
)
from strategy.parts import NOUNS, derived_neutral, items, part, ref
from strategy.quantities import count_text, quantity

MIN_COVERAGE = 0.5
# Statuses of a part that is finished (its result is final) or cancelled.
CLOSED_PART_STATUSES = frozenset({"achieved", "missed", "cancelled", "done"})


def part_weight(
    *,
    weight: float,
    status: str | None,
    ended_on: date | None = None,
    parent_starts_on: date | None = None,
) -> float:
    """The weight a part carries in its parent's rollup: the one rule of closed parts.

    * A cancelled part weighs nothing: it is listed, but left out of the weights (and so of
      the coverage), as its own text says.
    * A part closed (achieved, missed, done) in an earlier period - it ended (its period's end,
      or its delivery) before the parent's period starts - weighs nothing either: it belongs
      to the result of its own period, not to the parent's. A FY2026 objective is judged on
      what is done for FY2026; a child achieved in FY2025 is listed as history.
    * Anything else keeps its weight (a part closed within the parent's period counts with
      its final score).
    """
    if status == "cancelled":
        return 0.0
    if (
        status in CLOSED_PART_STATUSES
        and ended_on is not None
        and parent_starts_on is not None
        and ended_on < parent_starts_on
    ):
        return 0.0
    return float(weight)


@dataclass(frozen=True)
class Child:
    """A part of a rollup (a KPI, initiative or objective under its parent): its score (0-100),
    weight, status and detail."""

    key: str
    label: str
    score: float | None
    weight: float
    status: str
    detail: str = ""
    subject_type: str | None = None
    subject_id: int | None = None
    progress: float | None = None
    expected_progress: float | None = None
    # ``detail`` as ``strategy.parts`` parts (the part's own reason), when it has them
    detail_parts: Any = None

    @property
    def key_ref(self) -> tuple[str, int] | None:
        """(type, id) of a part that is a subject (a subject's part always has both)."""
        if not self.subject_type or self.subject_id is None:
            return None
        return (self.subject_type, self.subject_id)

    @property
    def label_parts(self) -> Any:
        """The part's name: a reference for a scored subject (never its stored name)."""
        key = self.key_ref
        if key is not None:
            noun = NOUNS.get(key[0], "part")
            article = "an" if noun[0] in "aeiouAEIOU" else "a"
            return ref(key[0], key[1], neutral=f"{article} {noun}")
        return self.label

    @property
    def details(self) -> Any:
        """The detail as parts when it has them, else as text."""
        return self.detail if self.detail_parts is None else self.detail_parts


def _weighted(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for _, w in pairs)
    if total <= 0:
        return None
    return sum(v * w for v, w in pairs) / total


def rollup_score(
    *,
    children: list[Child],
    thresholds: Thresholds | None = None,
    empty_reason: str = "Nothing to score yet: no KPI, initiative or objective with data.",
    closed: str | None = None,
) -> Result:
    """Roll ``children`` up. ``closed`` is "achieved", "missed" or "cancelled" for a closed
    objective: its final result is shown instead of the live one."""
    t = thresholds or Thresholds()
    scored = [c for c in children if c.score is not None and c.weight > 0]
    total_weight = sum(c.weight for c in children if c.weight > 0)
    scored_weight = sum(c.weight for c in scored)
    coverage = scored_weight / total_weight if total_weight else 0.0
    values = [c.score for c in scored if c.score is not None]  # all of them: scored
    score = _weighted([(c.score, c.weight) for c in scored if c.score is not None])
    if score is not None:
        # Float noise must not push a mean outside the range of its inputs.
        score = min(max(score, min(values)), max(values))
    progress = _weighted([(c.progress, c.weight) for c in scored if c.progress is not None])
    expected = _weighted(
        [(c.expected_progress, c.weight) for c in scored if c.expected_progress is not None]
    )
    rows = []
    contributors = []
    for c in children:
        share = c.weight / scored_weight if (c.score is not None and scored_weight) else 0.0
        label = c.label_parts
        item = {
            "key": c.key,
            "label": derived_neutral(label),
            "score": c.score,
            "weight": share,
            "status": c.status,
            "detail": derived_neutral(c.details),
        }
        if c.subject_type:
            item["subject_type"], item["subject_id"] = c.subject_type, c.subject_id
        if c.subject_type or c.detail_parts is not None:
            item["detail_parts"] = c.details
        rows.append(item)
        if c.score is not None and share * (100 - c.score) > 0.05:
            explanation = part("{0}: {d}", about=c.key_ref, **{"0": label, "d": c.details})
            if not c.detail and c.detail_parts is None:
                explanation = part("{0}", about=c.key_ref, **{"0": label})
            contributor: dict[str, Any] = {
                "label": item["label"],
                "gap_points": round(share * (100 - c.score), 2),
                "explanation": derived_neutral(explanation),
                "explanation_parts": explanation,
            }
            if c.subject_type:
                contributor["subject_type"] = c.subject_type
                contributor["subject_id"] = c.subject_id
            contributors.append((contributor, c))
    contributors.sort(key=lambda x: -x[0]["gap_points"])
    contributors = contributors[: t.contributors]
    missing = [c for c in children if c.score is None]
    components = {"items": rows, "coverage": coverage}

    if closed == "cancelled":
        return Result(
            status=NO_DATA,
            reason="Cancelled: not scored and left out of rollups.",
            components=components,
        )
    if score is None:
        return Result(status=NO_DATA, reason=empty_reason, components=components)

    status = status_for_score(score, t)
    parts = f"{len(scored)} of {count_text(len(children), 'part')} scored"
    if contributors:
        why = items(
            [
                part(
                    "{0} (-{pts})",
                    about=c.key_ref,
                    **{
                        "0": c.label_parts,
                        "pts": quantity(round(row["gap_points"]), "count", one="point"),
                    },
                )
                for row, c in contributors[:2]
            ],
            sep=", ",
            last=" and ",
        )
        reason: Any = part(
            "Health {score:.0f}/100 ({parts}); behind mainly because of {why}.",
            score=score,
            parts=parts,
            why=why,
        )
    else:
        reason = part(
            "Health {score:.0f}/100 ({parts}); every scored part is on plan.",
            score=score,
            parts=parts,
        )
    if status == ON_TRACK and coverage < MIN_COVERAGE:
        status = AT_RISK
        reason = part(
            "{r} Only {cov:.0f} % of its weight has current data ({missing} without), so it "
            "is not shown on track.",
            r=reason,
            cov=coverage * 100,
            missing=items([c.label_parts for c in missing[:3]], sep=", ", last=", "),
        )
    if closed == "achieved":
        status, reason = ON_TRACK, part("Closed as achieved. {r}", r=reason)
    elif closed == "missed":
        status, reason = OFF_TRACK, part("Closed as missed. {r}", r=reason)
    return Result(
        status=status,
        reason=derived_neutral(reason),
        reason_parts=reason,
        score=score,
        progress=None if progress is None else min(1.0, max(0.0, progress)),
        expected_progress=expected,
        attainment=None if not expected else (progress or 0.0) / expected,
        gap=None if expected is None or progress is None else expected - progress,
        components=components,
        contributors=[row for row, _c in contributors],
    )
