"""A version's values in words: a field's value as shown, the names of related objects (only
those the reader may see) and of people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone

from activity.history.tracking import HIDDEN_NAME
from strategy.access import Access
from strategy.models import Team
from strategy.people import person_name


def _display(model_field: models.Field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, dt.date):
        return formats.date_format(value, "j M Y")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _related_names(
    fields: list[models.Field],
    records: list,
    access: Access,
    members: dict[type[models.Model], set[int]] | None = None,
) -> dict:
    """``{(model, id): name}`` for every related object named in these versions (and for the
    many-to-many ``members``, ``{model: ids}``), one query per related model; an object the
    reader may not see is named ``HIDDEN_NAME``."""
    User = get_user_model()
    wanted: dict[type[models.Model], set[int]] = {m: set(ids) for m, ids in (members or {}).items()}
    for f in fields:
        if f.is_relation:
            ids = {getattr(r, f.attname) for r in records} - {None}
            if ids:
                # A concrete relation names its model.
                wanted.setdefault(cast(type[models.Model], f.related_model), set()).update(ids)
    names: dict = {}
    for model, ids in wanted.items():
        if model is User:
            names.update(_people_names(ids))
            continue
        label_field = next(
            (n for n in ("title", "name") if any(f.name == n for f in model._meta.fields)),
            None,
        )
        # The related models' ``objects`` is their only manager (``_default_manager``).
        rows: Iterable[tuple[Any, Any, Any]]
        if model is Team:
            rows = Team.objects.filter(id__in=ids).values_list("id", "name", "id")
        elif label_field and any(f.name == "team" for f in model._meta.fields):
            rows = model._default_manager.filter(id__in=ids).values_list(
                "id", label_field, "team_id"
            )
        elif label_field:
            rows = (
                (pk, label, None)
                for pk, label in model._default_manager.filter(id__in=ids).values_list(
                    "id", label_field
                )
            )
        else:
            rows = (
                (pk, str(obj), None)
                for pk, obj in ((o.pk, o) for o in model._default_manager.filter(id__in=ids))
            )
        found = set()
        for pk, label, team_id in rows:
            found.add(pk)
            visible = team_id is None or access.can_view_team(team_id)
            names[(model, pk)] = label if visible else HIDDEN_NAME
        for pk in ids - found:
            names[(model, pk)] = f"a deleted {model._meta.verbose_name}"
    return names


def _people_names(ids: set[int]) -> dict:
    """``{(User, id): name}`` of these people (one query; none without ids)."""
    User = get_user_model()
    if not ids:
        return {}
    return {
        (User, pk): person_name(first_name=first, last_name=last, username=username)
        for pk, first, last, username in User.objects.filter(id__in=ids).values_list(
            "id", "first_name", "last_name", "username"
        )
    }
