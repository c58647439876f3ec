"""Stable external keys of objectives and initiatives (KPIs have had one from the start).

A key is what a spreadsheet or an integration uses to name a row across exports and imports:
unique across the organisation, editable, and proposed from the title when left empty. The
proposal is deterministic (the title's slug, then ``-2``, ``-3`` ... until free), so the
migration that gave existing rows their key and a later proposal agree.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from typing_extensions import override

KEY_MAX = 80
# Keys are unique across the organisation (spreadsheets and integrations address objectives,
# initiatives and KPIs by key), including those of private teams. The refusal of a taken key must
# not confirm that something the person may not see holds it: the same neutral sentence.
KEY_TAKEN = "This key is not available; choose another."
# Room for a "-NNNNN" suffix within KEY_MAX.
_BASE_MAX = 72


def key_base(*, title: str, fallback: str) -> str:
    """The slug a key is proposed from: the title's ASCII slug, cut at ``_BASE_MAX``
    characters (at a hyphen when it can); ``fallback`` when the title has no letter or digit."""
    base = slugify(title or "")[:_BASE_MAX].strip("-_")
    return base or fallback


def key_propose(*, model: type[models.Model], title: str, pk: int | None = None) -> str:
    """A free key for a ``model`` row (``Objective``, ``Initiative``) titled ``title``: the
    title's slug, else that slug with the first free ``-n`` (n from 2). One query.
    ``pk``: the row's own id (its current key does not count as taken)."""
    base = key_base(title=title, fallback=_model_name(model))
    taken = set(
        model._base_manager.filter(key__startswith=base)
        .exclude(pk=pk)
        .values_list("key", flat=True)
    )
    return key_first_free(base=base, taken=taken)


def key_first_free(*, base: str, taken: set[str]) -> str:
    """``base`` if not in ``taken``, else ``base-2``, ``base-3`` ... the first that is not."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def keys_fill(*, model: type[models.Model], rows: list) -> None:
    """Give each unsaved ``rows`` instance without a key its proposed key (bulk loaders, which
    bypass the save services): one query for the keys already taken."""
    missing = [row for row in rows if not row.key]
    if not missing:
        return
    taken = set(model._base_manager.values_list("key", flat=True))
    taken.update(row.key for row in rows if row.key)
    fallback = _model_name(model)
    for row in missing:
        row.key = key_first_free(base=key_base(title=row.title, fallback=fallback), taken=taken)
        taken.add(row.key)


def _model_name(model: type[models.Model]) -> str:
    # Django sets ``model_name`` of every model class; the stubs allow None.
    name = model._meta.model_name
    assert name is not None
    return name


if TYPE_CHECKING:
    _MixinBase = models.Model  # the mixin is only used on models
else:
    _MixinBase = object


class KeyUniqueIgnoringCase(_MixinBase):
    """Model mixin (``Objective``, ``Initiative``, ``KPI``): a key is unique whatever its case
    ("NPS" and "nps" name the same row for a person typing or a spreadsheet), refused with the
    neutral ``KEY_TAKEN`` on the ``key`` field. The one check for every door: forms
    (``ModelForm`` validates uniqueness through ``validate_unique``), the services'
    ``full_clean()`` (the API, commands) and the plan import's batch check
    (``keys_taken_ignoring_case``)."""

    @override
    def validate_unique(self, exclude: Collection[str] | None = None) -> None:
        errors: dict = {}
        try:
            super().validate_unique(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        key = getattr(self, "key", "")
        if key and "key" not in errors and "key" not in (exclude or ()):
            others = type(self)._base_manager.filter(key__iexact=key)
            if self.pk is not None:
                others = others.exclude(pk=self.pk)
            if others.exists():
                errors["key"] = [ValidationError(KEY_TAKEN, code="unique")]
        if errors:
            raise ValidationError(errors)


def keys_taken_ignoring_case(*, model: type[models.Model], keys: set[str]) -> dict[str, str]:
    """The rows' keys that match one of ``keys`` whatever the case, as {lower-case key: the
    key as stored}. One query."""
    from django.db.models.functions import Lower

    wanted = {key.lower() for key in keys if key}
    if not wanted:
        return {}
    held = (
        model._base_manager.annotate(key_lower=Lower("key"))
        .filter(key_lower__in=wanted)
        .values_list("key", flat=True)
    )
    return {key.lower(): key for key in held}
