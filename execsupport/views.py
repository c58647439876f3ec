from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person where they work: leaders and the strategy office to the overview,
    members and viewers to their own work."""
    from strategy.access import access_for

    if access_for(request.user).is_leader_anywhere:
        return redirect("strategy:overview")
    return redirect("initiatives:my-work")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
