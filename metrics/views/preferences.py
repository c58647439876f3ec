"""The page of a person's notification preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from metrics.forms import (
    NotificationPreferencesForm,
)
from metrics.preferences import preferences_get, preferences_update
from strategy.access import access_for

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


@login_required
def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's own notification preferences: per kind of event at once, in the daily
    digest, or off; the weekly digest's day, hour and time zone. Saved by
    ``preferences_update``; a bad value keeps what was typed and says what is wrong."""
    if not access_for(request.user).sees_anything:
        return render(request, "no_access.html", status=403)
    prefs = preferences_get(user=request.user)
    form = NotificationPreferencesForm(request.POST or None, instance=prefs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                preferences_update(user=request.user, data=form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Saved your notification preferences.")
                return redirect("metrics:notification-preferences")
        status = 400
    return render(
        request,
        "metrics/notification_preferences.html",
        {"form": form, "prefs": prefs, "limit": settings.NOTIFY_IMMEDIATE_PER_DAY},
        status=status,
    )
