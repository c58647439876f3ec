"""What the initiatives' services share: marking an initiative's score stale and the values of
fields before a change.
"""

from __future__ import annotations

from strategy.signals import subjects_stale
from strategy.subjects import SubjectType


def initiative_mark_stale(initiative_id: int) -> None:
    """Announce that the initiative's score is stale (``strategy.signals.subjects_stale``)."""
    subjects_stale(subjects=[(SubjectType.INITIATIVE, initiative_id)])


def fields_before(instance, names: list[str] | None) -> dict:
    """The values read from the database of the fields ``names`` (by attribute name)."""
    loaded = getattr(instance, "_loaded_values", None) or {}
    fields = [instance._meta.get_field(n) for n in names or []]
    return {f.name: loaded.get(f.attname) for f in fields}
