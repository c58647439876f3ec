"""The shapes of alerts: an alert (its texts rendered for the reader), its events, and a
person's note or snooze on it."""

from __future__ import annotations

from rest_framework import serializers
from typing_extensions import override

from execsupport.validation import (
    REASON_MAX,
)
from metrics.explain import alerts_render
from metrics.models import (
    Alert,
    AlertEvent,
)
from metrics.serializers.scores import _reader


class ExplainedAlertListSerializer(serializers.ListSerializer):
    """Renders every alert of a page for the reader at once (one query for all references)."""

    @override
    def to_representation(self, data):
        objects = list(data.all() if hasattr(data, "all") else data)
        alerts_render(alerts=objects, access=_reader(self.context), html=False)
        return super().to_representation(objects)


class AlertSerializer(serializers.ModelSerializer):
    """An alert; its title and message name only what the reader may see."""

    title = serializers.CharField(source="text.title", read_only=True)
    message = serializers.CharField(source="text.message", read_only=True)
    details = serializers.JSONField(
        source="text.details",
        read_only=True,
        help_text="Figures of the rule; lists of subject ids hold only those you may see.",
    )

    @override
    def to_representation(self, instance):
        if not hasattr(instance, "text"):
            alerts_render(alerts=[instance], access=_reader(self.context), html=False)
        return super().to_representation(instance)

    class Meta:
        model = Alert
        list_serializer_class = ExplainedAlertListSerializer
        fields = [
            "id",
            "kind",
            "severity",
            "subject_type",
            "subject_id",
            "team",
            "title",
            "message",
            "details",
            "owner",
            "status",
            "opened_at",
            "last_seen_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "reopened_count",
            "acknowledge_note",
            "snoozed_at",
            "snoozed_until",
            "snoozed_by",
            "snooze_note",
            "clear_since",
        ]
        read_only_fields = fields


class AlertEventSerializer(serializers.ModelSerializer):
    """One step of an alert's log: ``by`` is the person's id, null when the gap engine did it;
    ``until``: a snooze's end."""

    class Meta:
        model = AlertEvent
        fields = ["id", "alert", "kind", "at", "by", "note", "severity", "until"]


class AlertNoteSerializer(serializers.Serializer):
    """Input of acknowledge and resolve (the body may be empty)."""

    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REASON_MAX,
        default="",
        help_text="Why; kept in the alert's log.",
    )


class AlertSnoozeSerializer(AlertNoteSerializer):
    """Input of snooze: until when (a date-time with its offset, in the future, at most
    ``GAP_ALERT_SNOOZE_MAX_DAYS`` days ahead) and why."""

    until = serializers.DateTimeField(help_text="When it wakes, e.g. 2026-12-07T09:00:00Z.")
