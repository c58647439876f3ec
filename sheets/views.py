"""Pages: the plan import (upload, preview, apply), its templates, and the exports."""

from __future__ import annotations

import io
import secrets
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from metrics.views import kpi_get_for_user
from sheets import exports
from sheets.columns import SHEETS, SHEETS_BY_NAME
from sheets.forms import PlanUploadForm
from sheets.plan_import import plan_import, template_rows
from sheets.reading import FileUnreadable
from sheets.writing import csv_response, sheet_response, xlsx_response
from strategy.access import Access, access_for
from workspace.initiative_views import initiative_get_for_user

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest

# How long an uploaded file waits for its preview to be applied.
PENDING_SECONDS = 3600


def import_allowed(access: Access) -> bool:
    """Who may import: the strategy office and team leaders (each row then within their
    rights, ``strategy.access``)."""
    return access.is_office or access.is_leader_anywhere


# Marks a token whose preview was applied: (_APPLIED, file name) instead of (file name, bytes).
_APPLIED = "\x00applied"


def _pending_key(user_id: int | None, token: str) -> str:
    return f"sheets:pending:{user_id}:{token}"


@login_required
@require_http_methods(["GET", "POST"])
def plan_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a plan file and see the preview; apply it from the preview (the file waits in
    the cache under a token bound to the person, for ``PENDING_SECONDS``)."""
    access = access_for(request.user)
    if not import_allowed(access):
        raise PermissionDenied("Only the strategy office and team leaders import plans.")
    context: dict = {"sheets": SHEETS, "form": PlanUploadForm()}
    status = 200
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        valid = len(token) == 32 and all(c in "0123456789abcdef" for c in token)
        pending = cache.get(_pending_key(request.user.pk, token)) if valid else None
        if pending is None:
            messages.error(request, "That preview has expired: upload the file again.")
            return redirect("sheets:plan-import")
        if pending[0] == _APPLIED:
            messages.error(
                request,
                f"That preview of {pending[1]} was already applied: nothing was imported again.",
            )
            return redirect("sheets:plan-import")
        name, data = pending
        report = plan_import(stream=io.BytesIO(data), filename=name, user=request.user, apply=True)
        if report.changed_since_preview:
            # Someone else changed the plan since the preview: nothing was written; the file is
            # previewed again against the plan as it is now, and that preview may be applied.
            messages.error(request, report.errors[0].message)
            cache.delete(_pending_key(request.user.pk, token))
            report = plan_import(
                stream=io.BytesIO(data), filename=name, user=request.user, apply=False
            )
            context["report"] = report
            if report.ok and report.changes:
                context["token"] = _pending_keep(request.user.pk, name, data)
            return render(request, "sheets/plan_import.html", context, status=409)
        if report.applied:
            # The token stays known as spent (not deleted), so applying it again says so.
            cache.set(_pending_key(request.user.pk, token), (_APPLIED, name), PENDING_SECONDS)
            changed = ", ".join(
                f"{s.sheet}: {s.created} created, {s.updated} updated" for s in report.sheets
            )
            messages.success(request, f"Imported {name} ({changed}).")
            return redirect("sheets:plan-import")
        context.update(report=report, token=token)
        status = 400
    elif request.method == "POST":
        form = PlanUploadForm(request.POST, request.FILES)
        context["form"] = form
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                report = plan_import(
                    stream=io.BytesIO(data), filename=upload.name, user=request.user, apply=False
                )
            except FileUnreadable as error:
                form.add_error("file", str(error))
            else:
                status = 200
                context["report"] = report
                if report.ok and report.changes:
                    context["token"] = _pending_keep(request.user.pk, upload.name, data)
    return render(request, "sheets/plan_import.html", context, status=status)


def _pending_keep(user_id: int | None, name: str, data: bytes) -> str:
    """Keep an uploaded file for the apply of its preview; its token."""
    token = secrets.token_hex(16)
    cache.set(_pending_key(user_id, token), (name, data), PENDING_SECONDS)
    return token


@login_required
@require_GET
def plan_template(request: HttpRequest, fmt: str, sheet: str | None = None) -> HttpResponse:
    """The template: a workbook of every sheet (header and example row) with a sheet that
    explains the columns, or one sheet as CSV."""
    if fmt == "csv":
        chosen = SHEETS_BY_NAME.get(sheet or "")
        if chosen is None:
            raise Http404("No such sheet.")
        header, example = template_rows(chosen)
        return csv_response(filename=f"{chosen.name}-template", headers=header, rows=[example])
    about = [
        [s.title, c.name, "yes" if c.required else "no", c.help, c.example]
        for s in SHEETS
        for c in s.columns
        if not c.export_only
    ]
    templates = [(s.title, template_rows(s)) for s in SHEETS]
    return xlsx_response(
        filename="plan-template",
        sheets=[(title, header, [example]) for title, (header, example) in templates]
        + [("About", ["sheet", "column", "required", "meaning", "example"], about)],
    )


@login_required
@require_GET
def plan_export(request: HttpRequest) -> HttpResponse:
    """Everything of the plan the reader may see, as the import's workbook."""
    access = access_for(request.user)
    if not access.sees_anything:
        raise PermissionDenied("You have no role in any team yet.")
    return xlsx_response(
        filename="plan",
        sheets=[
            (sheet.title, sheet.headers, rows) for sheet, rows in exports.plan_export(access=access)
        ],
    )


