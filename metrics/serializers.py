"""Input and output shapes of the metrics API: KPIs, measurements, gap scores, alerts, webhooks.

The shapes of ``GapScore`` JSON fields follow ``metrics.contracts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator
from typing_extensions import override

from execsupport.validation import (
    NOTE_MAX,
    REASON_MAX,
    VALUE_LIMIT,
    validate_date,
    validate_no_nul,
    validate_value,
)
from initiatives.models import Initiative
from metrics.explain import alerts_render, scores_explain
from metrics.models import (
    KPI,
    KPI_KEY_TAKEN,
    Alert,
    AlertEvent,
    GapScore,
    Measurement,
    NotificationPreferences,
    Webhook,
    time_zone_names,
)
from strategy.api_fields import ScopedRelatedField, person_field
from strategy.models import Objective, Team


class LatestScoreSerializer(serializers.ModelSerializer):
    """The current gap score of an object: status and the sentence that explains it, in its
    short form, which names no other object ("behind mainly because of 2 parts"); the
    explanation that names what the reader may see is ``/api/v1/scores/``."""

    reason = serializers.CharField(
        read_only=True,
        help_text="Short form naming no other object; /api/v1/scores/ names what you may see.",
    )

    class Meta:
        model = GapScore
        fields = [
            "status",
            "reason",
            "score",
            "progress",
            "expected_progress",
            "gap",
            "as_of",
            "computed_at",
        ]


class ComponentSerializer(serializers.Serializer):
    """One named component of a gap score: its score, weight, status and detail; ``subject_type``
    and ``subject_id`` when it is a subject."""

    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it out of the class, Field.label stays
    score = serializers.FloatField(allow_null=True)
    weight = serializers.FloatField()
    status = serializers.CharField()
    detail = serializers.CharField()
    subject_type = serializers.CharField(required=False)
    subject_id = serializers.IntegerField(required=False)


class ContributorSerializer(serializers.Serializer):
    """One contributor to a gap: its gap points and why; ``subject_type`` and ``subject_id`` when
    it is a subject."""

    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it out of the class, Field.label stays
    gap_points = serializers.FloatField(allow_null=True)
    explanation = serializers.CharField()
    subject_type = serializers.CharField(required=False)
    subject_id = serializers.IntegerField(required=False)


class ExplainedListSerializer(serializers.ListSerializer):
    """Explains every score of a page for the reader at once (one query for all references)."""

    @override
    def to_representation(self, data):
        objects = list(data.all() if hasattr(data, "all") else data)
        scores_explain(scores=objects, access=_reader(self.context), html=False)
        return super().to_representation(objects)


def _reader(context: Mapping[str, Any]):
    from strategy.access import Access, access_for

    if isinstance(context.get("access"), Access):
        return context["access"]
    request = context.get("request")
    return access_for(request.user) if request is not None else Access(None, False)


class GapScoreSerializer(serializers.ModelSerializer):
    """A score as its reader may see it: the reason, components and contributors name only
    objects the reader may see (``metrics.explain``); the others are "a part you cannot see",
    combined into one component row and left out of the contributors."""

    reason = serializers.CharField(source="explained.reason", read_only=True)
    components = serializers.JSONField(
        source="explained.components_json",
        read_only=True,
        help_text="metrics.contracts.Components: items (see metrics.contracts.Component; parts "
        "the reader may not see are one row with key 'hidden'), coverage, facts.",
    )
    contributors = ContributorSerializer(
        many=True,
        source="explained.contributors",
        read_only=True,
        help_text="Largest first; contributors the reader may not see are left out.",
    )
    forecast = serializers.JSONField(
        allow_null=True,
        help_text=(
            "KPI forecast (metrics.contracts.Forecast; null without enough data to forecast). "
            "probability_on_target: chance (0-1) that the value on the target date meets the "
            "target (inside the range for a range KPI), never exactly 0 or 1 before a "
            "measurement on or after the target date decides it; value_at_target with "
            "interval_low/interval_high (interval_level, e.g. 0.8); target_reach: "
            "already_reached | on_date (projected_target_date) | never; misses_target: "
            "probability_on_target below GAP_FORECAST_MISS_BELOW. See docs/api.md."
        ),
    )
    data_quality = serializers.JSONField(help_text="metrics.contracts.DataQuality")

    class Meta:
        model = GapScore
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "computed_at",
            "as_of",
            "is_latest",
            "status",
            "reason",
            "score",
            "progress",
            "achievement",
            "expected_progress",
            "attainment",
            "gap",
            "forecast",
            "data_quality",
            "components",
            "contributors",
        ]
        list_serializer_class = ExplainedListSerializer

    @override
    def to_representation(self, instance):
        if not hasattr(instance, "explained"):
            scores_explain(scores=[instance], access=_reader(self.context), html=False)
        return super().to_representation(instance)


class GapScoreHistorySerializer(GapScoreSerializer):
    """The same shape; a name of its own because history pages by cursor, not by number."""


class KPISerializer(serializers.ModelSerializer):
    """A KPI in the API (``/api/v1/kpis/``), with its latest score; ``reason`` is required when the
    plan changes."""

    latest_score = LatestScoreSerializer(read_only=True, allow_null=True)
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=REASON_MAX,
        help_text="Why the baseline, target or range changed (required when they do).",
    )
    baseline_value = serializers.FloatField(
        min_value=-VALUE_LIMIT, max_value=VALUE_LIMIT, validators=[validate_value]
    )
    target_value = serializers.FloatField(
        min_value=-VALUE_LIMIT, max_value=VALUE_LIMIT, validators=[validate_value]
    )
    range_low = serializers.FloatField(
        min_value=-VALUE_LIMIT,
        max_value=VALUE_LIMIT,
        validators=[validate_value],
        allow_null=True,
        required=False,
    )
    range_high = serializers.FloatField(
        min_value=-VALUE_LIMIT,
        max_value=VALUE_LIMIT,
        validators=[validate_value],
        allow_null=True,
        required=False,
    )

    class Meta:
        model = KPI
        fields = [
            "id",
            *KPI.EDITABLE_FIELDS,
            "latest_score",
            "reason",
            "created_at",
            "updated_at",
        ]

    @override
    def get_fields(self):
        fields = super().get_fields()
        for validator in fields["key"].validators:
            if isinstance(validator, UniqueValidator):
                validator.message = KPI_KEY_TAKEN
                # Unique whatever the case (strategy.keys.KeyUniqueIgnoringCase's rule),
                # reported with the other fields' errors.
                validator.lookup = "iexact"
        fields["team"] = ScopedRelatedField(queryset=Team.objects.all(), scope_lookup="id")
        fields["owner"] = person_field(allow_null=True, required=False)
        fields["objective"] = ScopedRelatedField(
            queryset=Objective.objects.all(), allow_null=True, required=False
        )
        fields["initiative"] = ScopedRelatedField(
            queryset=Initiative.objects.all(), allow_null=True, required=False
        )
        return fields


class MeasurementSerializer(serializers.ModelSerializer):
    """A measurement in the API (``/api/v1/measurements/``): the KPI by key, among those the caller
    may see; a second value for a KPI and date replaces the first."""

    kpi = serializers.SlugRelatedField(
        slug_field="key", queryset=KPI.objects.all(), help_text="The KPI's stable key."
    )
    value = serializers.FloatField(
        min_value=-VALUE_LIMIT, max_value=VALUE_LIMIT, validators=[validate_value]
    )

    class Meta:
        model = Measurement
        fields = ["id", "kpi", "as_of", "value", "note", "source", "created_at", "updated_at"]
        read_only_fields = ["source"]
        # No unique-together check: a second value for a KPI and date replaces the first
        # (``measurement_record`` keeps the old one as a correction), as the ingest does.
        validators: list = []

    @override
    def get_fields(self):
        from strategy.access import access_for

        fields = super().get_fields()
        request = self.context.get("request")
        queryset = KPI.objects.all()
        kpi = cast("serializers.SlugRelatedField[KPI]", fields["kpi"])  # declared above
        # The stubs declare RelatedField.queryset as a Manager too, which mypy takes for a
        # class descriptor (BaseManager.__get__) on assignment.
        kpi.queryset = (  # type: ignore[arg-type]  # see above: a stubs quirk, the value is a QuerySet
            access_for(request.user).scope(queryset) if request else queryset.none()
        )
        return fields


class ImplausibleSerializer(serializers.Serializer):
    """A value far outside its KPI's recent robust range (the data-quality outlier test): it
    was recorded, and the KPI's data quality and reason flag it."""

    as_of = serializers.DateField()
    value = serializers.FloatField()
    recent_low = serializers.FloatField(help_text="Lowest of the recent values compared.")
    recent_high = serializers.FloatField(help_text="Highest of the recent values compared.")
    compared = serializers.IntegerField(help_text="How many recent values it was compared with.")
    z_score = serializers.FloatField(
        help_text="Robust z-score of the jump to it (above GAP_OUTLIER_Z, default 3.5)."
    )
    reason = serializers.CharField(help_text="Why, in one sentence.")


