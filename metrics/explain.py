"""Scores and alerts explained for one reader (selectors over ``strategy.derived`` parts).

The gap engine stores every sentence that mentions other objects as parts with references
(``GapScore.reason_parts``, ``detail_parts`` of components, ``explanation_parts`` of
contributors, ``Alert.title_parts`` and ``Alert.message_parts``). Everything that shows them
(pages, API, CSV, e-mails, webhooks) reads them through this module, which names only what
the reader may see:

* a component about an object the reader may not see is not listed; all such components of
  a score are combined into one row "N parts you cannot see" with their combined weight (no
  name, key, owner, score or status of their own);
* a contributor about such an object is left out;
* in a sentence, such a reference reads "a part you cannot see".

Every reference of every score or alert passed in one call is resolved in one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from metrics.models import Alert, GapScore
from strategy.access import Access
from strategy.derived import DerivedNames

HIDDEN_KEY = "hidden"


def hidden_label(count: int) -> str:
    """The label of the combined row of parts the reader may not see."""
    return f"{count} part{'s' if count != 1 else ''} you cannot see"


@dataclass
class ScoreExplained:
    """What one reader may read of a score's explanation.

    ``components``: rows with key, label, url (None when not linkable), score, weight (share
    of the parent, 0-1), status, detail, detail_html, and for a subject subject_type and
    subject_id; the combined row of hidden parts has key "hidden", ``hidden`` True, ``count``,
    and score and status None. ``contributors``: label, url, gap_points (0-100 points),
    explanation, explanation_html, subject_type and subject_id when about a subject.
    """

    reason: str
    reason_html: SafeString
    components: list[dict] = field(default_factory=list)
    contributors: list[dict] = field(default_factory=list)
    components_extra: dict = field(default_factory=dict)

    @property
    def components_json(self) -> dict:
        """``GapScore.components`` as the API shows it to this reader (contracts.Components)."""
        items = [
            {k: v for k, v in row.items() if k not in ("detail_html", "url")}
            for row in self.components
        ]
        return {**self.components_extra, "items": items}


def _key(row: dict) -> tuple[str, int] | None:
    subject_type, subject_id = row.get("subject_type"), row.get("subject_id")
    if not subject_type or subject_id is None:
        return None
    return (str(subject_type), int(subject_id))


def _raw_items(score: GapScore) -> tuple[list[dict], dict]:
    raw = score.components or {}
    extra: dict = {}
    if isinstance(raw, dict):
        if isinstance(raw.get("items"), list):  # the engine's shape
            extra = {k: v for k, v in raw.items() if k not in ("items", "fingerprint")}
            raw = raw["items"]
        else:  # components keyed by name
            raw = list(raw.values())
    return [dict(c) for c in raw if isinstance(c, dict) and "label" in c], extra


def _score_parts(score: GapScore) -> Iterable[Any]:
    yield score.reason_parts
    items, _extra = _raw_items(score)
    for item in items:
        yield item.get("detail_parts")
        if key := _key(item):
            yield {"ref": list(key)}
    for row in score.contributors or []:
        if isinstance(row, dict):
            yield row.get("explanation_parts")
            if key := _key(row):
                yield {"ref": list(key)}


def _explain(score: GapScore, names: DerivedNames, html: bool) -> ScoreExplained:
    reason = score.reason if score.reason_parts is None else score.reason_parts
    items, extra = _raw_items(score)
    components: list[dict] = []
    hidden, hidden_weight = 0, 0.0
    for item in items:
        key = _key(item)
        found = names.get(key) if key is not None else None  # None for a subject: not seen
        if key is not None and found is None:
            hidden += 1
            hidden_weight += float(item.get("weight") or 0.0)
            continue
        if found is not None:
            label, url = found
            # a stored text of a part about a subject may name others: only its parts are read
            detail = item.get("detail_parts") or ""
        else:
            label, url = str(item.get("label", "")), None
            detail = item.get("detail_parts", item.get("detail", ""))
        row = {
            "key": item.get("key", ""),
            "label": label,
            "url": url,
            "score": item.get("score"),
            "weight": item.get("weight"),
            "status": item.get("status"),
            "detail": names.text(detail),
            "detail_html": _html(names, detail, html),
        }
        if key is not None:
            row["subject_type"], row["subject_id"] = key
        components.append(row)
    if hidden:
        components.append(
            {
                "key": HIDDEN_KEY,
                "label": hidden_label(hidden),
                "url": None,
                "score": None,
                "weight": hidden_weight,
                "status": None,
                "detail": "",
                "detail_html": mark_safe(""),
                "hidden": True,
                "count": hidden,
            }
        )
    contributors: list[dict] = []
    for row in score.contributors or []:
        if not isinstance(row, dict):
            continue
        key = _key(row)
        found = names.get(key) if key is not None else None  # None for a subject: not seen
        if key is not None and found is None:
            continue  # never named, and its figure is its own: left out
        if found is not None:
            label, url = found
            explanation = row.get("explanation_parts") or label
        else:
            label, url = str(row.get("label", "")), None
            explanation = row.get("explanation_parts", row.get("explanation", label))
        shown = {
            "label": label,
            "url": url,
            "gap_points": row.get("gap_points"),
            "explanation": names.text(explanation),
            "explanation_html": _html(names, explanation, html),
        }
        if key is not None:
            shown["subject_type"], shown["subject_id"] = key
        contributors.append(shown)
    return ScoreExplained(
        reason=names.text(reason),
        reason_html=_html(names, reason, html),
        components=components,
        contributors=contributors,
        components_extra=extra,
    )


def _html(names: DerivedNames, parts: Any, wanted: bool) -> SafeString:
    """HTML of ``parts`` (escaped by ``DerivedNames.html``), or empty when not wanted."""
    return mark_safe(names.html(parts) if wanted else "")  # noqa: S308 - escaped by html()


def scores_explain(
    *,
    scores: Iterable[GapScore | None],
    access: Access,
    names: DerivedNames | None = None,
    html: bool = True,
) -> None:
    """Set ``score.explained`` (a ``ScoreExplained``) on each score, for this reader: one query
    for the references of all of them (none when they mention nothing). ``html=False``: plain
    text only (the ``*_html`` fields stay empty), for the API."""
    present = [s for s in scores if s is not None]
    names = names or DerivedNames(access)
    for score in present:
        names.want(*_score_parts(score))
    names.resolve()
    for score in present:
        score.explained = _explain(score, names, html)


def score_explain(*, score: GapScore | None, access: Access) -> ScoreExplained | None:
    """``ScoreExplained`` of one score (None when not scored yet)."""
    if score is None:
        return None
    scores_explain(scores=[score], access=access)
    return score.explained


@dataclass
class AlertText:
    """An alert's title and message for one reader (plain text and escaped HTML)."""

    title: str
    message: str
    title_html: SafeString
    message_html: SafeString
    details: dict = field(default_factory=dict)


