from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from execsupport.validation import form_error_add
from metrics.explain import page_explain
from metrics.models import Alert, SubjectType
from metrics.selectors import latest_scores_by_type, measurement_sparklines
from strategy.access import access_for
from strategy.forms import HandOverForm, ObjectiveForm, OverviewFilterForm
from strategy.models import HandOver, Objective, VersionConflict
from strategy.people_services import person_hand_over
from strategy.selectors import objective_ancestors, strategy_current
from strategy.services import objective_save
from workspace import charts
from workspace.overview import overview_build, overview_data_version

if TYPE_CHECKING:
    from execsupport.requests import AuthenticatedHttpRequest

OVERVIEW_CACHE_SECONDS = 300


def _overview_context(request: HttpRequest) -> dict:
    access = access_for(request.user)
    today = timezone.localdate()
    form = OverviewFilterForm(request.GET or None)
    data = overview_build(access=access, filters=form.to_filters(today), today=today)
    return {
        "data": data,
        "form": form,
        "filters": data.filters,
        "today": today,
        "currency": settings.CURRENCY,
        "trend_chart": charts.health_trend(trend=data.trend),
        "theme_chart": charts.score_bars(
            rows=[(t.name, data.theme_scores.get(t.pk)) for t in data.themes], title="Themes"
        ),
        "team_chart": charts.score_bars(
            rows=[
                (t.name, data.team_scores.get(t.pk)) for t in data.teams if t.pk in data.team_scores
            ],
            title="Teams",
        ),
        "allocation_chart": charts.allocation(by_theme=data.by_theme, currency=settings.CURRENCY),
    }


