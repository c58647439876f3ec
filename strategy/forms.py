from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict
from django.urls import reverse
from typing_extensions import override

from execsupport.validation import (
    MAX_DATE,
    MIN_DATE,
    DateFormField,
    IdFormField,
    IdModelChoiceField,
    IdModelMultipleChoiceField,
    ModelForm,
    is_valid_id,
)
from strategy.access import Access
from strategy.keys import KEY_TAKEN
from strategy.models import Objective, Period, Strategy, Team, Theme, VersionConflict
from strategy.ownership import owned_kinds
from strategy.people import people_choosable
from strategy.selectors import OverviewFilters


class DateInput(forms.DateInput):
    """The browser's date picker (``type="date"``), its value written as ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """``form.fields[name]``, a ``ModelChoiceField`` (or a ``ModelMultipleChoiceField``): the
    stubs type ``form.fields`` as plain ``Field``s, which have no ``queryset``."""
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """``form.fields[name]``, a ``ChoiceField`` (typed for its ``choices``)."""
    return cast(forms.ChoiceField, form.fields[name])


if TYPE_CHECKING:
    _SelectBase = forms.Select  # the mixin is used on Select and SelectMultiple
else:
    _SelectBase = object


# A person picker lists the chosen people and the first ones of the choosable by name; the
# others are found by typing in its search box (static/js/forms.js asks strategy:people-choose).
PICKER_SHOWN = 50


class PeopleSelectMixin(_SelectBase):
    """A ``<select>`` of people by name that renders the chosen ones and the first
    ``PICKER_SHOWN`` choosable ones (one query, as before), with the search URL for the
    script. Validation still accepts any choosable person."""

    @override
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-people-search"] = reverse("strategy:people-choose")
        return context

    @override
    def optgroups(self, name, value, attrs=None):
        choices = self.choices
        queryset = getattr(choices, "queryset", None)
        if queryset is None:
            return super().optgroups(name, value, attrs)
        chosen = [int(v) for v in value if is_valid_id(v)]
        first = queryset.order_by(*queryset.query.order_by).values("pk")[:PICKER_SHOWN]
        shown = cast(ModelChoiceIterator, copy.copy(choices))  # it has a queryset
        shown.queryset = queryset.filter(Q(pk__in=first) | Q(pk__in=chosen))
        self.choices = shown
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = choices


class PeopleSelect(PeopleSelectMixin, forms.Select):
    """One person (owners)."""


class PeopleSelectMultiple(PeopleSelectMixin, forms.SelectMultiple):
    """Several people (contributors)."""


class UserChoiceField(IdModelChoiceField):
    """A person picker, by name with a search box (``PeopleSelect``). Its choices are set per
    reader by ``person_fields_scope``: until then it offers nobody."""

    widget = PeopleSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(**kwargs)

    @override
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class UsersChoiceField(IdModelMultipleChoiceField):
    """Several people (contributors); choices set per reader like ``UserChoiceField``."""

    widget = PeopleSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(**kwargs)

    @override
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
        model_choice_field(form, name).queryset = people_choosable(access=access, keep_ids=keep)


class VersionedModelForm(ModelForm):
    """An edit form that carries the version of the object it shows (a hidden field).

    The view passes ``expected_version`` to the service's save; when someone else saved the
    object since the form was opened (``VersionConflict``), ``version_conflict()`` says so on
    the form, names the fields whose saved value now differs from what was typed, and keeps
    every typed value. The hidden version then becomes the current one: saving again keeps
    what was typed, knowingly. (What the other person changed is not known: the form does not
    carry the values it was opened with, only their version.)
    """

    # Not named "version": the admin would then take it for the model's (non-editable) field.
    seen_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("seen_version", self.instance.version)

    @property
    def expected_version(self) -> int | None:
        """The version the form was opened on (``None`` for a new object, or a form posted
        without one: then the save is not guarded, and writes only the changed fields)."""
        if self.instance.pk is None:
            return None
        return self.cleaned_data.get("seen_version")

    def version_conflict(self, error: VersionConflict | None = None) -> None:
        """Say on the form that the object was saved by someone else (``error``: the save's
        ``VersionConflict``, if that is how it was found); keep the entries."""
        model = type(self.instance)
        current = model._base_manager.filter(pk=self.instance.pk).first()
        noun = model._meta.verbose_name
        if current is None:
            self.add_error(None, f"This {noun} was deleted by someone else meanwhile.")
            return
        differ = []
        for name, field in self.fields.items():
            if name == "seen_version" or name not in self.cleaned_data:
                continue
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            saved = getattr(current, name)
            typed = self.cleaned_data[name]
            if model_field.many_to_many:
                saved, typed = set(saved.all()), set(typed or ())
                shown = ", ".join(sorted(str(v) for v in saved)) or "none"
            else:
                shown = "empty" if saved in (None, "") else str(saved)
            if saved != typed:
                differ.append(f"{field.label or name}: {shown}")
        message = (
            f"Someone else changed this {noun} while you were editing it; nothing was saved. "
            "Your entries are kept below."
        )
        if differ:
            message += " Where the saved version differs from them, it has " + "; ".join(differ)
            message += "."
        message += " Save again to keep your entries over theirs."
        self.add_error(None, message)
        # A request's QueryDict (immutable: copied), or a dict.
        data = cast("QueryDict | dict[str, Any]", self.data).copy()
        data[self.add_prefix("seen_version")] = str(current.version)
        self.data = data


class VersionCheckedModelForm(VersionedModelForm):
    """``VersionedModelForm`` that checks the version itself, when it is validated: for the
    admin, whose save cannot turn a ``VersionConflict`` into a form error. A save by someone
    else in the moment between this check and the admin's write is not detected; that write
    still changes only the fields that differ from the row as the admin read it."""

    @override
    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what the base clean() returns
        version = cleaned.get("seen_version")
        stale = version is not None and version != self.instance.version
        if self.instance.pk is not None and stale:
            self.version_conflict()
        return cleaned


class OverviewFilterForm(forms.Form):
    """Filters of the overview, by id: the page checks them against what the person may see."""

    period = IdFormField(required=False)
    theme = IdFormField(required=False)
    team = IdFormField(required=False)
    since = DateFormField(required=False, widget=DateInput(), label="Changes since")

    def to_filters(self, today: dt.date) -> OverviewFilters:
        """The filters of the valid fields (all of them empty when any field is invalid); changes
        since ``today`` - 30 days unless ``since`` is given."""
        data = self.cleaned_data if self.is_valid() else {}
        return OverviewFilters(
            period_id=data.get("period"),
            theme_id=data.get("theme"),
            team_id=data.get("team"),
            since=data.get("since") or today - dt.timedelta(days=30),
        )


class ObjectiveForm(VersionedModelForm):
    """The objective page's form: its team among those the reader leads (any for the strategy
    office), its parent among the strategy's objectives the reader may see, its owner among the
    people they may choose."""

    owner = UserChoiceField(required=False)

    class Meta:
        model = Objective
        fields = [
            "title",
            "key",
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
        error_messages = {"key": {"unique": KEY_TAKEN}}
        widgets = {
            "start_date": DateInput(),
            "due_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, access: Access, strategy, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.instance.strategy = strategy
        model_choice_field(self, "theme").queryset = Theme.objects.filter(strategy=strategy)
        model_choice_field(self, "parent").queryset = access.scope(
            Objective.objects.filter(strategy=strategy).exclude(pk=self.instance.pk)
        )
        teams = Team.objects.all()
        if not access.is_office:
            teams = teams.filter(pk__in=[t for t in access.roles if access.leads(t)])
        model_choice_field(self, "team").queryset = teams
        person_fields_scope(self, access=access, names=("owner",))

    def clean_team(self):
        """Refuse a team the reader does not lead."""
        team = self.cleaned_data["team"]
        if team and not self.access.can_create_objective_for(team.pk):
            raise forms.ValidationError("You can only place objectives in teams you lead.")
        return team


class HandOverForm(forms.Form):
    """Hand a leaving person's work over: the leaving person (anyone who owns something, active
    or not) and the successor (an active person the reader may choose)."""

    leaving = UserChoiceField(label="Person leaving")
    successor = UserChoiceField(label="Hand over to")

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        # Whoever owns a definition (objective, initiative, KPI: strategy.ownership).
        owning = Q()
        for kind in owned_kinds():
            if kind.subject_type is not None:
                owned = kind.model._default_manager.filter(owner=OuterRef("pk"))
                owning |= Q(Exists(owned))
        model_choice_field(self, "leaving").queryset = (
            get_user_model().objects.filter(owning).order_by("first_name", "last_name", "username")
        )
        model_choice_field(self, "successor").queryset = people_choosable(access=access)


# --- the plan's structure, managed by the strategy office (workspace/manage_views.py) ----------
class StrategyForm(VersionedModelForm):
    """A strategy (strategy office pages): name, vision, horizon, status, owner."""

    owner = UserChoiceField(required=False)

    class Meta:
        model = Strategy
        fields = ["name", "vision", "horizon_start", "horizon_end", "status", "owner"]
        widgets = {
            "horizon_start": DateInput(),
            "horizon_end": DateInput(),
            "vision": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        person_fields_scope(self, access=access, names=("owner",))


class PeriodForm(VersionedModelForm):
    """A planning period (strategy office pages)."""

    class Meta:
        model = Period
        fields = ["name", "kind", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}


class PeriodYearForm(forms.Form):
    """A planning year and its four quarters at once (``strategy.services.periods_year_create``)."""

    year = forms.IntegerField(
        min_value=MIN_DATE.year, max_value=MAX_DATE.year - 1, help_text="For example 2027."
    )
    first_month = forms.TypedChoiceField(
        label="The year starts in",
        coerce=int,
        initial=1,
        choices=[(m, dt.date(2000, m, 1).strftime("%B")) for m in range(1, 13)],
        help_text="January for a calendar year; another month for a fiscal year.",
    )


class ThemeForm(VersionedModelForm):
    """A theme (strategy office pages), of a strategy that is not archived (or its current one)."""

    class Meta:
        model = Theme
        fields = ["strategy", "name", "description", "colour", "weight", "order"]
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"weight": "Priority weight"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        strategies = Strategy.objects.exclude(status=Strategy.Status.ARCHIVED)
        if self.instance.pk is not None:
            strategies = strategies | Strategy.objects.filter(pk=self.instance.strategy_id)
        model_choice_field(self, "strategy").queryset = strategies


class TeamForm(VersionedModelForm):
    """A team (strategy office and leaders' pages): ``leader`` is made a leader of it on save;
    ``is_private`` only for who may change privacy; its parent never itself or a team below it."""

    leader = UserChoiceField(
        required=False,
        help_text="Made a leader of this team (other roles are managed with the people).",
    )

    class Meta:
        model = Team
        fields = ["name", "slug", "kind", "parent", "is_private", "description", "leader"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        if not access.can_change_team_privacy():
            self.fields["is_private"].disabled = True
        model_choice_field(self, "leader").queryset = people_choosable(access=access)
        if self.instance.pk is not None:
            from strategy.selectors import team_subtree_ids

            inside = team_subtree_ids(team_ids=[self.instance.pk]) | {self.instance.pk}
            model_choice_field(self, "parent").queryset = Team.objects.exclude(pk__in=inside)
