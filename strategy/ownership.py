"""The kinds of work a person owns, registered by the app that defines each kind.

A person who leaves hands over everything they own (``strategy.people_services``), and the
people pages count it. ``strategy`` sits at the bottom of the core and cannot import the
initiatives' or the KPIs' models, so each app registers its own kind when it is ready
(``AppConfig.ready``): ``strategy`` its objectives, ``initiatives`` its initiatives, ``metrics``
its KPIs and its active alerts. The hand-over, the counts and the hand-over form then iterate
the registry, in ``order``.

A *definition* kind (``subject_type`` set) is moved with its version raised, a history row per
moved item and its score marked stale; a kind without a subject type (alerts) only changes
owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class OwnedKind:
    """A kind of owned work.

    ``name``: its key in the counts and the ``HandOver`` field ("objectives"); ``one``: one
    item's word in messages ("objective"); ``model``: the model with an ``owner`` foreign key;
    ``owned``: the queryset of what counts as owned, given the model's default manager's
    queryset (alerts: the active ones); ``subject_type``: the ``SubjectType`` of a definition
    kind, ``None`` for one that only changes owner; ``order``: its place in lists.
    """

    name: str
    one: str
    model: type[Model]
    subject_type: str | None = None
    owned: Callable[[QuerySet], QuerySet] = lambda queryset: queryset
    order: int = 0

    def owned_by(self, person) -> QuerySet:
        """What ``person`` owns of this kind (a queryset, not evaluated)."""
        return self.owned(self.model._default_manager.filter(owner=person))


_KINDS: dict[str, OwnedKind] = {}


def owned_kind_register(kind: OwnedKind) -> None:
    """Register ``kind`` (from its app's ``ready``); registering a name again replaces it."""
    _KINDS[kind.name] = kind


def owned_kinds() -> list[OwnedKind]:
    """The registered kinds, in ``order``. Raises ``ImproperlyConfigured`` before the core apps
    registered theirs (a hand-over that skipped a kind would leave work with nobody)."""
    missing = {"objectives", "initiatives", "kpis", "alerts"} - _KINDS.keys()
    if missing:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"Owned kinds not registered: {', '.join(sorted(missing))}.")
    return sorted(_KINDS.values(), key=lambda kind: kind.order)
