"""The API's relation fields that respect access: a related object or a person the caller may
not see reads as "does not exist", like a missing id. Every app's serializers use them (the
plan's, the KPIs', the initiatives', the reviews'), so they live below all of them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from rest_framework import serializers
from typing_extensions import override

from execsupport.api import IdRelatedField
from strategy.access import access_for
from strategy.people import people_choosable

User = get_user_model()


class ScopedRelatedField(IdRelatedField):
    """A relation to an object the caller may see: an invisible one is 'does not exist',
    exactly like a missing one, so ids of private objects cannot be probed."""

    def __init__(self, *, scope_lookup: str = "team_id", **kwargs):
        self.scope_lookup = scope_lookup
        super().__init__(**kwargs)

    @override
    def get_queryset(self):
        queryset = super().get_queryset()
        assert queryset is not None  # the field is declared with its queryset
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return access_for(request.user).scope(queryset, self.scope_lookup)


class PersonRelatedField(IdRelatedField):
    """A person the caller may choose (``strategy.people.people_choosable``), by id. Anyone else
    is "does not exist", exactly like a missing id, so the field never confirms that a hidden
    person exists. The edited object's current value is accepted unchanged."""

    @override
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return User.objects.none()
        return people_choosable(access=access_for(request.user), keep_ids=self._current_ids())

    def _current_ids(self) -> list[int] | QuerySet:
        instance = getattr(self.root, "instance", None)
        # ``many=True`` wraps this field in a ManyRelatedField, whose source names the relation.
        source = (
            self.parent.source if isinstance(self.parent, serializers.ManyRelatedField) else None
        )
        source = source or self.source
        if instance is None or isinstance(instance, list | tuple) or not source:
            return []
        field = instance._meta.get_field(source)
        if field.many_to_many:
            return getattr(instance, source).values("pk")
        current = getattr(instance, field.attname)
        return [] if current is None else [current]


def person_field(**kwargs) -> PersonRelatedField:
    """A person-choosing field of the API (owners, contributors)."""
    return PersonRelatedField(**kwargs)
