from __future__ import annotations

import uuid
from typing import cast

from django import forms

from execsupport.validation import ModelForm
from initiatives.models import BlockerTag, CheckIn, Initiative, Milestone
from strategy.access import INITIATIVE_LEADER_ONLY, Access
from strategy.forms import (
    DateInput,
    PeopleSelectMultiple,
    UserChoiceField,
    UsersChoiceField,
    VersionedModelForm,
    person_fields_scope,
)
from strategy.keys import KEY_TAKEN
from strategy.models import Objective, Team

SUMMARY_REQUIRED = "Write a short summary: what happened since the last check-in?"


class CheckInForm(ModelForm):
    """A check-in; its hidden ``request_key`` (new on each blank form, kept when the form comes
    back with errors) makes a double click or a retry store one check-in (``checkin_submit``)."""

    request_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    blocker_tags = forms.MultipleChoiceField(
        label="Kind of blocker",
        choices=BlockerTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional: what the blocker needs.",
    )

    class Meta:
        model = CheckIn
        fields = ["rag", "confidence", "progress", "summary", "blockers", "next_steps"]
        widgets = {
            "rag": forms.RadioSelect,
            "summary": forms.Textarea(
                attrs={"rows": 2, "placeholder": "What happened since the last check-in?"}
            ),
            "blockers": forms.Textarea(attrs={"rows": 2, "placeholder": "Anything in the way?"}),
            "next_steps": forms.Textarea(attrs={"rows": 2, "placeholder": "What comes next?"}),
            "confidence": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
        }
        labels = {"rag": "Status", "confidence": "Confidence (%)", "progress": "Progress (%)"}
        help_texts = {
            "confidence": "How likely is on-time delivery?",
            "progress": "Work done so far.",
        }

    def __init__(self, *args, initiative: Initiative | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        rag = cast(forms.ChoiceField, self.fields["rag"])  # the model field's (with choices)
        # Django keeps a form field's choices normalised: a list of (value, label) pairs.
        rag.choices = [c for c in cast(list, rag.choices) if c[0]]
        self.fields["rag"].error_messages["required"] = "Choose a status: green, amber or red."
        self.fields["summary"].error_messages["required"] = SUMMARY_REQUIRED
        for name in ("confidence", "progress"):
            self.fields[name].error_messages["required"] = "Enter a number from 0 to 100."
        if initiative is not None and not self.is_bound:
            self.initial.setdefault("progress", initiative.progress)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4())
        prefix = f"ci{initiative.pk}-" if initiative is not None else ""
        self.auto_id = f"id_{prefix}%s"

    def clean_summary(self):
        """The summary without surrounding spaces; refuses an empty one."""
        summary = (self.cleaned_data.get("summary") or "").strip()
        if not summary:
            raise forms.ValidationError(
                "Write a short summary: what happened since the last check-in?"
            )
        return summary


class InitiativeForm(VersionedModelForm):
    """The initiative page's create and edit form: owner and contributors picked by person, dates,
    budget, effort and cadence."""

    owner = UserChoiceField(required=False)
    contributors = UsersChoiceField(required=False, widget=PeopleSelectMultiple(attrs={"size": 5}))

    class Meta:
        model = Initiative
        fields = [
            "title",
            "key",
            "description",
            "objective",
            "team",
            "owner",
            "contributors",
            "status",
            "priority",
            "start_date",
            "due_date",
            "progress",
            "budget_planned",
            "effort_planned_fte",
            "checkin_cadence_days",
            "weight",
        ]
        error_messages = {"key": {"unique": KEY_TAKEN}}
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        # The foreign keys' fields (ModelChoiceField).
        objective = cast(forms.ModelChoiceField, self.fields["objective"])
        team = cast(forms.ModelChoiceField, self.fields["team"])
        objective.queryset = access.scope(Objective.objects.select_related("theme"))
        teams = Team.objects.all()
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
        team.queryset = teams
        person_fields_scope(self, access=access, names=("owner", "contributors"))
        # An owner who is not a leader edits their fields only; the rest is shown, disabled
        # (a posted value for it is ignored), by the one rule the API applies too.
        allowed = access.initiative_fields_writable(self.instance) if self.instance.pk else None
        self.leader_only = []
        if allowed is not None:
            for name, field in self.fields.items():
                if name not in allowed and name != "seen_version":
                    field.disabled = True
                    field.help_text = INITIATIVE_LEADER_ONLY
                    self.leader_only.append(name)
            # Its current team, whichever teams this person leads (none): shown as it is.
            team.queryset = Team.objects.filter(pk=self.instance.team_id)

    def clean_team(self):
        """Refuse a team the person does not lead (unless the field is locked)."""
        team = self.cleaned_data["team"]
        if self.fields["team"].disabled:
            return team
        if team and not self.access.leads(team.pk):
            raise forms.ValidationError("You can only place initiatives in teams you lead.")
        return team


class MilestoneForm(VersionedModelForm):
    """The form of a milestone on its initiative's page."""

    class Meta:
        model = Milestone
        fields = ["title", "due_date", "completed_on", "weight"]
        widgets = {"due_date": DateInput(), "completed_on": DateInput()}
        help_texts = {"completed_on": "Leave empty while the milestone is open."}
