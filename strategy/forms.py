from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from strategy.access import Access
from strategy.models import Objective, Team, Theme
from strategy.overview import OverviewFilters
from strategy.people import people_choosable


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UserChoiceField(forms.ModelChoiceField):
    """A person picker. Its choices are set per reader by ``person_fields_scope``: until then it
    offers nobody."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(**kwargs)

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class UsersChoiceField(forms.ModelMultipleChoiceField):
    """Several people (contributors); choices set per reader like ``UserChoiceField``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(**kwargs)

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def person_fields_scope(form: forms.ModelForm, *, access: Access, names: tuple[str, ...]) -> None:
    """Offer in each person field of ``form`` the people the reader may choose
    (``strategy.people.people_choosable``), keeping the edited object's current values. A person
    outside those choices posted anyway is refused by the field ("Select a valid choice"),
    exactly like an id that does not exist."""
    instance = form.instance
    for name in names:
        keep: list[int] | QuerySet = []
        if instance.pk is not None:
            field = instance._meta.get_field(name)
            if field.many_to_many:
                keep = getattr(instance, name).values("pk")
            elif getattr(instance, field.attname) is not None:
                keep = [getattr(instance, field.attname)]
        form.fields[name].queryset = people_choosable(access=access, keep_ids=keep)


class OverviewFilterForm(forms.Form):
    """Filters of the overview, by id: the page checks them against what the person may see."""

    period = forms.IntegerField(required=False, min_value=1)
    theme = forms.IntegerField(required=False, min_value=1)
    team = forms.IntegerField(required=False, min_value=1)
    since = forms.DateField(required=False, widget=DateInput(), label="Changes since")

    def to_filters(self, today: dt.date) -> OverviewFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return OverviewFilters(
            period_id=data.get("period"),
            theme_id=data.get("theme"),
            team_id=data.get("team"),
            since=data.get("since") or today - dt.timedelta(days=30),
        )


class ObjectiveForm(forms.ModelForm):
    owner = UserChoiceField(required=False)

    class Meta:
        model = Objective
        fields = [
            "title",
            "description",
            "theme",
            "period",
            "team",
            "parent",
            "owner",
            "priority",
            "weight",
            "status",
            "start_date",
            "due_date",
        ]
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, access: Access, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.instance.strategy = strategy
        self.fields["theme"].queryset = Theme.objects.filter(strategy=strategy)
        self.fields["parent"].queryset = access.scope(
            Objective.objects.filter(strategy=strategy).exclude(pk=self.instance.pk)
        )
        teams = Team.objects.all()
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
        self.fields["team"].queryset = teams
        person_fields_scope(self, access=access, names=("owner",))

    def clean_team(self):
        team = self.cleaned_data["team"]
        if team and not self.access.can_create_objective_for(team.pk):
            raise forms.ValidationError("You can only place objectives in teams you lead.")
        return team
