"""Numbers in sentences: units, plurals, percentages and percentage points.

One set of rules for every figure a reason, an alert, a data-quality note or a page writes in
words, so that no sentence says "1 meetings", "every 1 days", "inf %" or "47 % below" for a
gap of 0.05 percentage points. Pure functions (no Django): the scoring code, the derived-text
renderer (``strategy.derived``, whose quantity values call ``quantity_render``) and the
template filters (``strategy.templatetags.ui``) all use them.

Rules
-----
* **Numbers** (``number_text``): no needless decimals, at most 4 significant digits below
  10,000, thousands separated: ``1,200``, ``99.86``, ``0.05``. A value that is not finite
  reads "not a finite number" (it is never written as ``inf`` or ``nan``).
* **Units** (``unit_text``): a KPI's unit follows its number. ``%`` and other symbols stay as
  they are (``99.86 %``); currency codes and other upper-case units never change; a
  lower-case plural word (``days``, ``meetings``, ``enquiries``) is made singular when the
  number is exactly 1 or -1 (``1 meeting``, ``1 day``, ``-1 ticket``).
* **Percent of a share** (``percent_text``): a fraction as whole percents (0.42 -> ``42 %``),
  beyond ±1,000 % as "more than 1,000 %" / "less than -1,000 %", and not a number as
  "an undefined share" (a share of an infinite or zero-width plan).
* **Percentage points** (``points_text``): a difference between two percentages, e.g.
  ``0.05 percentage points``, ``1 percentage point``. A KPI measured in ``%`` states its gap
  to the plan in points, never as a percent of the gap.
* **Counts** (``count_text``): ``1 day``, ``3 days``, ``0 overdue milestones``.
* **Cadences** (``every_days_text``): ``every day``, ``every 7 days``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, TypeGuard

PERCENT_UNITS = frozenset({"%", "percent", "pct", "per cent"})
PERCENT_LIMIT = 10.0  # shares beyond ±1,000 % are written as a bound
_NOT_FINITE = "not a finite number"
# Plural endings made singular: the longest matching ending wins.
_SINGULAR_ENDINGS = (
    ("ies", "y"),  # enquiries -> enquiry
    ("sses", "ss"),  # classes -> class
    ("shes", "sh"),  # dishes -> dish
    ("ches", "ch"),  # matches -> match
    ("xes", "x"),  # boxes -> box
    ("s", ""),  # days -> day
)
# Words ending in "s" that are not plurals.
_NOT_PLURAL = ("ss", "us", "is", "os")


def is_finite(value: Any) -> TypeGuard[float | int]:
    """A real number that is not NaN or infinite (bools are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number_text(value: float | int) -> str:
    """A value for a sentence: ``1,200``, ``99.86``, ``0.05``, ``-3``; non-finite values read
    "not a finite number"."""
    if not is_finite(value):
        return _NOT_FINITE
    if value == int(value) and abs(value) < 1e12:
        return f"{int(value):,}"
    text = f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if "e" in text:  # 1.2e-05: tiny values are written out to their first digits
        text = f"{value:.{max(0, -math.floor(math.log10(abs(value))) + 1)}f}"
    return text


def is_percent_unit(unit: str | None) -> bool:
    """Whether ``unit`` is a percentage (``%``, ``percent``, ``pct``, ``per cent``; case and
    surrounding spaces ignored)."""
    return (unit or "").strip().lower() in PERCENT_UNITS


def singular(word: str) -> str:
    """The singular of a lower-case English plural unit (``days`` -> ``day``); any other word
    (``%``, ``EUR``, ``kg``, ``status``) as it is."""
    if not word or not word.isalpha() or not word.islower() or len(word) < 3:
        return word
    if word.endswith(_NOT_PLURAL):
        return word
    for ending, replacement in _SINGULAR_ENDINGS:
        if word.endswith(ending):
            return word[: -len(ending)] + replacement
    return word


_LEADING_WORD = re.compile(r"([A-Za-z]+)((?:[ /].*)?)$")


def unit_text(value: float | int | None, unit: str | None) -> str:
    """``unit`` as it follows ``value``: its leading word made singular for exactly 1 or -1
    (``1 meeting``, ``1 ticket per week``, ``1 incident/month``), otherwise as written."""
    unit = (unit or "").strip()
    if not unit or not is_finite(value) or abs(value) != 1:
        return unit
    found = _LEADING_WORD.match(unit)
    if found is None:
        return unit
    return singular(found.group(1)) + found.group(2)


def quantity_text(value: float | int, unit: str | None = None) -> str:
    """A value with its unit: ``99.86 %``, ``1 meeting``, ``70 minutes``, ``1,200 EUR``."""
    if not is_finite(value):
        return _NOT_FINITE
    shown = unit_text(value, unit)
    return f"{number_text(value)} {shown}" if shown else number_text(value)


def percent_text(fraction: float | None) -> str:
    """A share as whole percents: 0.4234 -> ``42 %``; beyond ±1,000 % as a bound; None as
    ``n/a``; not a number as "an undefined share"."""
    if fraction is None:
        return "n/a"
    if isinstance(fraction, float) and math.isnan(fraction):
        return "an undefined share"
    if fraction > PERCENT_LIMIT:
        return f"more than {PERCENT_LIMIT * 100:,.0f} %"
    if fraction < -PERCENT_LIMIT:
        return f"less than {-PERCENT_LIMIT * 100:,.0f} %"
    shown = f"{fraction * 100:.0f}"
    return f"{'0' if shown == '-0' else shown} %"


def points_text(difference: float) -> str:
    """A difference of two percentages, to two decimals (one significant digit below 0.01):
    ``0.05 percentage points``, ``18.57 percentage points``, ``1 percentage point``."""
    if not is_finite(difference):
        return _NOT_FINITE
    shown = round(difference, 2) if abs(difference) >= 0.01 else float(f"{difference:.1g}")
    return f"{number_text(shown)} percentage point{'' if abs(shown) == 1 else 's'}"


def count_text(count: float | int, one: str, many: str | None = None) -> str:
    """``1 day``, ``3 days``, ``0 days``; ``many`` defaults to ``one`` + "s"."""
    many = many if many is not None else one + "s"
    if not is_finite(count):
        return f"{_NOT_FINITE} of {many}"
    return f"{number_text(count)} {one if abs(count) == 1 else many}"


def every_days_text(days: float | int) -> str:
    """A cadence in days: ``every day``, ``every 7 days``."""
    if is_finite(days) and days == 1:
        return "every day"
    return f"every {count_text(days, 'day')}"


def date_text(value: dt.date, *, year: bool = True, time: bool = False) -> str:
    """A date as every page writes it (the templates' ``j M Y``): "1 Dec 2026", no leading
    zero; ``year=False``: "1 Dec"; ``time=True`` (a datetime, already in local time):
    "1 Dec 2026, 09:30"."""
    text = f"{value.day} {value:%b}" + (f" {value:%Y}" if year else "")
    return f"{text}, {value:%H:%M}" if time else text


# --- quantities inside derived-text parts -------------------------------------------------------
KINDS = ("number", "percent", "points", "count", "days", "every_days")


def quantity(value: float | int | None, kind: str = "number", **options: str) -> dict:
    """A figure inside ``strategy.derived`` parts, formatted by these rules when rendered:
    ``{"q": value, "as": kind, ...options}``.

    ``kind``: ``number`` (with ``unit=``), ``percent`` (a fraction, shown in %), ``points``
    (percentage points), ``count`` (with ``one=`` and optional ``many=``), ``days`` (a count
    of days), ``every_days`` (a cadence). Raises ``ValueError`` for another kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown quantity kind {kind!r}; one of {', '.join(KINDS)}")
    built: dict = {"q": value}
    if kind != "number":
        built["as"] = kind
    built.update({k: v for k, v in options.items() if v})
    return built


def quantity_render(value: dict) -> str:
    """The text of a ``quantity`` (an unknown kind reads as a plain number)."""
    q = value.get("q")
    if q is None:
        return ""
    if isinstance(q, bool) or not isinstance(q, int | float):
        return str(q)
    kind = value.get("as", "number")
    if kind == "percent":
        return percent_text(q)
    if kind == "points":
        return points_text(q)
    if kind == "count":
        return count_text(q, str(value.get("one", "")), value.get("many"))
    if kind == "days":
        return count_text(q, "day")
    if kind == "every_days":
        return every_days_text(q)
    return quantity_text(q, value.get("unit"))
