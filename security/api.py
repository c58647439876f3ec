"""Read-only API of the security log: ``/api/v1/security-events/`` (strategy office, tokens
with the ``admin`` scope). ``?format=csv`` like every list."""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import serializers

from metrics.viewsets import ReadOnlyAccessViewSet
from security.models import SecurityEvent
from strategy.access import Access
from strategy.models import ApiToken


class SecurityEventSerializer(serializers.ModelSerializer):
    """An entry of the security log, read only (``/api/v1/security-events/``)."""

    actor = serializers.CharField(source="actor_name", help_text="Who acted (username then).")
    subject = serializers.CharField(
        source="subject_name", help_text="Whose account it concerns, or the name typed."
    )

    class Meta:
        model = SecurityEvent
        fields = [
            "id",
            "at",
            "kind",
            "actor",
            "actor_id",
            "subject",
            "subject_id",
            "ip",
            "request_id",
            "user_agent",
            "count",
            "last_at",
            "details",
        ]
        read_only_fields = fields


class SecurityEventFilter(filters.FilterSet):
    """Filters of the security log: kind, person (the username who acted or is concerned) and a
    time range."""

    kind = filters.ChoiceFilter(choices=SecurityEvent.Kind.choices)
    person = filters.CharFilter(method="filter_person", label="Username who acted or concerned.")
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = SecurityEvent
        fields = ["kind", "person", "since", "until"]

    def filter_person(self, queryset, name, value):
        """Entries whose actor or subject had this username (case-insensitive); a blank value
        filters nothing."""
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(actor_name__iexact=value) | Q(subject_name__iexact=value))


class SecurityEventViewSet(ReadOnlyAccessViewSet):
    """The security log, newest first (strategy office; a token needs the ``admin`` scope)."""

    queryset = SecurityEvent.objects.all()
    serializer_class = SecurityEventSerializer
    filterset_class = SecurityEventFilter
    token_scopes = {"read": ApiToken.Scope.ADMIN, "write": ApiToken.Scope.ADMIN}
    scope_lookup = None
    ordering_fields = ["at"]
    ordering = ["-at", "-id"]

    def may_use(self, access: Access, request) -> bool:
        """The strategy office only (read by ``strategy.permissions`` through ``may_use``)."""
        return access.is_office
