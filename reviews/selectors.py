"""Reads of the review cycle: reviews a person may see, and frozen packs and their diff as
one reader may see them (privacy re-checked against the reader's *current* access).

Reading a pack costs no query for its content: every name it shows is frozen in the pack,
and visibility comes from ``strategy.access`` (already computed for the request).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.safestring import mark_safe

from metrics.selectors import subject_url
from reviews.diff import KINDS, pack_diff
from reviews.models import ActionItem, Decision, Meeting, Pack, Review
from strategy.access import Access
from strategy.derived import ONE_HIDDEN, DerivedNames

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


def reviews_visible(*, access: Access) -> QuerySet[Review]:
    """The reviews ``access`` may see (``Access.review_filter``), without duplicates."""
    if not access.sees_anything and access.user_id is None:
        return Review.objects.none()
    return Review.objects.filter(access.review_filter()).distinct()


def review_get_for_user(*, access: Access, pk: int) -> Review:
    """The review if this person may see it, else 404."""
    return get_object_or_404(
        reviews_visible(access=access).select_related("strategy", "team", "theme", "objective"),
        pk=pk,
    )


def meeting_get_for_user(*, access: Access, pk: int) -> Meeting:
    """The meeting if this person may see its review, else 404."""
    review_ids = reviews_visible(access=access).values("id")
    return get_object_or_404(
        Meeting.objects.filter(review_id__in=review_ids).select_related(
            "review", "review__strategy", "review__team", "review__objective"
        ),
        pk=pk,
    )


def pack_get_for_user(*, access: Access, pk: int) -> Pack:
    """The pack if this person may see its review, else 404."""
    review_ids = reviews_visible(access=access).values("id")
    return get_object_or_404(
        Pack.objects.filter(review_id__in=review_ids).select_related(
            "meeting", "review", "review__strategy"
        ),
        pk=pk,
    )


def pack_previous(*, pack: Pack) -> Pack | None:
    """The pack of the same review frozen just before ``pack`` (one query)."""
    return (
        Pack.objects.filter(review_id=pack.review_id, frozen_at__lt=pack.frozen_at)
        .order_by("-frozen_at", "-id")
        .first()
    )


def item_visible(access: Access, team_id: int | None) -> bool:
    """The rule of a frozen item: no team (the strategy, a theme) for anyone who sees the plan;
    else the reader's current right on the team. A team deleted since is in nobody's visible
    teams but the strategy office's (who sees every team)."""
    if team_id is None:
        return access.sees_anything
    return access.can_view_team(team_id)


def scope_label_for(*, access: Access, kind: str, label: str, team_id: int | None) -> str:
    """The name of a review's scope (a frozen pack's ``scope.label`` or the review's object)
    as ``access`` may read it: the strategy and themes for anyone who sees the plan; a team's
    or an objective's only for who may see that team (``strategy.access``), else "a part you
    cannot see" (a participant named on a private team's review sees that it exists, not
    what it is). A team or objective scope whose team is unknown is named to the office
    only."""
    if kind in (Review.Scope.TEAM, Review.Scope.OBJECTIVE):
        shown = access.visible_team_ids is None or (
            team_id is not None and item_visible(access, team_id)
        )
    else:
        shown = access.sees_anything
    return label if shown else ONE_HIDDEN


def pack_scope_label(*, access: Access, scope: dict) -> str:
    """A frozen pack's ``scope`` (``{"kind", "label", "team"}``) named for ``access``
    (``scope_label_for``)."""
    return scope_label_for(
        access=access,
        kind=scope.get("kind") or "",
        label=scope.get("label") or "",
        team_id=scope.get("team"),
    )


def review_scope_text(*, access: Access, review: Review) -> str:
    """ "Team and its sub-teams: Sales", the review's scope as ``access`` may read it
    (``scope_label_for``); the strategy scope is its kind alone. Joins the scope's object
    (select it related)."""
    kind = review.get_scope_display()
    name = ""
    if review.scope == Review.Scope.THEME and review.theme is not None:
        name = review.theme.name
    elif review.scope == Review.Scope.TEAM and review.team is not None:
        name = review.team.name
    elif review.scope == Review.Scope.OBJECTIVE and review.objective is not None:
        name = review.objective.title
    if not name:
        return kind
    label = scope_label_for(
        access=access, kind=review.scope, label=name, team_id=review.scope_team_id
    )
    return f"{kind}: {label}"


DECISION_HIDDEN = "A decision about a part you cannot see."


def decision_text_shown(*, access: Access, review: Review) -> bool:
    """Whether ``access`` reads the texts of the review's decisions: who may see its scope
    (``Access.can_view_subject``); a participant who may not reads how many there are."""
    return access.can_view_subject(review)


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


HIDDEN_PERSON = "someone you cannot see"


