"""Browse pages: the lists of objectives, initiatives and KPIs (filters in the URL, sortable
columns, pages and counts) and the search across the plan and its people.

The rows come from ``metrics.lists`` and ``workspace.search`` (selectors, scoped by
``strategy.access``); a reader with no role sees the "no access" page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from metrics.lists import (
    HEALTH_CHOICES,
    initiatives_filter,
    kpis_filter,
    objectives_filter,
)
from metrics.models import GapScore, SubjectType
from metrics.selectors import attach_latest_scores
from strategy.access import Access, access_for
from strategy.selectors import strategy_current
from workspace.search import SEARCH_LIMIT, search_everything

LIST_PAGE = 50


def _list_page(
    request: HttpRequest,
    *,
    access: Access,
    filterset,
    subject_type: str,
    template: str,
    context: dict,
) -> HttpResponse:
    """One page of a browse list: the count, the page's rows with their latest scores (one
    query), the health counts of what the other filters leave (one query)."""
    page = Paginator(filterset.qs, LIST_PAGE).get_page(request.GET.get("page"))
    rows = attach_latest_scores(page.object_list, subject_type=subject_type)
    counts = filterset.health_counts()
    health = [(value, label, counts.get(value, 0)) for value, label in HEALTH_CHOICES]
    return render(
        request,
        template,
        {
            "filter": filterset,
            "form": filterset.form,
            "page": page,
            "rows": rows,
            "total": page.paginator.count,
            "health_counts": health,
            "chosen_health": filterset.form.cleaned_data.get("health")
            if filterset.form.is_valid()
            else None,
            "filtered": any(k != "page" for k in request.GET),
            **context,
        },
    )


def _no_access(request: HttpRequest) -> HttpResponse:
    return render(request, "no_access.html", status=403)


@dataclass(frozen=True)
class BrowseList:
    """One browse list: its filter set for the reader and query string, the subject type of its
    scores, its template, and who sees its "New" button."""

    filterset: Callable[..., Any]
    subject_type: str
    template: str
    can_create: Callable[[Access], bool]


BROWSE_LISTS = {
    "objectives": BrowseList(
        objectives_filter,
        SubjectType.OBJECTIVE,
        "strategy/objective_list.html",
        # Adding an objective needs a current strategy and a team to lead (objective_edit's).
        lambda access: access.is_leader_anywhere and strategy_current() is not None,
    ),
    "initiatives": BrowseList(
        initiatives_filter,
        SubjectType.INITIATIVE,
        "strategy/initiative_list.html",
        lambda access: access.is_leader_anywhere,
    ),
    "kpis": BrowseList(
        kpis_filter,
        SubjectType.KPI,
        "strategy/kpi_list.html",
        lambda access: access.is_leader_anywhere,
    ),
}


def _browse(request: HttpRequest, name: str) -> HttpResponse:
    """The browse list ``BROWSE_LISTS[name]`` for the reader: "no access" without a role."""
    access = access_for(request.user)
    if not access.sees_anything:
        return _no_access(request)
    browse = BROWSE_LISTS[name]
    return _list_page(
        request,
        access=access,
        filterset=browse.filterset(access=access, params=request.GET),
        subject_type=browse.subject_type,
        template=browse.template,
        context={"can_create": browse.can_create(access)},
    )


@login_required
def objective_list(request: HttpRequest) -> HttpResponse:
    """Every objective the reader may see, filtered, sorted and paged from the query string."""
    return _browse(request, "objectives")


@login_required
def initiative_list(request: HttpRequest) -> HttpResponse:
    """Every initiative the reader may see, filtered, sorted and paged from the query string."""
    return _browse(request, "initiatives")


@login_required
def kpi_list(request: HttpRequest) -> HttpResponse:
    """Every KPI the reader may see, filtered, sorted and paged from the query string."""
    return _browse(request, "kpis")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Objectives, initiatives, KPIs and people matching the words of ``?q=``."""
    access = access_for(request.user)
    if not access.sees_anything:
        return _no_access(request)
    query = (request.GET.get("q") or "").strip()[:200]
    results = search_everything(access=access, query=query) if query else None
    return render(
        request,
        "strategy/search.html",
        {"query": query, "results": results, "limit": SEARCH_LIMIT, "statuses": GapScore.Status},
    )
