from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from typing_extensions import override

from execsupport.validation import DateFormField, validate_no_nul
from metrics.models import Alert, Webhook
from security.models import SecurityEvent
from strategy.access import Access
from strategy.forms import (
    DateInput,
    UserChoiceField,
    VersionedModelForm,
    choice_field,
    model_choice_field,
    person_fields_scope,
)
from strategy.models import ApiToken, Team


class SecurityEventFilterForm(forms.Form):
    """Filters of the security log page and its export (all optional)."""

    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *SecurityEvent.Kind.choices], required=False
    )
    person = forms.CharField(
        max_length=150,
        required=False,
        validators=[validate_no_nul],
        help_text="A username: who acted, or whose account it concerns.",
    )
    since = DateFormField(required=False, label="From", widget=DateInput())
    until = DateFormField(required=False, label="To", widget=DateInput())

    @override
    def clean(self):
        super().clean()
        data = self.cleaned_data  # what the base clean() returns
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end comes before the start.")
        return data

    def filters(self) -> dict:
        """The valid filters as keyword arguments of ``security_events_filtered``; none when
        the form is invalid (the page then shows the errors above everything)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or None,
            "person": (data.get("person") or "").strip() or None,
            "since": data.get("since"),
            "until": data.get("until"),
        }


class TokenCreateForm(forms.Form):
    """A new personal API token: its name, scopes (a person who only reads: ``read`` alone)
    and an optional last day (empty: the longest lifetime allowed). The rules themselves are
    ``strategy.services.token_create``'s; its errors come back on these fields."""

    name = forms.CharField(
        max_length=100,
        validators=[validate_no_nul],
        help_text="What will use it, e.g. 'BI export' or 'Sales sheet'.",
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
    )
    expires_on = DateFormField(required=False, label="Expires on", widget=DateInput())

    # token_create's error keys -> this form's fields (None: the whole form)
    SERVICE_FIELDS = {"name": "name", "scopes": "scopes", "expires_at": "expires_on"}

    def __init__(self, *args, can_contribute: bool, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_contribute:
            choice_field(self, "scopes").choices = [
                c for c in ApiToken.Scope.choices if c[0] == ApiToken.Scope.READ
            ]
        self.fields["expires_on"].help_text = f"Empty: in {max_days} days, the longest allowed."

    def expires_at(self) -> dt.datetime | None:
        """The chosen day at the current time of day (so the last allowed day is exactly the
        longest lifetime), or None."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        now = timezone.localtime()
        return timezone.make_aware(dt.datetime.combine(day, now.time().replace(microsecond=0)))

    def add_service_error(self, error: ValidationError) -> None:
        """Put ``token_create``'s ``ValidationError`` on the fields it names."""
        for key, messages in error.message_dict.items():
            self.add_error(self.SERVICE_FIELDS.get(key), messages)


class WebhookForm(VersionedModelForm):
    """A webhook as its manager sets it: name, format, URL, active, least severity, alert kinds,
    team scope and (the office only) whom it acts for. Owner and scope rules are
    ``metrics.services.webhook_save``'s (the API's too); its errors come back on the fields."""

    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="https:// on a public address (checked again before each request).",
    )
    alert_kinds = forms.MultipleChoiceField(
        choices=Alert.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Alert kinds",
        help_text="None ticked: every kind.",
    )
    owner = UserChoiceField(label="Acts for", required=False)

    class Meta:
        model = Webhook
        fields = [
            "name",
            "kind",
            "url",
            "is_active",
            "min_severity",
            "alert_kinds",
            "owner",
            "team",
        ]

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "team").queryset = access.scope(
            Team.objects.order_by("name"), "id"
        )
        model_choice_field(self, "team").empty_label = "Every team it may see"
        self.fields["min_severity"].label = "Least severity"
        if access.is_office:
            person_fields_scope(self, access=access, names=("owner",))
            self.fields[
                "owner"
            ].help_text = "It receives only what this person may see. Empty: you."
        else:
            del self.fields["owner"]

    def add_service_error(self, error: ValidationError) -> None:
        """Put ``webhook_save``'s ``ValidationError`` on the fields it names (those not on the
        form, such as the owner for a leader, above the form)."""
        for key, messages in error.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)
