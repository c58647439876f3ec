"""Stored derived text of older rows to the parts format (issue #12 §1).

Score history, alerts and webhook delivery payloads written before ``0005`` carry names in
plain text (``objective “Hiring plan”``). Every such label the engine wrote has the form
``<noun> “<name>”`` (or ``“<name>”`` for the KPIs of an early warning), so each becomes a
reference:

* to the part of the same row with that label (a score's components name their subject type
  and id exactly), else
* to the one object of that type with that name today, else
* to nothing that exists (``[type, 0]``), which every reader sees as "a part you cannot see".

A part's figure "(-N points)" goes with it (hidden with it). The text columns keep the neutral
form, which names nothing; webhook delivery payloads (what was sent, kept for retries) get the
neutral form too. Reversing keeps the new form (the names are gone from the text columns).
"""

from __future__ import annotations

import re

from django.db import migrations

from strategy.derived import derived_neutral, part, ref

NOUN_TYPES = {
    "KPI": "kpi",
    "initiative": "initiative",
    "milestone": "milestone",
    "objective": "objective",
    "team": "team",
    "theme": "theme",
    "strategy": "strategy",
}
LABEL = re.compile(
    r"(?:(?P<noun>KPI|initiative|milestone|objective|team|theme|strategy) )?“(?P<name>[^”]*)”"
    r"(?P<pts> \(-(?P<n>\d+) points\))?"
)
TITLES = {
    "kpi_off_track": "KPI off track",
    "kpi_at_risk": "KPI at risk",
    "kpi_forecast_miss": "KPI forecast to miss its target",
    "kpi_stale": "KPI not measured",
    "initiative_stale": "No recent check-in",
    "milestone_overdue": "Milestone overdue",
    "schedule_slip": "Schedule slipping",
    "budget_burn": "Budget burn ahead of progress",
    "over_budget": "Over budget",
    "unowned": "No owner",
    "early_warning": "Leading indicator warns",
    "score_unavailable": "Score unavailable",
}
BATCH = 1000


class Names:
    """(type, name) -> id of the objects that exist, when the name is unique in its type."""

    def __init__(self, apps) -> None:
        sources = {
            "kpi": (apps.get_model("metrics", "KPI"), "name"),
            "initiative": (apps.get_model("initiatives", "Initiative"), "title"),
            "milestone": (apps.get_model("initiatives", "Milestone"), "title"),
            "objective": (apps.get_model("strategy", "Objective"), "title"),
            "team": (apps.get_model("strategy", "Team"), "name"),
            "theme": (apps.get_model("strategy", "Theme"), "name"),
            "strategy": (apps.get_model("strategy", "Strategy"), "name"),
        }
        self.ids: dict[tuple[str, str], int | None] = {}
        for subject_type, (model, field) in sources.items():
            for pk, name in model.objects.values_list("pk", field).iterator(chunk_size=5000):
                key = (subject_type, name)
                self.ids[key] = None if key in self.ids else pk  # None: ambiguous
        self.bare: dict[str, tuple[str, int] | None] = {}  # a name without its noun
        for (subject_type, name), pk in self.ids.items():
            found = (subject_type, pk) if pk is not None else None
            self.bare[name] = None if name in self.bare else found

    def find(self, noun: str | None, name: str, local: dict) -> tuple[str, int]:
        if noun is None:  # the KPIs of an early warning: “name”
            for (_type, local_name), key in local.items():
                if local_name == name:
                    return key
            found = self.bare.get(name)
            return found if found is not None else ("kpi", 0)
        subject_type = NOUN_TYPES[noun]
        if (subject_type, name) in local:
            return local[(subject_type, name)]
        pk = self.ids.get((subject_type, name))
        return (subject_type, pk if pk is not None else 0)


def convert(text, names: Names, local: dict | None = None):
    """Parts of an old text: every label a reference, with its figure; plain text unchanged."""
    if not isinstance(text, str) or "“" not in text:
        return text
    local = local or {}
    template, values = [], {}
    position = 0
    for index, match in enumerate(LABEL.finditer(text)):
        template.append(text[position : match.start()].replace("{", "{{").replace("}", "}}"))
        key = names.find(match.group("noun"), match.group("name"), local)
        if match.group("pts"):
            values[f"r{index}"] = part(
                "{0} (-{pts} points)", about=key, **{"0": ref(*key), "pts": match.group("n")}
            )
        else:
            values[f"r{index}"] = ref(*key)
        template.append(f"{{r{index}}}")
        position = match.end()
    template.append(text[position:].replace("{", "{{").replace("}", "}}"))
    return {"t": "".join(template), "v": values}


def _local_of(items_: list) -> dict:
    """(type, name) -> key of a score's own parts, from their stored labels."""
    local = {}
    for row in items_:
        if isinstance(row, dict) and row.get("subject_type") and row.get("subject_id"):
            match = LABEL.fullmatch(str(row.get("label", "")))
            if match:
                local[(row["subject_type"], match.group("name"))] = (
                    row["subject_type"],
                    int(row["subject_id"]),
                )
    return local


def _article(subject_type: str) -> str:
    noun = {"kpi": "KPI"}.get(subject_type, subject_type)
    return f"{'an' if noun[0] in 'aeiouAEIOU' else 'a'} {noun}"


def score_convert(score, names: Names) -> bool:
    """Parts of one old score row, in place. False when it has them already."""
    if score.reason_parts is not None:
        return False
    components = score.components if isinstance(score.components, dict) else {}
    rows = components.get("items") if isinstance(components.get("items"), list) else []
    local = _local_of(rows) | _local_of(score.contributors or [])
    for row in rows:
        if not isinstance(row, dict):
            continue
        if row.get("key") == "performance" and str(row.get("label", "")).startswith("Progress"):
            row["label"] = "Progress against the plan"  # a KPI's own name, left out
        detail = convert(row.get("detail", ""), names, local)
        if row.get("subject_type") and row.get("subject_id") is not None:
            row["label"] = _article(row["subject_type"])
            row["detail_parts"] = detail
        elif detail != row.get("detail", ""):
            row["detail_parts"] = detail
        row["detail"] = derived_neutral(detail)
    for row in score.contributors or []:
        if not isinstance(row, dict):
            continue
        label = str(row.get("label", ""))
        explanation = str(row.get("explanation", ""))
        if row.get("subject_type") and row.get("subject_id") is not None:
            key = (row["subject_type"], int(row["subject_id"]))
            rest = explanation[len(label) + 2 :] if explanation.startswith(label + ": ") else ""
            parts = part(
                "{0}: {d}" if rest else "{0}",
                about=key,
                **{"0": ref(*key), "d": convert(rest, names, local)},
            )
            row["label"] = _article(key[0])
        else:
            parts = convert(explanation, names, local)
        row["explanation_parts"] = parts
        row["explanation"] = derived_neutral(parts)
    score.reason_parts = convert(score.reason, names, local)
    score.reason = derived_neutral(score.reason_parts)
    return True


def alert_convert(alert, names: Names, subjects: dict) -> bool:
    if alert.title_parts is not None:
        return False
    local = {}
    subject = (alert.subject_type, alert.subject_id)
    if subject in subjects:
        local[(alert.subject_type, subjects[subject])] = subject
    alert.title_parts = convert(alert.title, names, local)
    alert.message_parts = convert(alert.message, names, local)
    alert.title = TITLES.get(alert.kind, derived_neutral(alert.title_parts))[:200]
    alert.message = derived_neutral(alert.message_parts)
    details = dict(alert.details or {})
    for side in ("leading", "lagging"):
        if isinstance(details.get(side), list):
            found = [names.find(None, str(n).strip("“”"), local) for n in details.pop(side)]
            details[f"{side}_kpi_ids"] = [pk for _t, pk in found if pk]
    alert.details = details
    return True


def _subject_names(apps, alerts) -> dict:
    """Current names of the alerts' subjects: a subject's own label resolves to it."""
    wanted: dict[str, set[int]] = {}
    for alert in alerts:
        wanted.setdefault(alert.subject_type, set()).add(alert.subject_id)
    models = {
        "kpi": ("metrics", "KPI", "name"),
        "initiative": ("initiatives", "Initiative", "title"),
        "milestone": ("initiatives", "Milestone", "title"),
        "objective": ("strategy", "Objective", "title"),
        "team": ("strategy", "Team", "name"),
        "theme": ("strategy", "Theme", "name"),
        "strategy": ("strategy", "Strategy", "name"),
    }
    found = {}
    for subject_type, ids in wanted.items():
        if subject_type not in models:
            continue
        app, model, field = models[subject_type]
        rows = apps.get_model(app, model).objects.filter(pk__in=ids).values_list("pk", field)
        found |= {(subject_type, pk): name for pk, name in rows}
    return found


def forwards(apps, schema_editor) -> None:
    GapScore = apps.get_model("metrics", "GapScore")
    Alert = apps.get_model("metrics", "Alert")
    WebhookDelivery = apps.get_model("metrics", "WebhookDelivery")
    if not (
        GapScore.objects.filter(reason_parts__isnull=True).exists()
        or Alert.objects.filter(title_parts__isnull=True).exists()
        or WebhookDelivery.objects.exists()
    ):
        return
    names = Names(apps)

    last = 0
    while True:
        batch = list(
            GapScore.objects.filter(reason_parts__isnull=True, id__gt=last).order_by("id")[:BATCH]
        )
        if not batch:
            break
        last = batch[-1].id
        changed = [s for s in batch if score_convert(s, names)]
        GapScore.objects.bulk_update(
            changed, ["reason", "reason_parts", "components", "contributors"]
        )

    last = 0
    while True:
        batch = list(
            Alert.objects.filter(title_parts__isnull=True, id__gt=last).order_by("id")[:BATCH]
        )
        if not batch:
            break
        last = batch[-1].id
        subjects = _subject_names(apps, batch)
        changed = [a for a in batch if alert_convert(a, names, subjects)]
        Alert.objects.bulk_update(
            changed, ["title", "message", "title_parts", "message_parts", "details"]
        )

    last = 0
    while True:
        batch = list(WebhookDelivery.objects.filter(id__gt=last).order_by("id")[:BATCH])
        if not batch:
            break
        last = batch[-1].id
        changed = []
        for delivery in batch:
            payload = delivery.payload if isinstance(delivery.payload, dict) else {}
            touched = False
            for row in payload.get("alerts") or []:
                for field in ("title", "message"):
                    text = row.get(field)
                    neutral = derived_neutral(convert(text, names))
                    if isinstance(text, str) and neutral != text:
                        row[field], touched = neutral, True
            if touched:
                changed.append(delivery)
        WebhookDelivery.objects.bulk_update(changed, ["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_derived_text_parts"),
        ("initiatives", "0001_initial"),
        ("strategy", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
