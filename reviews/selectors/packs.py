"""A frozen pack as one reader sees it (``pack_read``): its sections and rows, the names it
mentions, its changes since the previous pack, privacy re-checked against the reader's
*current* access."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from django.utils.safestring import mark_safe

from metrics.selectors import subject_url
from reviews.diff import KINDS, pack_diff
from reviews.models import Meeting, Pack
from reviews.selectors.visible import (
    HIDDEN_PERSON,
    item_visible,
    pack_previous,
    pack_scope_label,
    people_visible,
)
from strategy.access import Access
from strategy.derived import DerivedNames

SECTIONS = (
    ("strategy", "Strategy"),
    ("theme", "Themes"),
    ("objective", "Objectives"),
    ("initiative", "Initiatives"),
    ("kpi", "KPIs"),
    ("milestone", "Milestones"),
    ("alert", "Open alerts"),
    ("checkin", "Recent check-ins"),
    ("action", "Action items"),
)


def pack_names(*, access: Access, snapshots: list[dict]) -> DerivedNames:
    """``DerivedNames`` for ``access`` from the names frozen in ``snapshots`` (later ones win):
    no query, names as they were at freezing, visibility as it is now."""
    names = DerivedNames(access)
    merged: dict[str, list] = {}
    for snapshot in snapshots:
        merged.update(snapshot.get("names") or {})
    initiative_of = {}
    for snapshot in snapshots:
        for item in snapshot.get("items", []):
            if item.get("k") == "milestone":
                initiative_of[item["id"]] = item.get("initiative")
    for key, (name, team_id) in merged.items():
        kind, _, digits = key.partition(":")
        pk = int(digits)
        url = (
            subject_url("initiative", initiative_of.get(pk))
            if kind == "milestone"
            else subject_url(kind, pk)
        )
        names.known((kind, pk), name=name, team_id=team_id, url=url)
    return names


@dataclass
class Section:
    """One section of a pack as a reader sees it: its rows (those of teams the reader may not see
    left out and counted in ``hidden``), ``chart`` and the rows ``cut`` from the print."""

    kind: str
    title: str
    rows: list[dict] = field(default_factory=list)
    hidden: int = 0
    chart: str = ""  # server-drawn SVG of the section (reviews.charts.pack_charts_add)
    cut: list[dict] = field(default_factory=list)  # rows left out of the print (reviews.pdf)

    @property
    def count(self) -> int:
        """Rows the reader may see, printed or not."""
        return len(self.rows) + len(self.cut)


@dataclass
class PackView:
    """A frozen pack as one reader sees it."""

    pack: Pack | None
    snapshot: dict
    sections: list[Section]
    changes: list[dict]
    hidden_changes: int
    names: DerivedNames
    previous: Pack | None = None
    changes_cut: int = 0  # changes left out of the print (reviews.pdf)
    scope_label: str = ""  # the scope's name as this reader may read it (scope_label_for)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per section kind, not counting those cut from the print. Not used in the app
        today."""
        return {s.kind: len(s.rows) for s in self.sections}


def _safe_html(names: DerivedNames, parts) -> str:
    """``names.html(parts)`` marked safe for templates: ``DerivedNames.html`` escapes every
    text and name itself (a template would otherwise escape its links a second time)."""
    return mark_safe(names.html(parts))  # noqa: S308 - escaped by DerivedNames.html


def _row(item: dict, names: DerivedNames) -> dict:
    row = dict(item)
    row["url"] = (
        subject_url("initiative", item.get("initiative"))
        if item["k"] in ("milestone", "checkin")
        else (subject_url(*item["subject"]) if item["k"] == "alert" else None)
    ) or (
        subject_url(item["k"], item["id"])
        if item["k"] in ("kpi", "initiative", "objective")
        else None
    )
    if item.get("reason"):
        row["reason_html"] = _safe_html(names, item["reason"])
    if item["k"] == "alert":
        row["title_html"] = _safe_html(names, item.get("title"))
        row["message_html"] = _safe_html(names, item.get("message"))
    if item["k"] in ("milestone", "checkin") and item.get("initiative"):
        row["initiative_html"] = _safe_html(names, {"ref": ["initiative", item["initiative"]]})
    return row


def changes_for_reader(
    *, changes: list[dict], access: Access, names: DerivedNames
) -> tuple[list[dict], int]:
    """The changes ``access`` may see, rendered (``html``, ``label``, ``url``), and how many
    were left out (shown as one combined row)."""
    shown, hidden = [], 0
    for change in changes:
        if not item_visible(access, change.get("team")):
            hidden += 1
            continue
        row = dict(change)
        row["label"] = KINDS.get(change["kind"], change["kind"])
        row["html"] = _safe_html(names, change["text"])
        link = change.get("link") or change["subject"]
        row["url"] = subject_url(link[0], link[1]) if link[0] != "action" else None
        shown.append(row)
    return shown, hidden


def agenda_keys(*, meeting: Meeting, access: Access) -> set[str]:
    """The keys of the agenda items of ``meeting`` that ``access`` may see: the changes of the
    diff of its pack from the previous one (``reviews.diff.pack_diff``), less those of teams
    hidden from the reader (the rule of ``changes_for_reader``). Empty when the meeting has
    no pack yet. Two queries."""
    pack = Pack.objects.filter(meeting=meeting).first()
    if pack is None:
        return set()
    previous = pack_previous(pack=pack)
    changes = pack_diff(previous.data if previous is not None else None, pack.data)
    return {c["key"] for c in changes if item_visible(access, c.get("team"))}


def pack_read(
    *, pack: Pack, access: Access, previous: Pack | Literal[False] | None = False
) -> PackView:
    """``pack`` as ``access`` may see it, with the diff from the previous pack of its review.

    ``previous``: the previous pack when the caller read it already (None: there is none);
    by default it is read here (one query)."""
    if previous is False:
        previous = pack_previous(pack=pack)
    snapshot = pack.data
    old = previous.data if previous is not None else None
    names = pack_names(access=access, snapshots=[s for s in (old, snapshot) if s])
    sections = {kind: Section(kind, title) for kind, title in SECTIONS}
    for item in snapshot.get("items", []):
        section = sections.get(item.get("k"))
        if section is None:
            continue
        if item_visible(access, item.get("team")):
            section.rows.append(_row(item, names))
        else:
            section.hidden += 1
    person_ids = {
        row.get(key)
        for section in sections.values()
        for row in section.rows
        for key in ("owner_id", "author_id")
    }
    shown_people = people_visible(access=access, ids=person_ids)
    for section in sections.values():
        for row in section.rows:
            for key, name in (("owner_id", "owner"), ("author_id", "author")):
                if key in row and row[key] not in shown_people:
                    row[name] = HIDDEN_PERSON
    changes, hidden = changes_for_reader(
        changes=pack_diff(old, snapshot), access=access, names=names
    )
    scope = snapshot.get("scope") or {}
    return PackView(
        pack=pack,
        scope_label=pack_scope_label(access=access, scope=scope),
        snapshot=snapshot,
        sections=list(sections.values()),
        changes=changes,
        hidden_changes=hidden,
        names=names,
        previous=previous,
    )
