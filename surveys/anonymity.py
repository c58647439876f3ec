"""The anonymity rules of survey results, in one place.

* A figure (distribution, mean, respondent count, free text) is shown only when it rests on at
  least ``SURVEY_MIN_RESPONDENTS`` respondents (setting, default 5; start-up refuses less than
  ``ABSOLUTE_MIN_RESPONDENTS`` = 3 with the system check ``surveys.E001``).
* **Complementary (secondary) suppression** against differencing: whenever a shown figure is
  the sum of some shown figures plus a remainder (a parent team minus its shown children, the
  organisation minus its shown teams), that remainder must rest on zero or at least the
  threshold of respondents; otherwise one more figure is suppressed (``cells_suppressed``).
  Rounds never share answers (every round is answered afresh), so one round minus another
  derives nothing; figures spanning rounds are not offered.
* Nobody sees an individual answer: no admin registration and no API for answers; free text is
  shown only with a figure that passes, in a shuffled order.

``cells_suppressed`` is a pure function (no ORM, no settings) so that exactly this rule is
tested, with hypothesis too (``tests/surveys/test_anonymity.py``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import CheckMessage, Error

DEFAULT_MIN_RESPONDENTS = 5
ABSOLUTE_MIN_RESPONDENTS = 3

REASON_BELOW = "Fewer than {k} people answered: not shown, to keep answers anonymous."
REASON_COMPLEMENT = (
    "Not shown: together with the figures shown beside it, it would reveal the answers of "
    "fewer than {k} people."
)
REASON_HIDDEN = "A team you cannot see: not shown."


def min_respondents() -> int:
    """The threshold in force (``SURVEY_MIN_RESPONDENTS``; never below 3, see the check)."""
    value = getattr(settings, "SURVEY_MIN_RESPONDENTS", DEFAULT_MIN_RESPONDENTS)
    return max(int(value), ABSOLUTE_MIN_RESPONDENTS)


def check_min_respondents(**kwargs) -> list[CheckMessage]:
    """``surveys.E001``: ``SURVEY_MIN_RESPONDENTS`` below 3 (or not a number) refuses start-up."""
    value = getattr(settings, "SURVEY_MIN_RESPONDENTS", DEFAULT_MIN_RESPONDENTS)
    try:
        ok = int(value) >= ABSOLUTE_MIN_RESPONDENTS
    except (TypeError, ValueError):
        ok = False
    if ok:
        return []
    return [
        Error(
            f"SURVEY_MIN_RESPONDENTS is {value!r}: survey results need at least "
            f"{ABSOLUTE_MIN_RESPONDENTS} respondents to stay anonymous.",
            hint=f"Set SURVEY_MIN_RESPONDENTS to {DEFAULT_MIN_RESPONDENTS} (the default) or more.",
            id="surveys.E001",
        )
    ]


@dataclass(frozen=True)
class Relation:
    """``whole`` rests on the respondents of ``parts`` plus a remainder of its own (e.g. a
    parent team's figure = its child teams' figures + its direct members' answers). The parts
    are disjoint and each is contained in the whole."""

    whole: Hashable
    parts: tuple[Hashable, ...]


def cells_suppressed(
    *,
    counts: Mapping[Hashable, int],
    relations: Iterable[Relation],
    threshold: int,
    forced: Iterable[Hashable] = (),
) -> dict[Hashable, str]:
    """The cells not to show, each with why: ``"below"`` (primary: fewer than ``threshold``
    respondents), ``"complement"`` (secondary: showing it would let a remainder of fewer than
    ``threshold`` respondents be derived) or ``"forced"`` (the caller hides it, e.g. a team the
    reader cannot see; it counts as not shown for the complements).

    ``counts`` maps each cell to its number of respondents; ``relations`` form a tree (a part
    is the part of at most one whole). For a shown whole, its **shown frontier** is its shown
    parts plus, through each part that is not shown, that part's own shown frontier: the
    largest set of shown figures a reader can subtract from the whole. The remainder
    ``counts[whole] - sum(counts of the frontier)`` must be 0 or at least ``threshold``;
    otherwise the frontier cell with the fewest respondents (ties: the smallest ``repr`` of the
    key) is suppressed too, or the whole when its frontier is empty. Repeats until stable; the
    suppressed set only grows, so it ends.

    Guarantee: every shown cell has at least ``threshold`` respondents, and every remainder
    derivable from shown cells (a whole minus any disjoint shown cells below it) is 0 or at
    least ``threshold`` (subtracting fewer cells leaves a larger remainder)."""
    suppressed: dict[Hashable, str] = dict.fromkeys(forced, "forced")
    for key, n in counts.items():
        if key not in suppressed and n < threshold:
            suppressed[key] = "below"
    parts_of = {relation.whole: tuple(relation.parts) for relation in relations}

    def frontier(whole: Hashable) -> list[Hashable]:
        found: list[Hashable] = []
        for part in parts_of.get(whole, ()):
            if part in suppressed:
                found.extend(frontier(part))
            else:
                found.append(part)
        return found

    changed = True
    while changed:
        changed = False
        for whole in parts_of:
            if whole in suppressed:
                continue
            shown = frontier(whole)
            remainder = counts[whole] - sum(counts[p] for p in shown)
            if 0 < remainder < threshold:
                victim = min(shown, key=lambda p: (counts[p], repr(p))) if shown else whole
                suppressed[victim] = "complement"
                changed = True
    return suppressed
