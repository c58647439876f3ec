"""Pages of the support app: the assessments, a report (printable, PDF), its notes and freeze,
a support measure added from a barrier, and the support plan with its tracking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from execsupport.pdf import PdfUnavailable, html_to_pdf, pdf_response, pdf_unavailable_response
from execsupport.validation import form_error_add
from initiatives.models import Initiative
from strategy.access import access_for
from strategy.selectors import strategy_current
from support import selectors, services
from support.forms import ReportForm, ReportNotesForm, SupportMeasureForm
from support.models import AssessmentReport
from support.report import report_read

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest

MANAGERS_ONLY = "Only team leaders and the strategy office write assessments."


def _seeing(request: HttpRequest):
    access = access_for(request.user)
    if not access.sees_anything:
        raise PermissionDenied("You have no role in any team yet.")
    return access


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The assessments (newest period first) and, for leaders and the office, a new one."""
    access = _seeing(request)
    strategy = strategy_current()
    form = None
    if access.is_leader_anywhere and strategy is not None:
        form = ReportForm(request.POST or None, initial={"title": f"Assessment: {strategy.name}"})
        if request.method == "POST" and form.is_valid():
            try:
                report = services.report_create(
                    strategy=strategy,
                    period=form.cleaned_data["period"],
                    title=form.cleaned_data["title"],
                    by=request.user,
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                return redirect(report)
    elif request.method == "POST":
        raise PermissionDenied(MANAGERS_ONLY)
    reports = selectors.reports_visible(access=access).select_related("strategy", "period")
    return render(
        request,
        "support/report_list.html",
        {"reports": reports, "form": form, "strategy": strategy},
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


def _report_context(request: HttpRequest, pk: int, *, printing: bool = False) -> dict:
    access = _seeing(request)
    report = selectors.report_get_for_user(access=access, pk=pk)
    today = timezone.localdate()
    data = selectors.report_data(report, today=today)
    barriers = (
        selectors.barriers_with_measures(report=report, access=access) if report.is_frozen else None
    )
    view = report_read(data=data, access=access, strategy=report.strategy, barriers=barriers)
    return {
        "report": report,
        "view": view,
        "changes": selectors.changes_since(report=report, data=data, access=access),
        "may_write": access.is_leader_anywhere,
        "notes_form": ReportNotesForm(instance=report),
        "printing": printing,
    }


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The report: what changed since the last one, the performance gap, feedback,
    calibration, the capability map, the notes and the ranked barriers. Printable."""
    return render(request, "support/report.html", _report_context(request, pk))


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as a PDF (``execsupport.pdf``), from the same template as the page (print
    media); a 503 that says why when WeasyPrint is not available here."""
    context = _report_context(request, pk, printing=True)
    html = render_to_string("support/report.html", context, request=request)
    try:
        content = html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    except PdfUnavailable as exc:
        return pdf_unavailable_response(exc)
    return pdf_response(content, filename=f"assessment-{context['report'].pk}.pdf")


@login_required
@require_POST
def report_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the customer-input and market-trend notes of a draft (leaders, the office)."""
    access = _seeing(request)
    report = selectors.report_get_for_user(access=access, pk=pk)
    if not access.is_leader_anywhere:
        raise PermissionDenied(MANAGERS_ONLY)
    form = ReportNotesForm(request.POST, instance=report)
    if form.is_valid():
        try:
            services.report_notes_save(
                report=report,
                customer_input=form.cleaned_data["customer_input"],
                market_trends=form.cleaned_data["market_trends"],
            )
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, "Notes saved.")
            return redirect(report)
    context = _report_context(request, pk)
    context["notes_form"] = form
    return render(request, "support/report.html", context, status=400)


@login_required
@require_POST
def report_freeze(request: HttpRequest, pk: int) -> HttpResponse:
    """Freeze the report: store what it shows and its ranked barriers (leaders, the office)."""
    access = _seeing(request)
    report = selectors.report_get_for_user(access=access, pk=pk)
    if not access.is_leader_anywhere:
        raise PermissionDenied(MANAGERS_ONLY)
    try:
        services.report_freeze(report=report, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The report is frozen; its barriers can now get support.")
    return redirect(report)


@login_required
def measure_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a support measure (an initiative of the support kind) tackling barrier ``pk``:
    leaders, for the teams they lead."""
    access = _seeing(request)
    barrier = selectors.barrier_get_for_user(access=access, pk=pk)
    if not access.is_leader_anywhere:
        raise PermissionDenied("Only team leaders add support measures.")
    initiative = Initiative(owner=request.user, kind=Initiative.Kind.SUPPORT)
    form = SupportMeasureForm(
        request.POST or None, instance=initiative, access=access, barrier=barrier
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                with transaction.atomic():
                    measure = services.support_measure_create(
                        barrier=barrier,
                        initiative=form.save(commit=False),
                        by=request.user,
                        **form.measure_fields(),
                    )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                messages.success(request, f"Added the support measure “{measure.initiative}”.")
                return redirect("support:plan")
    return render(
        request, "support/measure_form.html", {"form": form, "barrier": barrier}, status=status
    )


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    """The support plan: every measure with its owner, test, adoption and the movement of its
    targeted figures, test teams against the others (before/after, not causal)."""
    access = _seeing(request)
    strategy = strategy_current()
    measures = (
        selectors.plan_read(access=access, strategy=strategy, today=timezone.localdate())
        if strategy is not None
        else []
    )
    latest = (
        selectors.reports_visible(access=access)
        .filter(strategy=strategy, status=AssessmentReport.Status.FROZEN)
        .order_by("-as_of", "-id")
        .first()
        if strategy is not None
        else None
    )
    return render(
        request,
        "support/plan.html",
        {"measures": measures, "strategy": strategy, "latest": latest},
    )