class MeasurementRecordedSerializer(MeasurementSerializer):
    """A measurement just recorded, with the plausibility flag of its value."""

    implausible = serializers.SerializerMethodField(
        help_text="Set when the value is far outside the KPI's recent robust range (it was "
        "recorded and is flagged in the KPI's data quality); null when plausible."
    )

    class Meta(MeasurementSerializer.Meta):
        fields = [*MeasurementSerializer.Meta.fields, "implausible"]

    @extend_schema_field(ImplausibleSerializer(allow_null=True))
    def get_implausible(self, obj) -> dict | None:
        """The implausibility check of the value just recorded, or None when it is plausible."""
        check = getattr(obj, "implausible", None)
        return None if check is None else check.as_dict(obj.kpi.unit)


class ImplausibleRowSerializer(ImplausibleSerializer):
    """An implausible row of an ingest: its index in the batch and its KPI's key."""

    index = serializers.IntegerField(help_text="The row's index in the batch.")
    kpi = serializers.CharField(help_text="The KPI's key.")


class IngestRowSerializer(serializers.Serializer):
    """One row of a batch (documentation only: rows are checked by a flat validator,
    ``metrics.services.measurements_ingest``, with the same rules; a row has no other field)."""

    refuses_unknown_fields = True

    kpi = serializers.RegexField(r"^[-a-zA-Z0-9_]{1,80}$", help_text="The KPI's key.")
    as_of = serializers.DateField(validators=[validate_date], help_text="Not in the future.")
    value = serializers.FloatField(
        validators=[validate_value], help_text=f"Finite, below {VALUE_LIMIT:g} in magnitude."
    )
    note = serializers.CharField(
        max_length=NOTE_MAX, required=False, allow_blank=True, validators=[validate_no_nul]
    )