def people_visible(*, access: Access, ids) -> set[int]:
    """Which of these people ``access`` may see named (``strategy.people.people_choosable``:
    someone whose only roles are in private teams hidden from the reader is not): one query,
    none when ``ids`` is empty."""
    from strategy.people import people_choosable

    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return set()
    seen = set(people_choosable(access=access).filter(pk__in=ids).values_list("pk", flat=True))
    if access.user_id is not None and access.user_id in ids:
        seen.add(access.user_id)
    return seen


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


def kpi_states(*, kpi_ids: Iterable[int]) -> dict[str, dict]:
    """``{kpi id (str): {"value", "as_of", "status", "score"}}`` now: two queries."""
    from metrics.models import GapScore, Measurement, SubjectType

    ids = list(kpi_ids)
    states: dict[str, dict] = {
        str(pk): {"value": None, "as_of": None, "status": None, "score": None} for pk in ids
    }
    seen: set[int] = set()
    for kpi_id, as_of, value in (
        Measurement.objects.filter(kpi_id__in_ids=ids)
        .order_by("kpi_id", "-as_of", "-id")
        .values_list("kpi_id", "as_of", "value")
    ):
        if kpi_id in seen:
            continue
        seen.add(kpi_id)
        states[str(kpi_id)].update(value=value, as_of=as_of.isoformat())
    for subject_id, status, score in GapScore.objects.filter(
        is_latest=True, subject_type=SubjectType.KPI, subject_id__in_ids=ids
    ).values_list("subject_id", "status", "score"):
        states[str(subject_id)].update(status=status, score=score)
    return states


def decisions_with_movement(
    *,
    decisions: list[Decision],
    access: Access,
    now_states: dict[str, dict] | None = None,
    texts_shown: bool = True,
) -> list[dict]:
    """Each decision with the KPIs it concerned that ``access`` may see: value and status then
    (frozen on the decision) and now (``kpi_states``, one read for all).
    ``texts_shown`` (``decision_text_shown``): else each decision's ``text`` is None, shown as
    "a decision about a part you cannot see"."""
    kpi_ids = {int(pk) for d in decisions for pk in (d.kpis_then or {})}
    if now_states is None:
        now_states = kpi_states(kpi_ids=kpi_ids) if kpi_ids else {}
    from metrics.models import KPI

    labels = (
        dict(KPI.objects.filter(id__in_ids=kpi_ids).values_list("id", "name")) if kpi_ids else {}
    )
    out = []
    for decision in decisions:
        visible = [s for s in decision.subjects if item_visible(access, s.get("team"))]
        teams = {(s["type"], s["id"]): s.get("team") for s in decision.subjects}
        movement = []
        for pk, then in (decision.kpis_then or {}).items():
            if not item_visible(access, teams.get(("kpi", int(pk)))):
                continue
            movement.append(
                {
                    "kpi": int(pk),
                    "kpi_label": labels.get(int(pk), "deleted since"),
                    "url": subject_url("kpi", int(pk)),
                    "then": then,
                    "now": now_states.get(pk, {}),
                }
            )
        out.append(
            {
                "decision": decision,
                "text": decision.text if texts_shown else None,
                "subjects": visible,
                "hidden": len(decision.subjects) - len(visible),
                "movement": movement,
            }
        )
    return out


def review_action_items(*, review: Review, access: Access) -> list[ActionItem]:
    """The action items of ``review``'s meetings the reader may see (an item about a team:
    who may see that team; the others: who sees the review), open first then by due date,
    with owner and meeting joined: one query."""
    return [
        item
        for item in ActionItem.objects.filter(meeting__review=review)
        .select_related("owner", "meeting")
        .order_by("status", "due_date", "id")
        if item.team_id is None or item_visible(access, item.team_id)
    ]


def action_items_open_for(*, user, access: Access) -> QuerySet[ActionItem]:
    """The open action items ``user`` owns, the most overdue first (My work)."""
    return (
        ActionItem.objects.filter(owner=user, status=ActionItem.Status.OPEN)
        .select_related("meeting", "meeting__review")
        .order_by("due_date", "id")
    )


def pack_decisions(*, pack: Pack, access: Access) -> list[dict]:
    """The review's decisions taken before ``pack`` was frozen, each with the KPIs it concerned
    (that ``access`` may see): value and status when decided, and as frozen in this pack, so
    the pack shows what followed each decision. Two queries."""
    decisions = list(
        Decision.objects.filter(
            meeting__review_id=pack.review_id, created_at__lt=pack.frozen_at
        ).order_by("-created_at", "-id")[:50]
    )
    states = {
        str(item["id"]): {
            "value": item.get("value"),
            "as_of": item.get("value_as_of"),
            "status": item.get("status"),
            "score": item.get("score"),
        }
        for item in pack.data.get("items", [])
        if item.get("k") == "kpi"
    }
    return decisions_with_movement(
        decisions=decisions,
        access=access,
        now_states=states,
        texts_shown=decision_text_shown(access=access, review=pack.review),
    )
