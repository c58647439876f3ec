from __future__ import annotations

from typing import cast

from django import forms
from django.urls import reverse
from typing_extensions import override

from execsupport.validation import REASON_MAX, DateFormField, ModelForm
from initiatives.models import Initiative
from metrics.models import (
    KPI,
    KPI_KEY_TAKEN,
    Alert,
    Measurement,
    NotificationPreferences,
    time_zone_names,
)
from metrics.selectors import kpi_key_propose
from strategy.access import Access
from strategy.forms import DateInput, UserChoiceField, VersionedModelForm, person_fields_scope
from strategy.models import Objective, Team


class MeasurementForm(ModelForm):
    """A value of a KPI for a day: the model's fields and rules (``execsupport.validation``);
    the service (``measurement_record``) adds the rule that the day has happened, and asks for
    ``confirm`` when the value is far outside the KPI's recent robust range (``ask_confirm`` is
    then set, and the page shows the box with the reason)."""

    confirm = forms.BooleanField(
        label="The value is right: save it anyway",
        required=False,
        help_text="It will be flagged in the KPI's data quality.",
    )
    ask_confirm = False

    class Meta:
        model = Measurement
        fields = ["as_of", "value", "note"]
        labels = {"as_of": "Date", "value": "Value", "note": "Note"}
        widgets = {"as_of": DateInput()}


class KPIForm(VersionedModelForm):
    """The KPI page's create and edit form, with the reason for a plan change; a missing key is
    proposed from the name."""

    owner = UserChoiceField(required=False)
    reason = forms.CharField(
        label="Reason for a plan change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the baseline, target or range changes; kept in the KPI's history.",
    )

    class Meta:
        model = KPI
        fields = KPI.EDITABLE_FIELDS
        error_messages = {"key": {"unique": KPI_KEY_TAKEN}}
        widgets = {
            "baseline_date": DateInput(),
            "target_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    RANGE_FIELDS = ("range_low", "range_high")

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        # The key: proposed from the name (here when left empty, and as it is typed by
        # static/js/forms.js from metrics:kpi-key-proposal); still editable and unique.
        key = self.fields["key"]
        key.required = False
        key.help_text = (
            "Stable identifier integrations use. Left empty, it is made from the name "
            "(e.g. 'Net promoter score' gives 'net-promoter-score'); edit it if you like."
        )
        key.widget.attrs["data-key-from"] = self["name"].auto_id
        key.widget.attrs["data-key-proposal"] = reverse("metrics:kpi-key-proposal")
        # Range bounds belong to keep-within-range KPIs only: shown for them
        # (static/js/forms.js) and cleared for the other directions here.
        for name in self.RANGE_FIELDS:
            self.fields[name].widget.attrs["data-show-when"] = (
                f"{self['direction'].auto_id}={KPI.Direction.RANGE}"
            )
        # The foreign keys' fields (ModelChoiceField).
        cast(forms.ModelChoiceField, self.fields["objective"]).queryset = access.scope(
            Objective.objects.all()
        )
        cast(forms.ModelChoiceField, self.fields["initiative"]).queryset = access.scope(
            Initiative.objects.all()
        )
        teams = Team.objects.all()
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams
        person_fields_scope(self, access=access, names=("owner",))

    def clean_team(self):
        """Refuse a team the person does not lead."""
        team = self.cleaned_data["team"]
        if team and not self.access.leads(team.pk):
            raise forms.ValidationError("You can only place KPIs in teams you lead.")
        return team

    @override
    def clean(self):
        cleaned = super().clean()
        if cleaned is None:  # a parent that returns nothing keeps cleaned_data (as Django does)
            cleaned = self.cleaned_data
        if not cleaned.get("key") and cleaned.get("name") and "key" not in self.errors:
            cleaned["key"] = kpi_key_propose(name=cleaned["name"], exclude_id=self.instance.pk)
        if cleaned.get("direction") and cleaned["direction"] != KPI.Direction.RANGE:
            for name in self.RANGE_FIELDS:  # hidden for this direction: not part of the plan
                cleaned[name] = None
        return cleaned


class AlertFilterForm(forms.Form):
    """The filters of the alert list page: status, severity, kind, only mine, and every part's
    alert."""

    STATUS_CHOICES = [
        ("active", "Open or acknowledged"),
        ("open", "Open"),
        ("acknowledged", "Acknowledged"),
        ("resolved", "Resolved"),
        ("all", "All"),
    ]
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity"), *Alert.Severity.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Alert.Kind.choices], required=False)
    mine = forms.BooleanField(label="Only mine", required=False)
    parts = forms.BooleanField(
        label="Every part's alert",
        required=False,
        help_text="Also list, as rows of their own, the alerts listed inside an objective's.",
    )


class AlertNoteForm(forms.Form):
    """Why an alert is acknowledged or resolved (optional)."""

    note = forms.CharField(
        label="Note",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why: kept in the alert's log.",
    )


class AlertSnoozeForm(AlertNoteForm):
    """Until which day an alert is snoozed (it wakes at the start of that day, local time),
    and why."""

    until = DateFormField(
        label="Snooze until",
        widget=DateInput(),
        help_text="It notifies nobody until then, unless it gets worse.",
    )
    field_order = ["until", "note"]


def time_zone_choices() -> list[tuple[str, str]]:
    """("", the organisation's) then every IANA time zone name (``time_zone_names``)."""
    from django.conf import settings

    return [
        ("", f"The organisation's ({settings.TIME_ZONE})"),
        *((z, z) for z in time_zone_names()),
    ]


class NotificationPreferencesForm(ModelForm):
    """A person's notification preferences (``metrics.preferences.preferences_update`` saves
    them); the model's fields carry the choices and the time zone rule."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=time_zone_choices,
        help_text="The weekly digest's day and hour are in this time zone.",
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