def _export(fmt: str, filename: str, sheet, rows) -> HttpResponse:
    return sheet_response(fmt=fmt, filename=filename, sheet=sheet, rows=rows)


@login_required
@require_GET
def kpi_measurements_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """A KPI's measurements (the data tab of its page), CSV or XLSX; 404 if not visible."""
    access = access_for(request.user)
    kpi = kpi_get_for_user(access=access, key=key)
    sheet, rows = exports.export_rows("measurement", queryset=kpi.measurements.all(), access=access)
    return _export(fmt, f"{kpi.key}-measurements", sheet, rows)


# The page shows the newest 200 versions; the export, all of them.
EVERY_VERSION = exports.EVERY_VERSION


@login_required
@require_GET
def history_export(request: HttpRequest, kind: str, pk: int, fmt: str) -> HttpResponse:
    """An object's history (its History tab), CSV or XLSX, as its reader sees it; 404 if not
    visible (``activity.history.history_for``)."""
    from activity.history import history_for

    history = history_for(kind=kind, pk=pk, access=access_for(request.user), limit=EVERY_VERSION)
    sheet, rows = exports.history_export(history=history)
    return _export(fmt, f"{kind}-{pk}-history", sheet, rows)


# An initiative's data tabs: kind of export -> (related manager, file name's ending).
INITIATIVE_TABS = {"checkin": ("checkins", "checkins"), "spend": ("spend_entries", "spend")}


@login_required
@require_GET
def initiative_tab_export(request: HttpRequest, pk: int, tab: str, fmt: str) -> HttpResponse:
    """An initiative's check-ins or spend entries (``tab``), CSV or XLSX; 404 if not visible."""
    access = access_for(request.user)
    initiative = initiative_get_for_user(access=access, pk=pk)
    related, ending = INITIATIVE_TABS[tab]
    queryset = getattr(initiative, related).all()
    sheet, rows = exports.export_rows(tab, queryset=queryset, access=access)
    return _export(fmt, f"{initiative.key}-{ending}", sheet, rows)


def _objectives(access: Access, user, params):
    from metrics.lists import objectives_list

    return objectives_list(access=access, params=params)


def _initiatives(access: Access, user, params):
    from metrics.lists import initiatives_list

    return initiatives_list(access=access, params=params)


def _kpis(access: Access, user, params):
    from metrics.lists import kpis_list

    return kpis_list(access=access, params=params)


def _alerts(access: Access, user, params):
    from metrics.views import alerts_list

    return alerts_list(access=access, user=user, params=params)


# A list page -> (its kind of export, its selector ``(access, user, params) -> queryset``): the
# page's own selector, so the file holds what the page's filters show.
LISTS = {
    "objectives": ("objective", _objectives),
    "initiatives": ("initiative", _initiatives),
    "kpis": ("kpi", _kpis),
    "alerts": ("alert", _alerts),
}


@login_required
@require_GET
def list_export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """What a list page shows with its filters and sort (the page's own selectors:
    ``metrics.lists``, ``metrics.views.alerts_list``; same query string), every page of it, as
    CSV or XLSX."""
    access = access_for(request.user)
    if not access.sees_anything:
        raise PermissionDenied("You have no role in any team yet.")
    params = request.GET.copy()
    params.pop("page", None)
    export, selector = LISTS[kind]
    queryset = selector(access, request.user, params)
    sheet, rows = exports.export_rows(export, queryset=queryset, access=access)
    if fmt != "xlsx" or export not in exports.HISTORY_KINDS:
        return _export(fmt, kind, sheet, rows)
    # History is exported with the objects: a second sheet (the CSV's is list_history_export).
    history, history_rows = exports.objects_history_export(export, queryset=queryset, access=access)
    return xlsx_response(
        filename=kind,
        sheets=[
            (sheet.title, sheet.headers, rows),
            (history.title, history.headers, history_rows),
        ],
    )


# The lists whose objects have a history: a CSV holds one sheet, so theirs is a second file.
HISTORY_LISTS = [kind for kind, (export, _) in LISTS.items() if export in exports.HISTORY_KINDS]


@login_required
@require_GET
def list_history_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The history of what a list page shows with its filters (the objects of ``list_export``,
    same query string), as CSV: the History sheet of the list's Excel export, which a CSV file
    cannot hold next to the list."""
    access = access_for(request.user)
    if not access.sees_anything:
        raise PermissionDenied("You have no role in any team yet.")
    params = request.GET.copy()
    params.pop("page", None)
    export, selector = LISTS[kind]
    queryset = selector(access, request.user, params)
    sheet, rows = exports.objects_history_export(export, queryset=queryset, access=access)
    return _export("csv", f"{kind}-history", sheet, rows)
