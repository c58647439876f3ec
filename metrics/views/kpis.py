"""The pages of KPIs: a KPI (its score, forecast, chart and history), a measurement recorded,
the KPI's form, and the proposal of a key for a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from execsupport.validation import is_valid_id
from initiatives.models import Initiative
from metrics import charts
from metrics.explain import page_explain
from metrics.forms import (
    KPIForm,
    MeasurementForm,
)
from metrics.models import KPI, Alert, SubjectType
from metrics.scoring.forecast import forecast_display
from metrics.selectors import (
    kpi_key_propose,
    latest_scores,
)
from metrics.services import (
    ImplausibleMeasurement,
    kpi_plan,
    kpi_save,
    measurement_record,
)
from strategy.access import Access, access_for
from strategy.models import Objective, VersionConflict
from strategy.quantities import date_text

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest


TABLE_ROWS = 200


def kpi_get_for_user(*, access: Access, key: str) -> KPI:
    """The KPI if this person may see it, else 404 (its existence is not disclosed)."""
    return get_object_or_404(
        access.scope(KPI.objects.select_related("owner", "team", "objective", "initiative")),
        key=key,
    )


def _thresholds() -> tuple[float, float]:
    return (
        float(getattr(settings, "GAP_ON_TRACK_ATTAINMENT", 0.9)),
        float(getattr(settings, "GAP_OFF_TRACK_ATTAINMENT", 0.7)),
    )


@login_required
def kpi_by_id(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Score explanations name KPIs by id; their pages live at their stable key."""
    access = access_for(request.user)
    kpi = get_object_or_404(access.scope(KPI.objects.only("key", "team_id")), pk=pk)
    return redirect(kpi)


@login_required
def kpi_detail(
    request: AuthenticatedHttpRequest, key: str, form: MeasurementForm | None = None
) -> HttpResponse:
    """The KPI page: its score, chart, measurements, plan revisions and active alerts; ``form`` is
    a rejected measurement form (then 400)."""
    access = access_for(request.user)
    kpi = kpi_get_for_user(access=access, key=key)
    today = timezone.localdate()
    measurements = list(kpi.measurements.select_related("entered_by").order_by("as_of"))
    trajectory = list(kpi.trajectory.order_by("date").values_list("date", "value"))
    revisions = list(kpi.target_revisions.select_related("changed_by").order_by("-changed_at"))
    alerts = list(
        Alert.objects.filter(
            subject_type=SubjectType.KPI, subject_id=kpi.pk, status__in=Alert.ACTIVE_STATUSES
        ).select_related("owner")
    )
    score = latest_scores(subject_type=SubjectType.KPI, subject_ids=[kpi.pk]).get(kpi.pk)
    # values the data-quality test calls implausible jumps are marked in the table
    flagged = set((score.data_quality or {}).get("outliers") or []) if score else set()
    for m in measurements:
        m.implausible = m.as_of.isoformat() in flagged
    on_track, off_track = _thresholds()
    can_record = access.can_record_measurement(kpi)
    if can_record and form is None:
        form = MeasurementForm(initial={"as_of": today})
    return render(
        request,
        "metrics/kpi_detail.html",
        {
            "kpi": kpi,
            "score": score,
            "explained": page_explain(access=access, score=score, alerts=alerts),
            "forecast": score.forecast if score else None,
            "forecast_text": forecast_display(score.forecast if score else None),
            "quality": score.data_quality if score else None,
            "measurements": list(reversed(measurements))[:TABLE_ROWS],
            "measurement_count": len(measurements),
            "table_rows": TABLE_ROWS,
            "revisions": revisions,
            "alerts": alerts,
            "can_edit": access.can_edit_kpi(kpi),
            "can_record": can_record,
            "form": form if can_record else None,
            "chart": charts.kpi_chart(
                kpi=kpi,
                measurements=[(m.as_of, m.value) for m in measurements],
                trajectory=trajectory,
                forecast=score.forecast if score else None,
                on_track=on_track,
                off_track=off_track,
                today=today,
            ),
        },
        status=400 if form is not None and form.is_bound else 200,
    )


@login_required
@require_POST
def measurement_new(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    """Record a measurement of the KPI (its owner and team leaders; else 403); an implausible value
    is only written once confirmed."""
    access = access_for(request.user)
    kpi = kpi_get_for_user(access=access, key=key)
    if not access.can_record_measurement(kpi):
        raise PermissionDenied("Only the KPI's owner and its team's leaders record measurements.")
    form = MeasurementForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        confirmed = data.pop("confirm")
        try:
            measurement, created = measurement_record(
                kpi=kpi, entered_by=request.user, confirmed=confirmed, **data
            )
        except ImplausibleMeasurement as error:
            # Nothing written: the form keeps what was typed and asks for the confirmation.
            form.ask_confirm = True
            form.add_error("value", error.messages)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            verb = "recorded" if created else "updated (the previous value is kept in its history)"
            flag = (
                " It is flagged as implausible in the KPI's data quality."
                if measurement.implausible is not None
                else ""
            )
            messages.success(request, f"Measurement of {date_text(data['as_of'])} {verb}.{flag}")
            return redirect(kpi)
    return kpi_detail(request, key, form=form)


@login_required
def kpi_edit(request: AuthenticatedHttpRequest, key: str | None = None) -> HttpResponse:
    """Edit a KPI, or (without ``key``) define one for ``?objective=`` or ``?initiative=``."""
    access = access_for(request.user)
    initial = {}
    if key is None:
        if not access.is_leader_anywhere:
            raise PermissionDenied("Only team leaders define KPIs.")
        kpi, previous_plan = KPI(owner=request.user), None
        for name, model in (("objective", Objective), ("initiative", Initiative)):
            value = request.GET.get(name) or ""
            subject = (
                access.scope(model.objects.all()).filter(pk=value).first()
                if is_valid_id(value)
                else None
            )
            if subject is not None:
                initial = {name: subject.pk, "team": subject.team_id}
    else:
        kpi = kpi_get_for_user(access=access, key=key)
        if not access.can_edit_kpi(kpi):
            raise PermissionDenied("Only the leaders of this KPI's team can change it.")
        previous_plan = kpi_plan(kpi=kpi)
    form = KPIForm(request.POST or None, instance=kpi, access=access, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            kpi = kpi_save(
                kpi=form.save(commit=False),
                changed_by=request.user,
                reason=form.cleaned_data["reason"],
                previous_plan=previous_plan,
                version=form.expected_version,
            )
        except VersionConflict as conflict:
            form.version_conflict(conflict)
            status = 409
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Saved “{kpi.name}”.")
            return redirect(kpi)
    return render(request, "metrics/kpi_form.html", {"form": form, "kpi": kpi}, status=status)


@login_required
def kpi_key_proposal(request: AuthenticatedHttpRequest) -> JsonResponse:
    """``{"key": ...}``: the key proposed for a new KPI named ``?name=`` (``kpi_key_propose``),
    for the KPI form's script. For those who may define KPIs (leaders, the office)."""
    if not access_for(request.user).is_leader_anywhere:
        raise PermissionDenied("Only team leaders define KPIs.")
    name = request.GET.get("name", "")[:160].replace("\x00", "")
    return JsonResponse({"key": kpi_key_propose(name=name)})