def _overview_page(request: HttpRequest, name: str, title: str) -> HttpResponse:
    """Render the overview (or the review) body, reusing it while nothing it shows changed.

    The body depends only on what the person may see, the filters, the day and the data; it
    carries no per-person control or token. So it is cached under a key made of exactly
    those, the data part being ``overview_data_version()`` (one cheap query): a new score,
    check-in, alert or edit gives a new key at once, and the time limit bounds the rest.
    """
    access = access_for(request.user)
    if not access.sees_anything:
        return render(request, "no_access.html", status=403)
    today = timezone.localdate()
    sees = "all" if access.visible_team_ids is None else sorted(access.visible_team_ids)
    fingerprint = f"{name}|{sees}|{request.GET.urlencode()}|{today}|{overview_data_version()}"
    key = "overview:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    main = cache.get(key)
    if main is None:
        main = render_to_string(
            f"strategy/_{name}_main.html", _overview_context(request), request=request
        )
        cache.set(key, main, OVERVIEW_CACHE_SECONDS)
    return render(
        request,
        "strategy/overview_page.html",
        {
            "main": main,
            "title": title,
            "can_manage": name == "overview" and access.can_manage_strategy(),
        },
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The execution overview (``workspace.overview``), its body cached while nothing it shows
    changes."""
    return _overview_page(request, "overview", "Execution overview")


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """The overview laid out for print (leadership meetings)."""
    return _overview_page(request, "review", "Execution review")


def objective_get_for_user(*, access, pk: int) -> Objective:
    """The objective if this person may see it, else 404 (its existence is not disclosed)."""
    return get_object_or_404(
        access.scope(
            Objective.objects.select_related("theme", "team", "owner", "period", "strategy")
        ),
        pk=pk,
    )


@login_required
def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An objective's page (404 unless the reader may see it): its parent chain, the children,
    initiatives and active KPIs the reader may see with their latest scores, and its open alerts."""
    access = access_for(request.user)
    objective = objective_get_for_user(access=access, pk=pk)
    ancestors = list(objective_ancestors(objective=objective).only("id", "title", "parent_id"))
    by_id: dict[int | None, Objective] = {o.pk: o for o in ancestors}
    chain: list[Objective] = []
    cursor = by_id.get(objective.parent_id)
    while cursor is not None and len(chain) <= len(ancestors):
        chain.append(cursor)
        cursor = by_id.get(cursor.parent_id)
    children = list(
        access.scope(objective.children.select_related("team", "owner")).order_by("title")
    )
    initiatives = list(
        access.scope(objective.initiatives.select_related("owner", "team")).order_by(
            "due_date", "title"
        )
    )
    kpis = list(
        access.scope(objective.kpis.filter(is_active=True).select_related("owner")).order_by("name")
    )
    # One query for every score on the page.
    scores = latest_scores_by_type(
        objective=[objective.pk] + [c.pk for c in children],
        initiative=[i.pk for i in initiatives],
        kpi=[k.pk for k in kpis],
    )
    objective.latest_score = scores[SubjectType.OBJECTIVE].get(objective.pk)
    for rows, kind in (
        (children, SubjectType.OBJECTIVE),
        (initiatives, SubjectType.INITIATIVE),
        (kpis, SubjectType.KPI),
    ):
        for row in rows:
            row.latest_score = scores[kind].get(row.pk)
    measurement_sparklines(kpis=kpis)
    alerts = list(
        Alert.objects.filter(
            subject_type=SubjectType.OBJECTIVE,
            subject_id=objective.pk,
            status__in=Alert.ACTIVE_STATUSES,
        ).select_related("owner")
    )
    return render(
        request,
        "strategy/objective_detail.html",
        {
            "objective": objective,
            "chain": list(reversed(chain)),
            "children": children,
            "initiatives": initiatives,
            "kpis": kpis,
            "alerts": alerts,
            "can_edit": access.can_edit_objective(objective),
            "score": objective.latest_score,
            "explained": page_explain(access=access, score=objective.latest_score, alerts=alerts),
        },
    )


@login_required
def objective_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None, for team leaders) or change (leaders of its team) an objective through
    ``objective_save``; 409 with the form when someone else saved it meanwhile."""
    access = access_for(request.user)
    if pk is None:
        strategy = strategy_current()
        if strategy is None:
            raise Http404("There is no strategy to add objectives to yet.")
        objective = Objective(strategy=strategy, owner=request.user)
        if not (access.is_office or any(access.leads(t) for t in access.roles)):
            raise PermissionDenied("Only team leaders add objectives.")
    else:
        objective = objective_get_for_user(access=access, pk=pk)
        strategy = objective.strategy
        if not access.can_edit_objective(objective):
            raise PermissionDenied("Only the leaders of this objective's team can change it.")
    form = ObjectiveForm(request.POST or None, instance=objective, access=access, strategy=strategy)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            objective = objective_save(
                objective=form.save(commit=False),
                version=form.expected_version,
                by=request.user,
            )
        except VersionConflict as conflict:
            form.version_conflict(conflict)
            status = 409
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, f"Saved “{objective.title}”.")
            return redirect(objective)
    return render(
        request,
        "strategy/objective_form.html",
        {"form": form, "objective": objective},
        status=status,
    )


@login_required
def person_hand_over_page(request: HttpRequest) -> HttpResponse:
    """The strategy office hands a leaving person's objectives, initiatives and KPIs over to
    someone else (``strategy.people_services.person_hand_over``); the last hand-overs are listed."""
    access = access_for(request.user)
    if not access.is_office:
        raise PermissionDenied("Only the strategy office hands work over.")
    form = HandOverForm(request.POST or None, access=access)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                done = person_hand_over(
                    leaving=form.cleaned_data["leaving"],
                    successor=form.cleaned_data["successor"],
                    by=request.user,
                )
            except ValidationError as error:
                form_error_add(form, error)
            else:
                messages.success(
                    request,
                    f"Handed over to {done.successor.get_full_name() or done.successor}: "
                    f"{done.objectives} objective(s), {done.initiatives} initiative(s), "
                    f"{done.kpis} KPI(s), {done.alerts} alert(s).",
                )
                return redirect("strategy:person-hand-over")
    recent = HandOver.objects.select_related("leaving", "successor", "done_by")[:20]
    return render(
        request, "strategy/hand_over.html", {"form": form, "recent": recent}, status=status
    )


@login_required
def people_choose(request: HttpRequest) -> JsonResponse:
    """``{"people": [{"id", "name"}], "more": bool}``: the people the reader may choose whose
    names start with the words of ``?q=`` (``strategy.people.people_found``), for the person
    pickers' search box (static/js/forms.js). Nobody for someone with no role."""
    from strategy.people import PEOPLE_FOUND_MAX, people_found

    access = access_for(request.user)
    q = request.GET.get("q", "")[:100].replace("\x00", "")
    found = people_found(access=access, q=q, limit=PEOPLE_FOUND_MAX + 1)
    return JsonResponse({"people": found[:PEOPLE_FOUND_MAX], "more": len(found) > PEOPLE_FOUND_MAX})
