"""Derived text: sentences computed from several objects, stored as parts, rendered for a reader.

A score's reason, its components and contributors, an alert's title and message may mention
objects the reader is not allowed to see (a private team's objective under a public one). So
the engine never stores such a sentence as finished text: it stores **parts** (a template, the
references it mentions and the values it shows), and every page, API response, e-mail and
webhook renders them for its reader with ``strategy.access``.

The format, the builders and the renderer are ``strategy.parts`` (pure); the names listed in
``__all__`` below are re-exported from there for the callers.

Rendering
---------
``DerivedNames(access)`` collects the references of every part a page shows (``want``) and
resolves them in **one query** (``resolve``), whatever their number and types; ``text`` and
``html`` then render any of those parts for that reader. ``derived_neutral(parts)`` is the
form stored in the plain text columns (``GapScore.reason``, ``Alert.title``, ``Alert.message``):
it names no referenced object at all, so it is safe for any reader of the subject itself
(badge tooltips, admin lists, anything that reads the column directly).

The builders (``ref``, ``part``, ``items``, ``prefixed``) are pure: the scoring functions use
them without touching the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.db.models import BigIntegerField, CharField, F, Value
from django.db.models.functions import Cast
from django.urls import reverse

from strategy.parts import (
    MANY_HIDDEN,
    MANY_NEUTRAL,
    NOUNS,
    ONE_HIDDEN,
    ONE_NEUTRAL,
    Key,
    Parts,
    derived_neutral,
    items,
    literal,
    part,
    parts_html,
    parts_text,
    prefixed,
    ref,
    refs_collect,
    refs_of,
)

if TYPE_CHECKING:
    from django.db.models import Model

    from strategy.access import Access

__all__ = [
    "MANY_HIDDEN",
    "MANY_NEUTRAL",
    "NOUNS",
    "ONE_HIDDEN",
    "ONE_NEUTRAL",
    "DerivedNames",
    "Key",
    "Parts",
    "derived_labels",
    "derived_names",
    "derived_neutral",
    "items",
    "literal",
    "part",
    "prefixed",
    "ref",
    "refs_collect",
    "refs_of",
    "subject_url",
]


# --- resolving references for a reader ------------------------------------------------------------
class DerivedNames:
    """The labels of the objects some parts mention, as one reader may see them.

    ``want`` every part first, then ``resolve`` once (one query for every reference); ``text``
    and ``html`` render. A reference the reader may not see, or to an object that no longer
    exists, renders as "a part you cannot see".
    """

    def __init__(self, access: Access) -> None:
        self.access = access
        self._wanted: set[Key] = set()
        # key -> (label, url) of visible objects; None: hidden or gone
        self._found: dict[Key, tuple[str, str | None] | None] = {}

    def want(self, *parts: Any) -> DerivedNames:
        """Note every object ``parts`` mention (``refs_collect``: ``ref`` and ``about`` entries,
        nested values and lists) for the next ``resolve``; returns self, to chain."""
        for one in parts:
            refs_collect(one, self._wanted)
        return self

    def known(self, key: Key, *, name: str, team_id: int | None, url: str | None = None) -> None:
        """A label the caller already read (no query for it); visibility still applies."""
        visible = self._visible(key[0], key[1], team_id)
        self._found[key] = (_label(key[0], name), url) if visible else None

    def resolve(self) -> DerivedNames:
        """Read the labels of every wanted reference not known yet, in one query."""
        missing = {k for k in self._wanted if k not in self._found and k[0] in NOUNS}
        self._wanted.clear()
        if not missing:
            return self
        for key in missing:
            self._found[key] = None
        for subject_type, subject_id, name, team_id, extra in _labels_query(missing):
            if not self._visible(subject_type, subject_id, team_id):
                continue
            if subject_type == "milestone":
                url = subject_url("initiative", extra)
            else:
                url = subject_url(subject_type, subject_id)
            self._found[(subject_type, subject_id)] = (_label(subject_type, name), url)
        return self

    def _visible(self, subject_type: str, subject_id: int, team_id: int | None) -> bool:
        if subject_type in ("theme", "strategy"):
            return self.access.sees_anything
        if subject_type == "team":
            return self.access.sees_anything and self.access.can_view_team(subject_id)
        if subject_type == "action" and team_id is None:
            # An action item of a strategy or theme review: as its review (reviews.selectors).
            return self.access.sees_anything
        return team_id is not None and self.access.can_view_team(team_id)

    def get(self, key: Key) -> tuple[str, str | None] | None:
        """(label, url) of a visible object; None when hidden, gone or not resolved."""
        return self._found.get(key)

    def sees(self, key: Key | None) -> bool:
        """Whether the reader may see the referenced object (False for None, or a key not resolved
        yet)."""
        return key is not None and self._found.get(key) is not None

    def text(self, parts: Any) -> str:
        """Plain text of ``parts`` for this reader."""
        return parts_text(parts, self._found.get)

    def html(self, parts: Any) -> str:
        """HTML of ``parts`` for this reader (escaped; visible objects link to their page)."""
        return parts_html(parts, self._found.get)


def subject_url(subject_type: str | None, subject_id: int | None) -> str | None:
    """The page of a scored subject (``kpi``, ``initiative``, ``objective``, ``theme``,
    ``team``), without a query (KPIs go through their id redirect); None for other types."""
    if not subject_type or subject_id is None:
        return None
    names: dict[str, str] = {
        "kpi": "metrics:kpi-by-id",
        "initiative": "initiatives:initiative-detail",
        "objective": "strategy:objective-detail",
    }
    if subject_type in names:
        return reverse(names[subject_type], args=[subject_id])
    if subject_type in ("theme", "team"):
        return f"{reverse('strategy:overview')}?{subject_type}={subject_id}"
    return None


def derived_names(*, access: Access, parts: Iterable[Any]) -> DerivedNames:
    """``DerivedNames`` for ``access`` with every reference of ``parts`` resolved (one query)."""
    return DerivedNames(access).want(*parts).resolve()


def derived_labels(keys: Iterable[Key]) -> list[tuple[str, int, str, int | None, int | None]]:
    """(type, id, name, team id, initiative id of a milestone) of each existing key, in one
    query: what a frozen snapshot keeps of the objects its parts mention."""
    return _labels_query({k for k in keys if k[0] in NOUNS})


def _label(subject_type: str, name: str) -> str:
    return f"{NOUNS.get(subject_type, subject_type)} “{name}”"


def _labels_query(keys: set[Key]) -> list[tuple[str, int, str, int | None, int | None]]:
    """(type, id, name, team id, initiative id of a milestone) of each key that exists: one
    UNION ALL query over the subject tables."""
    # Through the app registry, not imports: the models of every app are read here, and they
    # all import this module's app (``strategy``), which must not import them back.
    get = django_apps.get_model
    by_type: dict[str, list[int]] = {}
    for subject_type, subject_id in keys:
        by_type.setdefault(subject_type, []).append(subject_id)
    # Typed, not bare NULLs and literals: PostgreSQL resolves an untyped column of the first
    # branches of a UNION as text, which a later bigint branch then cannot match.
    none = Cast(Value(None), output_field=BigIntegerField())
    sources: dict[str, tuple[type[Model], str, Any, Any]] = {
        "kpi": (get("metrics", "KPI"), "name", F("team_id"), none),
        "initiative": (get("initiatives", "Initiative"), "title", F("team_id"), none),
        "milestone": (
            get("initiatives", "Milestone"),
            "title",
            F("initiative__team_id"),
            F("initiative_id"),
        ),
        "objective": (get("strategy", "Objective"), "title", F("team_id"), none),
        "team": (get("strategy", "Team"), "name", F("id"), none),
        "theme": (get("strategy", "Theme"), "name", none, none),
        "strategy": (get("strategy", "Strategy"), "name", none, none),
        "action": (get("reviews", "ActionItem"), "title", F("team_id"), none),
    }
    queries = []
    for subject_type, ids in sorted(by_type.items()):
        model, name, team, extra = sources[subject_type]
        queries.append(
            model._default_manager.filter(id__in_ids=ids)
            .order_by()
            .annotate(
                _kind=Cast(Value(subject_type), output_field=CharField(max_length=10)),
                _name=F(name),
                _team=team,
                _extra=extra,
            )
            .values_list("_kind", "id", "_name", "_team", "_extra")
        )
    if not queries:
        return []
    first, *rest = queries
    return list(first.union(*rest, all=True)) if rest else list(first)
