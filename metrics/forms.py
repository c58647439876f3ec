from __future__ import annotations

import math

from django import forms

from initiatives.models import Initiative
from metrics.models import KPI, VALUE_LIMIT, Alert
from strategy.access import Access
from strategy.forms import DateInput, UserChoiceField, VersionedModelForm, person_fields_scope
from strategy.models import Objective, Team


class MeasurementForm(forms.Form):
    as_of = forms.DateField(label="Date", widget=DateInput())
    value = forms.FloatField(label="Value")
    note = forms.CharField(label="Note", max_length=300, required=False)

    def clean_value(self):
        value = self.cleaned_data["value"]
        if not math.isfinite(value) or abs(value) >= VALUE_LIMIT:
            raise forms.ValidationError(f"Enter a finite number below {VALUE_LIMIT:g}.")
        return value


class KPIForm(VersionedModelForm):
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
        widgets = {
            "baseline_date": DateInput(),
            "target_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.fields["objective"].queryset = access.scope(Objective.objects.all())
        self.fields["initiative"].queryset = access.scope(Initiative.objects.all())
        teams = Team.objects.all()
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
        self.fields["team"].queryset = teams
        person_fields_scope(self, access=access, names=("owner",))

    def clean_team(self):
        team = self.cleaned_data["team"]
        if team and not self.access.leads(team.pk):
            raise forms.ValidationError("You can only place KPIs in teams you lead.")
        return team


class AlertFilterForm(forms.Form):
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