# Alert details that list subjects by id: (key, subject type); ids the reader may not see are
# left out.
ID_LIST_DETAILS = {"leading_kpi_ids": "kpi", "lagging_kpi_ids": "kpi"}
# Lists of alert dedup keys ("<kind>:<subject_type>:<id>"): a root alert's causes.
KEY_LIST_DETAILS = ("causes",)


def _key_subject(key: Any) -> tuple[str, int] | None:
    parts = str(key).split(":")
    if len(parts) == 3 and parts[2].isdigit():
        return (parts[1], int(parts[2]))
    return None


def _details_for(details: Any, names: DerivedNames) -> dict:
    shown = dict(details) if isinstance(details, dict) else {}
    for key, subject_type in ID_LIST_DETAILS.items():
        if isinstance(shown.get(key), list):
            shown[key] = [i for i in shown[key] if names.sees((subject_type, int(i)))]
    for key in KEY_LIST_DETAILS:
        if isinstance(shown.get(key), list):
            shown[key] = [k for k in shown[key] if names.sees(_key_subject(k))]
    return shown


def _alert_parts(alert: Any) -> tuple[Any, Any]:
    title = getattr(alert, "title_parts", None)
    message = getattr(alert, "message_parts", None)
    return (alert.title if title is None else title, alert.message if message is None else message)


def alerts_render(
    *,
    alerts: Iterable[Alert | Any],
    access: Access,
    names: DerivedNames | None = None,
    html: bool = True,
) -> None:
    """Set ``alert.text`` (an ``AlertText``) on each alert (an ``Alert`` or any row with
    ``title``, ``message``, ``title_parts`` and ``message_parts``) for this reader, with one
    query for the references of all of them. ``html=False``: plain text only."""
    alerts = list(alerts)
    names = names or DerivedNames(access)
    for alert in alerts:
        names.want(*_alert_parts(alert))
        details = getattr(alert, "details", None)
        if isinstance(details, dict):
            for key, subject_type in ID_LIST_DETAILS.items():
                names.want(*({"ref": [subject_type, i]} for i in details.get(key) or []))
            for key in KEY_LIST_DETAILS:
                subjects = [_key_subject(k) for k in details.get(key) or []]
                names.want(*({"ref": list(s)} for s in subjects if s is not None))
    names.resolve()
    for alert in alerts:
        title, message = _alert_parts(alert)
        alert.text = AlertText(
            title=names.text(title),
            message=names.text(message),
            title_html=_html(names, title, html),
            message_html=_html(names, message, html),
            details=_details_for(getattr(alert, "details", None), names),
        )


def page_explain(
    *, access: Access, score: GapScore | None, alerts: Iterable[Alert] = ()
) -> ScoreExplained | None:
    """A subject page's score explanation and its alerts' texts for this reader, with one
    query for every reference of both (none when they mention nothing)."""
    names = DerivedNames(access)
    alerts = list(alerts)
    for alert in alerts:
        names.want(*_alert_parts(alert))
    if score is not None:
        scores_explain(scores=[score], access=access, names=names)
    alerts_render(alerts=alerts, access=access, names=names)
    return getattr(score, "explained", None) if score is not None else None
