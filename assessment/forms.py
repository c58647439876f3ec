"""The capability assessment form: the team choices are the teams the reader may assess."""

from __future__ import annotations

from typing import cast

from django import forms

from assessment.models import CAPABILITIES, CAPABILITY_FIELDS, CapabilityAssessment
from execsupport.validation import IdModelChoiceField
from strategy.access import Access
from strategy.forms import DateInput, VersionedModelForm
from strategy.models import Team

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class AssessmentForm(VersionedModelForm):
    """Date, scope (a team, or empty for the organisation: the office only) and the five
    scores with their evidence notes."""

    team = IdModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="The whole organisation",
        help_text="Empty: the organisation as a whole (the strategy office only).",
    )

    class Meta:
        model = CapabilityAssessment
        fields = ["assessed_on", "team", *CAPABILITY_FIELDS]
        widgets = {
            "assessed_on": DateInput(),
            **{f"{c}_score": forms.RadioSelect(choices=SCORE_CHOICES) for c in CAPABILITIES},
            **{f"{c}_notes": forms.Textarea(attrs={"rows": 2}) for c in CAPABILITIES},
        }
        labels = {"assessed_on": "Assessed on"}

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        teams = access.scope(Team.objects.exclude(kind=Team.Kind.COMPANY), "id").order_by("name")
        team_field = cast(IdModelChoiceField, self.fields["team"])
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
            team_field.required = True
            team_field.empty_label = None
        team_field.queryset = teams
        for c in CAPABILITIES:
            field = self.fields[f"{c}_score"]
            field.widget.choices = SCORE_CHOICES
            field.error_messages["required"] = "Score it from 1 (weak) to 5 (strong)."

    def clean_team(self):
        """Refuse a team the person may not assess (the whole organisation: the strategy office
        only)."""
        team = self.cleaned_data.get("team")
        if not self.access.can_record_assessment(team.pk if team else None):
            raise forms.ValidationError(
                "Only the strategy office assesses the whole organisation."
                if team is None
                else "Only leaders of this team (or the strategy office) assess it."
            )
        return team

    def score_rows(self):
        """``(score field, notes field)`` per capability, for the template."""
        return [(self[f"{c}_score"], self[f"{c}_notes"]) for c in CAPABILITIES]
