from __future__ import annotations

from django import forms

from execsupport.validation import DateFormField, validate_no_nul
from security.models import SecurityEvent
from strategy.forms import DateInput


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

    def clean(self):
        data = super().clean()
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
