"""The shapes of KPIs and their measurements: a KPI, a measurement recorded (implausible values
flagged), and the bulk ingestion's request and result."""

from __future__ import annotations

from typing import cast

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
from metrics.models import (
    KPI,
    KPI_KEY_TAKEN,
    Measurement,
)
from metrics.serializers.scores import LatestScoreSerializer
from strategy.api_fields import ScopedRelatedField, person_field
from strategy.models import Objective, Team


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
