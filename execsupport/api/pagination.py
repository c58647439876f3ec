"""Pagination: numbered pages with a known count, and cursors."""

from __future__ import annotations

from functools import partial

from django.core.paginator import Paginator
from rest_framework import (
    pagination,
)
from typing_extensions import override


class KnownCountPaginator(Paginator):
    """A paginator told the number of rows, which it would otherwise count with a query."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = count  # replaces the cached property, so no COUNT query runs


class PagePagination(pagination.PageNumberPagination):
    """The API's page-number pagination: ``page_size`` up to 500; no COUNT query when the view
    already counted (``list_count``)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    @override
    def paginate_queryset(self, queryset, request, view=None):
        count = getattr(view, "list_count", None)
        if count is not None:
            self.django_paginator_class = partial(KnownCountPaginator, count=count)  # type: ignore[assignment]  # DRF only calls it
        return super().paginate_queryset(queryset, request, view)


class CursorPagination(pagination.CursorPagination):
    """Stable under inserts: used for measurements and score history, which only grow."""

    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"
