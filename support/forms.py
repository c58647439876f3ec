"""Forms of the support app: a new report, its notes, and a support measure from a barrier."""

from __future__ import annotations

from typing import cast

from django import forms

from execsupport.validation import (
    DateFormField,
    IdModelChoiceField,
    IdModelMultipleChoiceField,
    ModelForm,
)
from initiatives.models import Initiative
from metrics.models import KPI
from strategy.access import Access
from strategy.forms import DateInput, UserChoiceField, person_fields_scope
from strategy.models import Objective, Period, Team
from support.models import AssessmentReport, Barrier, Capability, SupportMeasure
from surveys.catalogue import STANDARD_ITEMS


class ReportForm(ModelForm):
    """The form that starts an assessment report: its title and period (periods in date order)."""

    class Meta:
        model = AssessmentReport
        fields = ["title", "period"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["period"]).queryset = Period.objects.order_by(
            "start_date"
        )


class ReportNotesForm(ModelForm):
    """The report's free-text notes: customer input and market trends."""

    class Meta:
        model = AssessmentReport
        fields = ["customer_input", "market_trends"]
        widgets = {
            "customer_input": forms.Textarea(attrs={"rows": 4}),
            "market_trends": forms.Textarea(attrs={"rows": 4}),
        }


class SupportMeasureForm(ModelForm):
    """The initiative's own fields (a support initiative) and the measure's: category, target,
    the first small test and the adoption measure."""

    owner = UserChoiceField(required=False)
    category = forms.ChoiceField(choices=SupportMeasure.Category.choices)
    capability = forms.ChoiceField(
        choices=Capability.choices, help_text="The capability the measure builds."
    )
    test_teams = IdModelMultipleChoiceField(
        queryset=Team.objects.none(),
        label="Teams in the first test",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    test_start = DateFormField(label="Test starts", widget=DateInput())
    test_end = DateFormField(label="Test ends", widget=DateInput())
    adoption = forms.ChoiceField(
        choices=SupportMeasure.Adoption.choices,
        label="Adoption measure",
        help_text="How the app measures whether the new practice is picked up.",
    )
    survey_item = forms.ChoiceField(
        choices=[("", "—"), *STANDARD_ITEMS.items()], required=False, label="Survey item"
    )
    kpi = IdModelChoiceField(queryset=KPI.objects.none(), required=False, label="KPI")

    class Meta:
        model = Initiative
        fields = ["title", "description", "objective", "team", "owner", "start_date", "due_date"]
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"title": "Support measure", "objective": "Objective it serves"}

    def __init__(self, *args, access: Access, barrier: Barrier, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        strategy = barrier.report.strategy
        cast(forms.ModelChoiceField, self.fields["objective"]).queryset = access.scope(
            Objective.objects.filter(strategy=strategy).select_related("theme")
        )
        teams = Team.objects.order_by("name")
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams
        cast(forms.ModelMultipleChoiceField, self.fields["test_teams"]).queryset = access.scope(
            Team.objects.order_by("name"), "id"
        )
        cast(forms.ModelChoiceField, self.fields["kpi"]).queryset = access.scope(
            KPI.objects.filter(is_active=True)
        ).order_by("name")
        person_fields_scope(self, access=access, names=("owner",))
        if not self.is_bound:
            self.initial.setdefault("capability", barrier.capability)

    def clean_team(self):
        """Refuse a team the person does not lead (the initiative is placed in it)."""
        team = self.cleaned_data["team"]
        if team and not self.access.leads(team.pk):
            raise forms.ValidationError("You can only place initiatives in teams you lead.")
        return team

    def measure_fields(self) -> dict:
        """The cleaned values that belong to the measure (not its initiative), as keyword arguments
        for the service."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "capability": data["capability"],
            "test_teams": list(data["test_teams"]),
            "test_start": data["test_start"],
            "test_end": data["test_end"],
            "adoption": data["adoption"],
            "survey_item": data.get("survey_item") or "",
            "kpi": data.get("kpi"),
        }