class IngestRequestSerializer(serializers.Serializer):
    """The body of a measurement ingest (``/api/v1/measurements/ingest/``): the rows, at most
    ``API_INGEST_MAX_ROWS``."""

    measurements = IngestRowSerializer(  # type: ignore[call-arg]  # many=True passes max_length to its ListSerializer; the stubs lack it
        many=True,
        max_length=settings.API_INGEST_MAX_ROWS,
        help_text=f"At most {settings.API_INGEST_MAX_ROWS} rows.",
    )


class IngestResultSerializer(serializers.Serializer):
    """What a measurement ingest did: rows received, created, updated and unchanged, the KPIs
    touched and the implausible rows."""

    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Rows that changed a value (a correction).")
    unchanged = serializers.IntegerField(help_text="Rows identical to what was stored.")
    kpis = serializers.ListField(child=serializers.CharField(), help_text="Keys of KPIs touched.")
    implausible = ImplausibleRowSerializer(
        many=True,
        help_text="Rows recorded with a value far outside their KPI's recent robust range "
        "(accepted, and flagged in the KPI's data quality); empty when none.",
    )


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


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook. Its URL must be https:// on a public address (``execsupport.outbound``,
    the model field's validator). Its signing secret is generated by the server and returned
    once, in the answer that creates it (null in every other answer)."""

    secret = serializers.SerializerMethodField(
        help_text="The signing secret (HMAC-SHA256 of the body, header "
        "X-ExecSupport-Signature): returned once, when the webhook is created; null afterwards."
    )

    standard_secret = serializers.SerializerMethodField(
        help_text="The same secret in the Standard Webhooks form (whsec_ + base64) for the "
        "webhook-signature header of generic webhooks: returned once; null afterwards."
    )

    def get_secret(self, instance) -> str | None:
        """The signing secret, only in the response that created the webhook (``new_secret``); else
        None."""
        return getattr(instance, "new_secret", None)

    def get_standard_secret(self, instance) -> str | None:
        """The signing secret in the Standard Webhooks form (``whsec_...``), only when ``secret``
        is shown."""
        from metrics.webhook_formats import standard_secret

        secret = getattr(instance, "new_secret", None)
        return standard_secret(secret) if secret else None

    class Meta:
        model = Webhook
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "secret",
            "standard_secret",
            "is_active",
            "min_severity",
            "alert_kinds",
            "owner",
            "team",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by"]

    @override
    def get_fields(self):
        fields = super().get_fields()
        fields["alert_kinds"] = serializers.ListField(
            child=serializers.ChoiceField(choices=Alert.Kind.choices),
            required=False,
            max_length=len(Alert.Kind.choices),
            help_text="The kinds of alert it receives; empty (the default): every kind.",
        )
        fields["owner"] = person_field(
            allow_null=False,
            required=False,
            help_text="It receives only alerts this person may see. Default: you. A team "
            "leader's webhook acts for the leader (400 otherwise); the office may name anyone.",
        )
        fields["team"] = ScopedRelatedField(
            queryset=Team.objects.all(),
            scope_lookup="id",
            allow_null=True,
            required=False,
            help_text="Only alerts of this team and the teams below it. Null: every team "
            "its owner may see.",
        )
        return fields


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
