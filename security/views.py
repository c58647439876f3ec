"""The security log page and its CSV export (strategy office only)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import orjson
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from execsupport.api import csv_cell_safe
from security.forms import SecurityEventFilterForm
from security.selectors import security_events_filtered
from strategy.access import access_for

PAGE_SIZE = 50
CSV_COLUMNS = [
    "at",
    "kind",
    "actor",
    "subject",
    "ip",
    "request_id",
    "user_agent",
    "count",
    "last_at",
    "details",
]
EXPORT_CHUNK = 2000


def _office_only(request: HttpRequest) -> None:
    if not access_for(request.user).is_office:
        raise PermissionDenied("Only the strategy office reads the security log.")


@login_required
def security_event_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Events newest first, 50 a page, filtered by kind, person and days; ``?format=csv``
    exports every event the filters select."""
    _office_only(request)
    form = SecurityEventFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "security/event_list.html", {"form": form, "page": None}, status=400)
    events = security_events_filtered(**form.filters())
    if request.GET.get("format") == "csv":
        return _export(events)
    page = Paginator(events.select_related(None), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "security/event_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _rows(events) -> Iterator[str]:
    """CSV lines, UTF-8 with a byte-order mark (spreadsheets then read the accents right);
    every cell made formula-safe (``execsupport.api.csv_cell_safe``)."""

    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        cells = [
            event.at.isoformat(),
            event.kind,
            event.actor_name,
            event.subject_name,
            event.ip,
            event.request_id,
            event.user_agent,
            event.count,
            event.last_at.isoformat() if event.last_at else "",
            orjson.dumps(event.details, option=orjson.OPT_SORT_KEYS).decode(),
        ]
        yield writer.writerow([csv_cell_safe(cell) for cell in cells])


def _export(events) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in _rows(events)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="security-log-{stamp}.csv"'
    return response
