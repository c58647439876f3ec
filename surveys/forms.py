"""Forms of pulse surveys: create from a template, send a round, answer."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms

from strategy.forms import DateInput
from surveys.catalogue import SCALE_LABELS, TEMPLATES
from surveys.models import TEXT_ANSWER_MAX, Question, SurveyRound


class SurveyForm(forms.Form):
    """A new survey: which template and an optional name."""

    template = forms.ChoiceField(
        choices=[(t.key, t.name) for t in TEMPLATES.values()], label="Template"
    )
    name = forms.CharField(
        max_length=160, required=False, label="Name", help_text="Empty: the template's name."
    )


class RoundForm(forms.Form):
    """Send a survey to teams for a window."""

    label = forms.CharField(max_length=80, label="Round name", help_text="e.g. 'June pulse'.")
    opens_on = forms.DateField(widget=DateInput(), label="Opens on")
    closes_on = forms.DateField(widget=DateInput(), label="Closes on")
    team_ids = forms.TypedMultipleChoiceField(
        coerce=int, label="Teams", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, teams: list[tuple[int, str]], today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["team_ids"]).choices = teams
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + dt.timedelta(days=7)


class AnswerForm(forms.Form):
    """The questions of a round: each scale item a required 1-5 choice, free text optional;
    a team choice when the person may answer for several teams."""

    def __init__(self, *args, round_: SurveyRound, teams: list, **kwargs):
        super().__init__(*args, **kwargs)
        if len(teams) > 1:
            self.fields["team"] = forms.TypedChoiceField(
                coerce=int,
                choices=[(t.id, t.name) for t in teams],
                label="I answer for the team",
            )
        for q in round_.survey.questions.all():
            if q.kind == Question.Kind.SCALE:
                self.fields[f"q_{q.code}"] = forms.ChoiceField(
                    label=q.text,
                    choices=[(str(v), f"{v}: {label}") for v, label in SCALE_LABELS.items()],
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[f"q_{q.code}"] = forms.CharField(
                    label=q.text,
                    required=False,
                    max_length=TEXT_ANSWER_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )

    def answers(self) -> tuple[dict, dict]:
        """(scale answers, text answers) by question code, as typed."""
        scale, text = {}, {}
        for name, value in self.cleaned_data.items():
            if not name.startswith("q_"):
                continue
            code = name[2:]
            if isinstance(self.fields[name], forms.ChoiceField):
                scale[code] = value
            else:
                text[code] = value
        return scale, text
