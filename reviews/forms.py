"""Forms of the review cycle pages. Choices are what the reader may see; a service does the
writing."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from typing_extensions import override

from execsupport.validation import DateFormField, IdModelChoiceField, ModelForm
from reviews.models import ActionItem, Review
from strategy.access import Access
from strategy.forms import DateInput, UserChoiceField, UsersChoiceField
from strategy.models import Objective, Team, Theme
from strategy.people import people_choosable


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker (``datetime-local``), its value written as
    ``YYYY-MM-DDTHH:MM``."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ReviewForm(ModelForm):
    """A review: its scope (and the scope's object), cadence and participants."""

    theme = IdModelChoiceField(queryset=Theme.objects.none(), required=False)
    team = IdModelChoiceField(queryset=Team.objects.none(), required=False)
    objective = IdModelChoiceField(queryset=Objective.objects.none(), required=False)
    participants = UsersChoiceField(required=False)

    class Meta:
        model = Review
        fields = ["name", "scope", "theme", "team", "objective", "cadence", "cadence_days"]

    def __init__(self, *args, access: Access, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        cast(forms.ModelChoiceField, self.fields["theme"]).queryset = Theme.objects.filter(
            strategy=strategy
        )
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = access.scope(
            Team.objects.all(), "id"
        )
        cast(forms.ModelChoiceField, self.fields["objective"]).queryset = access.scope(
            Objective.objects.filter(strategy=strategy)
        ).order_by("title")
        cast(forms.ModelChoiceField, self.fields["participants"]).queryset = people_choosable(
            access=access
        )
        if self.instance.pk:
            self.fields["participants"].initial = list(
                self.instance.participants.values_list("pk", flat=True)
            )

    @override
    def clean(self):
        data = cast(dict[str, Any], super().clean())  # ModelForm.clean: its cleaned_data
        scope = data.get("scope")
        needed = (
            {"theme": "theme", "team": "team", "objective": "objective"}.get(scope)
            if scope is not None
            else None
        )
        if needed and not data.get(needed):
            self.add_error(needed, "Choose what this review looks at.")
        for other in ("theme", "team", "objective"):
            if other != needed:
                data[other] = None
        team_id = None
        if scope == Review.Scope.TEAM and data.get("team"):
            team_id = data["team"].pk
        elif scope == Review.Scope.OBJECTIVE and data.get("objective"):
            team_id = data["objective"].team_id
        if team_id is not None and not self.access.leads(team_id):
            self.add_error(needed, "Only leaders of this team (or the strategy office) review it.")
        if data.get("cadence") == Review.Cadence.CUSTOM and not data.get("cadence_days"):
            self.add_error("cadence_days", "A custom cadence needs its number of days.")
        return data


class MeetingForm(forms.Form):
    """The date and time of a meeting (new or moved)."""

    starts_at = forms.DateTimeField(label="Date and time", widget=DateTimeInput())

    def clean_starts_at(self):
        """Refuse a date outside the years 2000 to 2200."""
        value = self.cleaned_data["starts_at"]
        if not 2000 <= value.year <= 2200:
            raise forms.ValidationError("Choose a date between the years 2000 and 2200.")
        return value


class DecisionForm(forms.Form):
    """A decision: its text, who decided, and what it concerns (among the pack's items the
    reader may see: ``type:id`` values)."""

    text = forms.CharField(
        label="Decision", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    decided_by = UserChoiceField(label="Decided by", required=False)
    concerns = forms.MultipleChoiceField(
        label="Concerns", required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )

    def __init__(self, *args, people, subjects: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["decided_by"]).queryset = people
        cast(forms.ChoiceField, self.fields["concerns"]).choices = subjects

    def ids_of(self, kind: str) -> list[int]:
        """The ids of the chosen ``concerns`` of one kind (``"kpi"``, ``"objective"``,
        ``"initiative"``), for ``reviews.services.decision_record``."""
        return [
            int(value.split(":", 1)[1])
            for value in self.cleaned_data.get("concerns", [])
            if value.startswith(f"{kind}:")
        ]


class ActionItemForm(forms.Form):
    """A new action item: title, owner (a participant), due date, note."""

    title = forms.CharField(max_length=200)
    owner = UserChoiceField()
    due_date = DateFormField(label="Due", widget=DateInput())
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = people


class ToInitiativeForm(forms.Form):
    """Turn an action item into a proposed initiative: under which objective (those of the
    current strategy whose team the reader leads)."""

    objective = IdModelChoiceField(
        queryset=Objective.objects.none(),
        help_text="The initiative is proposed under this objective, in its team.",
    )

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        from strategy.selectors import strategy_current

        strategy = strategy_current()
        objectives = Objective.objects.none()
        if strategy is not None:
            objectives = access.scope(Objective.objects.filter(strategy=strategy)).order_by(
                "title", "id"
            )
            if not access.is_office:
                led = [team_id for team_id in access.roles if access.leads(team_id)]
                objectives = objectives.filter(team_id__in=led)
        cast(forms.ModelChoiceField, self.fields["objective"]).queryset = objectives


class ActionStatusForm(forms.Form):
    """Close, drop or reopen an action item."""

    status = forms.ChoiceField(choices=ActionItem.Status.choices)


def review_people(review: Review, *, access: Access):
    """The people of a review the reader may choose: its participants and its owner, among
    the people the reader may see (``strategy.people.people_choosable``)."""
    from django.db.models import Q

    return (
        people_choosable(access=access)
        .filter(Q(reviews=review) | Q(pk=review.owner_id))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
