"""Derived text parts: their format, the builders and the renderer; pure (no database, no
request), so the scoring functions build parts without touching Django.

The format (JSON, stored in ``GapScore.reason_parts``, components and contributors rows,
``Alert.title_parts`` and ``Alert.message_parts``)
---------------------------------------------------------------------------------------------
``Parts`` is one of:

* a plain string: literal text, shown as is (escaped in HTML);
* ``{"t": template, "v": {name: Value, ...}}``: ``template`` uses ``str.format`` syntax with
  named fields only (``"Health {score:.0f}/100"``; ``{{`` and ``}}`` for literal braces);
  optional ``"about": [subject_type, id]``: the whole part is about that object, and a reader
  who may not see it gets "a part you cannot see" instead of the part (its figures included).

``Value`` is one of:

* ``None`` (nothing), a string, an int or a float (the field's format spec applies);
* a nested ``Parts`` dict;
* a reference ``{"ref": [subject_type, id]}``: rendered as the object's label
  (``objective “Grow revenue”``, a link in HTML) for a reader who may see it, else as
  "a part you cannot see". Optional ``"n"``: the words of the neutral form (below), e.g.
  ``"this KPI"``;
* a list ``{"list": [Parts or reference, ...], "sep": ", ", "last": " and "}``: items about
  objects the reader may not see are left out and replaced by one item at the end,
  "a part you cannot see" or "N parts you cannot see" (no name, key, owner or figure);
* a quantity ``{"q": number, "as": kind, ...}`` (built by ``strategy.quantities.quantity``):
  a figure with its unit and plural rules applied when rendered, so a stored part reads
  right under today's rules: ``{"q": 1, "unit": "meetings"}`` -> "1 meeting", ``{"q": 0.47,
  "as": "percent"}`` -> "47 %", ``{"q": 0.05, "as": "points"}`` -> "0.05 percentage points",
  ``{"q": 3, "as": "count", "one": "overdue milestone"}`` -> "3 overdue milestones",
  ``{"q": 1, "as": "every_days"}`` -> "every day"; a share that is not finite or beyond
  ±1,000 % is written as a phrase, never "inf %" (the rules: ``strategy.quantities``).

Subject types are those of ``metrics.models.SubjectType``: kpi, initiative, milestone,
objective, team, theme, strategy. Themes and strategies are visible to anyone with a role;
a team to whoever may see its content; the others with their team (a milestone with its
initiative's).

Example: ``{"t": "Health {score:.0f}/100; behind mainly because of {why}.", "v": {"score": 61.4,
"why": {"list": [{"t": "{0} (-{pts:.0f} points)", "about": ["objective", 42], "v": {"0":
{"ref": ["objective", 42]}, "pts": 12.1}}], "sep": ", ", "last": " and "}}}`` renders as
"Health 61/100; behind mainly because of objective “People plan” (-12 points)." for a reader
who may see objective 42, and "Health 61/100; behind mainly because of a part you cannot see."
for one who may not.

Rendering for a reader (names resolved through ``strategy.access``) is ``strategy.derived``;
``derived_neutral(parts)`` here is the stored plain-text form, which names no object.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Callable, Iterable, Iterator
from html import escape
from typing import Any

from strategy.quantities import quantity_render

Key = tuple[str, int]
Parts = str | dict

ONE_HIDDEN = "a part you cannot see"
MANY_HIDDEN = "{n} parts you cannot see"
ONE_NEUTRAL = "a part"
MANY_NEUTRAL = "{n} parts"

NOUNS = {
    "kpi": "KPI",
    "initiative": "initiative",
    "milestone": "milestone",
    "objective": "objective",
    "team": "team",
    "theme": "theme",
    "strategy": "strategy",
    "action": "action item",
}
_FORMATTER = string.Formatter()


# --- builders (pure) ------------------------------------------------------------------------------
def ref(subject_type: str, subject_id: int, *, neutral: str | None = None) -> dict:
    """A reference to one object; ``neutral``: its words in the stored plain text."""
    value: dict = {"ref": [str(subject_type), int(subject_id)]}
    if neutral:
        value["n"] = neutral
    return value


def part(template: str, *, about: Key | None = None, **values: Any) -> dict:
    """``{"t": template, "v": values}``, about ``about`` when given."""
    built: dict = {"t": template, "v": values}
    if about is not None:
        built["about"] = [str(about[0]), int(about[1])]
    return built


def items(entries: Iterable[Parts | dict], *, sep: str = ", ", last: str = " and ") -> dict:
    """A list whose hidden entries are combined into one "N parts you cannot see"."""
    return {"list": list(entries), "sep": sep, "last": last}


def prefixed(prefix: str, parts: Parts, suffix: str = "") -> dict:
    """``prefix`` + ``parts`` + ``suffix`` (literal texts around a part)."""
    return {"t": "{p}{r}{s}", "v": {"p": prefix, "r": parts, "s": suffix}}


def literal(text: str) -> str:
    """Plain text as parts (a string is its own parts)."""
    return text


def refs_of(parts: Any) -> Iterator[Key]:
    """Every object ``parts`` mentions (references and ``about``), depth first."""
    if isinstance(parts, dict):
        for name in ("ref", "about"):
            target = parts.get(name)
            if isinstance(target, list | tuple) and len(target) == 2:
                yield (str(target[0]), int(target[1]))
        values = parts.get("v")
        if isinstance(values, dict):
            for value in values.values():
                yield from refs_of(value)
        entries = parts.get("list")
        if isinstance(entries, list):
            for entry in entries:
                yield from refs_of(entry)
    elif isinstance(parts, list):
        for entry in parts:
            yield from refs_of(entry)


def refs_collect(parts: Any, found: set[Key]) -> None:
    """Add every object ``parts`` mentions to ``found`` (the set of ``refs_of``, without its
    generators: a pack's thousands of texts are walked in a few milliseconds)."""
    if isinstance(parts, dict):
        for name in ("ref", "about"):
            target = parts.get(name)
            if isinstance(target, list | tuple) and len(target) == 2:
                found.add((str(target[0]), int(target[1])))
        values = parts.get("v")
        if isinstance(values, dict):
            for value in values.values():
                if isinstance(value, dict | list):
                    refs_collect(value, found)
        entries = parts.get("list")
        if isinstance(entries, list):
            refs_collect(entries, found)
    elif isinstance(parts, list):
        for entry in parts:
            if isinstance(entry, dict | list):
                refs_collect(entry, found)


@functools.lru_cache(maxsize=2048)
def _parse(template: str) -> tuple[tuple[str, str | None, str], ...] | None:
    """(literal text, field name, format spec) of each piece of a template, once per template
    (the engine writes a few dozen distinct ones); None when it is malformed."""
    try:
        return tuple(
            (text, name, spec or "") for text, name, spec, _conv in _FORMATTER.parse(template)
        )
    except ValueError:
        return None


def _same(text: str) -> str:
    return text


def _plain(label: str, url: str | None) -> str:
    return label


def _link(label: str, url: str | None) -> str:
    if not url:
        return escape(label)
    return f'<a href="{escape(url)}">{escape(label)}</a>'


class _Render:
    """One rendering pass: ``lookup`` gives (label, url) of visible objects, None otherwise."""

    def __init__(
        self,
        lookup: Callable[[Key], tuple[str, str | None] | None],
        *,
        escape: Callable[[str], str],
        link: Callable[[str, str | None], str],
        neutral: bool,
    ) -> None:
        self.lookup, self.escape, self.link, self.neutral = lookup, escape, link, neutral

    def hidden(self, count: int = 1, words: str | None = None) -> str:
        if count == 1:
            return self.escape(words or (ONE_NEUTRAL if self.neutral else ONE_HIDDEN))
        return self.escape((MANY_NEUTRAL if self.neutral else MANY_HIDDEN).format(n=count))

    def visible(self, target: Any) -> tuple[str, str | None] | None:
        if isinstance(target, list | tuple) and len(target) == 2:
            return self.lookup((str(target[0]), int(target[1])))
        return None

    def is_hidden(self, entry: Any) -> bool:
        """An entry about (or referring to) an object the reader may not see."""
        if isinstance(entry, dict):
            for name in ("about", "ref"):
                if name in entry:
                    return self.visible(entry[name]) is None
        return False

    def parts(self, parts: Any) -> str:
        if parts is None:
            return ""
        if isinstance(parts, str):
            return self.escape(parts)
        if not isinstance(parts, dict):
            return self.escape(str(parts))
        if "ref" in parts:
            return self.reference(parts)
        if "list" in parts:
            return self.listing(parts)
        if "q" in parts:
            return self.escape(quantity_render(parts))
        if "about" in parts and self.visible(parts["about"]) is None:
            return self.hidden()
        template = parts.get("t", "")
        values = parts.get("v") or {}
        fields = _parse(template)
        if fields is None:  # a malformed template is shown as its literal text
            return self.escape(template)
        out: list[str] = []
        for text, name, spec in fields:
            out.append(self.escape(text))
            if name is not None:
                out.append(self.value(values.get(name), spec))
        return "".join(out)

    def reference(self, value: dict) -> str:
        found = self.visible(value.get("ref"))
        if found is None:
            return self.hidden(words=value.get("n") if self.neutral else None)
        return self.link(*found)

    def listing(self, value: dict) -> str:
        entries = value.get("list") or []
        shown = [self.parts(e) for e in entries if not self.is_hidden(e)]
        hidden = sum(1 for e in entries if self.is_hidden(e))
        if hidden:
            shown.append(self.hidden(hidden))
        sep, last = value.get("sep", ", "), value.get("last", " and ")
        if len(shown) <= 1:
            return "".join(shown)
        return self.escape(sep).join(shown[:-1]) + self.escape(last) + shown[-1]

    def value(self, value: Any, spec: str) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return self.parts(value)
        if isinstance(value, bool):
            return self.escape(str(value))
        if isinstance(value, float) and not math.isfinite(value):
            return self.escape(quantity_render({"q": value}))
        if isinstance(value, int | float):
            try:
                return self.escape(format(value, spec))
            except ValueError:
                return self.escape(str(value))
        return self.escape(format(str(value), spec) if spec else str(value))


def derived_neutral(parts: Any) -> str:
    """The stored plain-text form of ``parts``: no referenced object is named, figures of
    parts about objects are left out ("a part", "2 parts", or a reference's neutral words)."""
    return _Render(lambda key: None, escape=_same, link=_plain, neutral=True).parts(parts)


def parts_text(parts: Any, lookup: Callable[[Key], tuple[str, str | None] | None]) -> str:
    """Plain text of ``parts``; ``lookup(key)`` gives ``(label, url)`` of an object the reader
    may see, None for one hidden or gone ("a part you cannot see")."""
    return _Render(lookup, escape=_same, link=_plain, neutral=False).parts(parts)


def parts_html(parts: Any, lookup: Callable[[Key], tuple[str, str | None] | None]) -> str:
    """HTML of ``parts`` (escaped; a visible object links to its ``url``); ``lookup`` as for
    ``parts_text``."""
    return _Render(lookup, escape=escape, link=_link, neutral=False).parts(parts)
