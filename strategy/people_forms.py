"""Forms of the People pages: the list's filters, inviting, memberships, deactivation and the
invited person's password. Choices come from ``strategy.access`` (teams the reader manages,
roles they may grant) and ``strategy.people`` (whom they may choose)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from typing_extensions import override

from execsupport.validation import IdModelChoiceField
from strategy.access import ROLE_RANK, Access
from strategy.forms import UserChoiceField, choice_field, model_choice_field
from strategy.models import Membership, Team
from strategy.people import people_choosable

ACTIVE_CHOICES = [("yes", "Active"), ("no", "Deactivated"), ("invited", "Invited, not signed in")]


def teams_managed(*, access: Access):
    """Teams whose memberships the reader manages (``Access.can_manage_memberships``), by
    name: every team for the office, else the teams they lead and those below them."""
    teams = Team.objects.order_by("name", "id")
    if access.is_office:
        return teams
    return teams.filter(pk__in=[t for t in access.roles if access.can_manage_memberships(t)])


def roles_grantable(*, access: Access) -> list[tuple[str, str]]:
    """Role choices the reader may grant somewhere (the office: all; a leader: up to leader)."""
    if access.is_office:
        return list(Membership.Role.choices)
    top = max((ROLE_RANK[r] for r in access.roles.values()), default=0)
    return [(v, label) for v, label in Membership.Role.choices if ROLE_RANK[v] <= top]


class TeamChoiceField(IdModelChoiceField):
    """A team picker (by id) that shows each team by its name."""

    @override
    def label_from_instance(self, obj) -> str:
        return obj.name


class PeopleFilterForm(forms.Form):
    """The People list's filters (a GET form: the filter lives in the URL)."""

    q = forms.CharField(label="Name or e-mail", required=False, max_length=100)
    team = TeamChoiceField(queryset=Team.objects.none(), required=False, empty_label="Any team")
    role = forms.ChoiceField(choices=[("", "Any role"), *Membership.Role.choices], required=False)
    active = forms.ChoiceField(
        label="Status", choices=[("", "Everyone"), *ACTIVE_CHOICES], required=False
    )

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "team").queryset = access.scope(
            Team.objects.order_by("name", "id"), "id"
        )
        if not access.is_office:
            # Deactivated people are listed to the office only.
            choice_field(self, "active").choices = [
                ("", "Everyone"),
                *[c for c in ACTIVE_CHOICES if c[0] != "no"],
            ]


class InviteForm(forms.Form):
    """Invite someone by e-mail to a team the reader manages, with a role they may grant."""

    email = forms.EmailField(label="E-mail address", max_length=254)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    team = TeamChoiceField(queryset=Team.objects.none())
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        model_choice_field(self, "team").queryset = teams_managed(access=access)
        choice_field(self, "role").choices = roles_grantable(access=access)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    @override
    def clean(self):
        super().clean()
        data = self.cleaned_data  # what the base clean() returns
        team, role = data.get("team"), data.get("role")
        if team and role and not self.access.can_grant_role(team.pk, role):
            self.add_error("role", "You cannot grant this role on this team.")
        return data


class MembershipForm(forms.Form):
    """Add a person to a team or change their role there (person side: ``team`` chosen;
    team side: ``person`` chosen)."""

    team = TeamChoiceField(queryset=Team.objects.none())
    person = UserChoiceField(label="Person")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, access: Access, person=None, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        choice_field(self, "role").choices = roles_grantable(access=access)
        if person is not None:
            del self.fields["person"]
            self.person = person
            model_choice_field(self, "team").queryset = teams_managed(access=access)
        if team is not None:
            del self.fields["team"]
            self.team = team
            model_choice_field(self, "person").queryset = people_choosable(access=access)

    @override
    def clean(self):
        super().clean()
        data = self.cleaned_data  # what the base clean() returns
        data.setdefault("person", getattr(self, "person", None))
        data.setdefault("team", getattr(self, "team", None))
        return data


class DeactivateForm(forms.Form):
    """Deactivate someone; who takes over their objectives, initiatives, KPIs and alerts."""

    successor = UserChoiceField(
        label="Hand their work over to",
        required=False,
        help_text="Needed when they own objectives, initiatives, KPIs or open alerts.",
    )
    confirm = forms.BooleanField(
        label="Yes, deactivate them: they can no longer sign in",
        help_text="Their API tokens are revoked too.",
    )

    def __init__(self, *args, access: Access, person, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "successor").queryset = people_choosable(access=access).exclude(
            pk=person.pk
        )


class SetPasswordForm(forms.Form):
    """The invited person's new password, twice (the password validators apply)."""

    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="New password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )
