"""The shape of a person's notification preferences."""

from __future__ import annotations

from rest_framework import serializers

from metrics.models import (
    NotificationPreferences,
    time_zone_names,
)


class NotificationPreferencesSerializer(serializers.ModelSerializer):
    """A person's notification preferences: per kind of event ``immediate``, ``digest`` or
    ``off``; the weekly digest on or off, its day (0 Monday to 6 Sunday), hour (0 to 23) and the
    person's IANA time zone ("" is the organisation's)."""

    time_zone = serializers.ChoiceField(
        choices=time_zone_names(),
        required=False,
        allow_blank=True,
        help_text='IANA time zone name, e.g. Europe/Berlin; "": the organisation\'s.',
    )

    class Meta:
        model = NotificationPreferences
        fields = [
            "alert_critical",
            "alert_warning",
            "alert_info",
            "mention",
            "work",
            "reminder",
            "weekly_digest",
            "digest_weekday",
            "digest_hour",
            "time_zone",
        ]
