"""Reads of what a review decided: decisions with the movement of their KPIs since, the review's
action items, a person's open ones, a pack's decisions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from metrics.selectors import subject_url
from reviews.models import ActionItem, Decision, Pack, Review
from reviews.selectors.visible import decision_text_shown, item_visible
from strategy.access import Access


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
