"""The pages of alerts: the inbox (filtered, paged, acted on in bulk), an alert, and a person's
acts on it (acknowledge, resolve, snooze)."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from execsupport.validation import is_valid_id
from metrics.explain import alerts_render
from metrics.forms import (
    AlertFilterForm,
    AlertNoteForm,
    AlertSnoozeForm,
)
from metrics.lists import AlertListFilter
from metrics.models import Alert
from metrics.selectors import (
    alert_events_visible,
    alert_subject_links,
)
from metrics.services import (
    alert_acknowledge,
    alert_resolve,
    alert_snooze,
    alerts_acknowledge,
    alerts_resolve,
)
from strategy.access import Access, access_for
from strategy.quantities import date_text

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


ALERT_PAGE = 50
# Alerts changed by one bulk action at most (a few pages of the inbox).
BULK_MAX = 200
# The alert page holds two forms with a note each: distinct ids for their fields.
NOTE_ID, SNOOZE_ID = "ack_%s", "snooze_%s"


def _alerts_visible(access: Access, user):
    """Alerts this person may see (``Access.alert_filter``, as in the API): those of the teams
    they may see and those without a team. Being an alert's owner does not show an alert about
    a subject they may not see (a private team's KPI left to someone outside it)."""
    return Alert.objects.filter(access.alert_filter())


def alerts_filtered(*, access: Access, user, data: dict) -> QuerySet[Alert]:
    """The alerts of the inbox for these filters (``AlertFilterForm.cleaned_data``), most severe
    and newest first; the API and the page share the visibility rule (``alert_filter``).
    Without a kind filter or ``parts``, the causes listed inside a root alert are left out."""
    qs = _alerts_visible(access, user)
    status = data.get("status") or "active"
    if status == "active":
        qs = qs.filter(status__in=Alert.ACTIVE_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if data.get("severity"):
        qs = qs.filter(severity=data["severity"])
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("mine"):
        qs = qs.filter(owner=user)
    if not data.get("kind") and not data.get("parts"):
        qs = qs.exclude(_listed_inside_root(access=access, user=user, mine=bool(data.get("mine"))))
    return qs.order_by("-severity", "-opened_at", "-id")


def _listed_inside_root(*, access: Access, user, mine: bool) -> Q:
    """One alert per root cause: a cause is not a row of its own when its root alert (the
    objective's ``objective_off_track``, which lists it) is active and in the same listing:
    visible to the reader and, with "only mine", theirs too. Otherwise (a root the reader may
    not see, or someone else's) the cause stays a row, so nothing disappears from anyone."""
    inside = Q(root__status__in=Alert.ACTIVE_STATUSES)
    if access.visible_team_ids is not None:
        inside &= access.team_filter("root__team_id") | Q(root__team_id__isnull=True)
    if mine:
        inside &= Q(root__owner=user)
    return inside


def alert_list_filters(
    *, access: Access, user, params
) -> tuple[AlertFilterForm, dict, AlertListFilter]:
    """The inbox's filters for a query string: its own form (status, severity, kind, only mine,
    every part), that form's cleaned data (``{}`` when invalid), and the lists' filter set
    (team, owner, theme, period, sort) over ``alerts_filtered``. ``filter_set.qs`` is what the
    inbox pages through and what its export writes."""
    form = AlertFilterForm(params or None)
    data = form.cleaned_data if form.is_valid() else {}
    # Team, owner, theme, period and sort: the lists' filter machinery (metrics.lists).
    more = AlertListFilter(
        params, access=access, queryset=alerts_filtered(access=access, user=user, data=data)
    )
    return form, data, more


def alerts_list(*, access: Access, user, params) -> QuerySet[Alert]:
    """The alerts the inbox shows for this query string, in its order (every page of it; not
    evaluated)."""
    return alert_list_filters(access=access, user=user, params=params)[2].qs


@login_required
def alert_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The alerts inbox: every alert the reader may see, ``ALERT_PAGE`` a page (``?page=``),
    the filters in the URL (a GET form; page links and bulk actions keep them)."""
    access = access_for(request.user)
    form, data, more = alert_list_filters(access=access, user=request.user, params=request.GET)
    qs = more.qs.select_related("owner", "team", "acknowledged_by", "resolved_by")
    # Django's paginator: one COUNT, then the page (an out-of-range or malformed ?page= shows
    # the nearest page).
    page = Paginator(qs, ALERT_PAGE).get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    alert_subject_links(alerts)
    alerts_render(alerts=alerts, access=access)
    for alert in alerts:
        alert.can_handle = access.can_handle_alert(alert)
    return render(
        request,
        "metrics/alert_list.html",
        {
            "alerts": alerts,
            "page": page,
            "total": page.paginator.count,
            "form": form,
            "more_form": more.form,
            "status": data.get("status") or "active",
            "grouped": not data.get("kind") and not data.get("parts"),
            "can_bulk": any(a.can_handle and a.status != Alert.Status.RESOLVED for a in alerts),
            "bulk_max": BULK_MAX,
        },
    )


BULK_ACTIONS = {
    "acknowledge": ("acknowledged", alerts_acknowledge),
    "resolve": ("resolved", alerts_resolve),
}


@login_required
@require_POST
def alert_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Acknowledge or resolve the alerts ticked in the inbox (``ids``, ``action``) through the
    alert services (``alerts_acknowledge`` / ``alerts_resolve``: guarded updates, one log event
    each), with the permission checked per alert. The reader is told how many changed and why
    the others did not (not theirs to handle, already done, or no longer visible); back to the
    inbox page they came from (``next``)."""
    access = access_for(request.user)
    action = request.POST.get("action", "")
    raw = request.POST.getlist("ids")
    ids = sorted({int(v) for v in raw if is_valid_id(v)})
    target = _next_or(request, reverse("metrics:alert-list"))
    if action not in BULK_ACTIONS:
        messages.error(request, "Choose Acknowledge or Resolve.")
        return HttpResponseRedirect(target)
    ticked = len(set(raw))
    if not ticked:
        messages.error(request, "Tick the alerts to change first.")
        return HttpResponseRedirect(target)
    if ticked > BULK_MAX:
        messages.error(request, f"At most {BULK_MAX} alerts at once; tick fewer.")
        return HttpResponseRedirect(target)
    verb, service = BULK_ACTIONS[action]
    alerts = list(_alerts_visible(access, request.user).filter(pk__in=ids).select_related("team"))
    allowed = [a.pk for a in alerts if access.can_handle_alert(a)]
    refused_teams = {
        a.team.name if a.team_id else "no team" for a in alerts if a.pk not in set(allowed)
    }
    refused = len(alerts) - len(allowed)
    done = len(service(alert_ids=allowed, by=request.user)) if allowed else 0
    unchanged = len(allowed) - done
    missing = ticked - len(alerts)
    if done:
        messages.success(request, f"{verb.capitalize()} {done} alert{pluralize(done)}.")
    if refused:
        messages.error(
            request,
            f"{refused} of the {ticked} alerts you ticked {pluralize(refused, 'was,were')} not "
            f"{verb}: you may handle only alerts you own or of teams you lead (here: "
            f"{', '.join(sorted(refused_teams))}); their owners, those teams' leaders and the "
            "strategy office can.",
        )
    if unchanged:
        messages.info(
            request,
            f"{unchanged} {pluralize(unchanged, 'was,were')} already "
            f"{'acknowledged or resolved' if action == 'acknowledge' else 'resolved'}.",
        )
    if missing:
        messages.error(
            request,
            f"{missing} of the alerts you ticked no longer exist or are not visible to you.",
        )
    return HttpResponseRedirect(target)


def _alert_for(access: Access, pk: int) -> Alert:
    """The alert if this person may see it (``Access.alert_filter``), else 404."""
    return get_object_or_404(
        Alert.objects.filter(access.alert_filter()).select_related(
            "owner", "team", "acknowledged_by", "resolved_by", "snoozed_by"
        ),
        pk=pk,
    )


def _alert_detail_render(
    request: AuthenticatedHttpRequest,
    alert: Alert,
    access: Access,
    *,
    note_form: AlertNoteForm | None = None,
    snooze_form: AlertSnoozeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    alert_subject_links([alert])
    alerts_render(alerts=[alert], access=access)
    alert.can_handle = access.can_handle_alert(alert)
    events = list(alert_events_visible(access=access, alert_ids=[alert.pk]))
    return render(
        request,
        "metrics/alert_detail.html",
        {
            "alert": alert,
            "events": events,
            "snoozed": alert.is_snoozed(),
            "note_form": note_form or AlertNoteForm(auto_id=NOTE_ID),
            "snooze_form": snooze_form or AlertSnoozeForm(auto_id=SNOOZE_ID),
        },
        status=status,
    )


@login_required
def alert_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One alert: why it fired, its state (acknowledged, snoozed: who, when, until when, why),
    its log, and the acknowledge / snooze / resolve forms for those who handle it."""
    access = access_for(request.user)
    return _alert_detail_render(request, _alert_for(access, pk), access)


def _alert_handled(request: AuthenticatedHttpRequest, pk: int) -> tuple[Access, Alert]:
    access = access_for(request.user)
    alert = _alert_for(access, pk)
    if not access.can_handle_alert(alert):
        raise PermissionDenied("Only the alert's owner and its team's leaders handle it.")
    return access, alert


def _alert_action(request: AuthenticatedHttpRequest, pk: int, action) -> HttpResponse:
    access, alert = _alert_handled(request, pk)
    form = AlertNoteForm(request.POST, auto_id=NOTE_ID)
    if not form.is_valid():
        return _alert_detail_render(request, alert, access, note_form=form, status=400)
    done = action(alert=alert, by=request.user, note=form.cleaned_data["note"])
    note = "" if done else "Someone else changed this alert first; here is its current state."
    if not done:
        alert.refresh_from_db()
    if request.htmx:
        alert_subject_links([alert])
        alerts_render(alerts=[alert], access=access)
        alert.can_handle = True
        return render(request, "metrics/_alert_row.html", {"alert": alert, "note": note})
    if note:
        messages.error(request, note)
    return HttpResponseRedirect(_next_or(request, reverse("metrics:alert-list")))


def _next_or(request: HttpRequest, default: str) -> str:
    # A path on this site only: redirect() would take any other string for a view name to
    # reverse (NoReverseMatch: a 500 for ?next=abc).
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return target


@login_required
@require_POST
def alert_ack(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Acknowledge the alert with a note (``alert_acknowledge``)."""
    return _alert_action(request, pk, alert_acknowledge)


@login_required
@require_POST
def alert_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Resolve the alert with a note (``alert_resolve``)."""
    return _alert_action(request, pk, alert_resolve)


@login_required
@require_POST
def alert_snooze_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Snooze until a day (it wakes at the start of that day, local time), with a note; a bad
    day (past, too far) is a form error on the alert's page, keeping what was typed."""
    access, alert = _alert_handled(request, pk)
    form = AlertSnoozeForm(request.POST, auto_id=SNOOZE_ID)
    if form.is_valid():
        day = form.cleaned_data["until"]
        until = timezone.make_aware(datetime.combine(day, time.min))
        try:
            done = alert_snooze(
                alert=alert, by=request.user, until=until, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if done:
                messages.success(request, f"Snoozed until {date_text(day)}.")
            else:
                messages.error(request, "This alert was resolved meanwhile.")
            return HttpResponseRedirect(_next_or(request, alert.get_absolute_url()))
    return _alert_detail_render(request, alert, access, snooze_form=form, status=400)
