from __future__ import annotations

from django.contrib.auth.decorators import login_required
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
    """Each dependency's state as JSON (``execsupport.health``): 200 while the app can serve
    (database reachable, even with the broker or the cache down: ``"status": "degraded"``),
    503 when the database is unreachable. Never cached."""
    from execsupport.health import dependencies_health

    report, serving = dependencies_health()
    response = JsonResponse(report, status=200 if serving else 503)
    response["Cache-Control"] = "no-store"
    return response
