"""Base classes of the API's viewsets, scoped by what a person may see.

Every queryset is scoped with ``strategy.access`` (what this person may see) before any
lookup, so another team's private object is a plain 404, exactly like one that does not exist.
Writes go through a service (``save`` / ``delete`` hooks) after the object rule of the view
(``may_write``, which asks ``strategy.access``) accepted the new state. Latest gap scores are
attached in one query (``metrics.selectors``; flat lists: ``execsupport.rows`` given
``GapScore``). They live here, not in ``execsupport`` (the ground, which imports no app),
because they ask ``strategy.access`` and metrics' scores; metrics is the top of the core, so
every app's API may import them. The filters and the API's 404 need no app:
``execsupport.viewsets``.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import orjson
from django.core.cache import cache
from django.db import models
from django.db.models import Count, Max
from django.http import HttpResponse
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.response import Response

from execsupport.api import (
    ID_REGEX,
    csv_named_columns_add,
    etag_for,
    if_match_version,
    if_none_match,
    version_etag,
)
from execsupport.jsontypes import body_types_check
from execsupport.query import query_check
from execsupport.rows import RowPlan
from metrics.models import GapScore
from metrics.selectors import attach_latest_scores, scores_version
from strategy.access import Access, access_for

_MT = TypeVar("_MT", bound=models.Model)

if TYPE_CHECKING:
    # For the checker the mixins are viewsets of ``_MT`` (they use the view's request,
    # queryset, serializer and paginator); at run time they are plain generic mixins that come
    # before a DRF viewset. A viewset that names no model (``class X(AccessViewSet)``) is one
    # of ``Any``, so its hooks may take its own model (``may_write(..., obj: KPI, ...)``).
    _ViewSetBase = viewsets.GenericViewSet
else:
    _ViewSetBase = Generic

# A cached list page is only ever served for the exact data version it was built from; the
# timeout just bounds the memory of versions nobody asks for any more.
LIST_CACHE_SECONDS = 300


class ScopedMixin(_ViewSetBase[_MT]):
    """Reading: a queryset scoped by ``strategy.access``; scores attached in one query."""

    lookup_value_regex = ID_REGEX
    # Filter of the queryset by visible teams; None: visible to anyone with a role.
    scope_lookup: str | None = "team_id"
    # Serializer fields that are not model fields (e.g. a reason for a change).
    extra_write_fields: tuple[str, ...] = ()
    # A latest gap score is attached to each object of this subject type (one query).
    score_subject_type: str | None = None
    # Set by perform_update: names of the fields the request changes (None when creating).
    changed_fields: set[str] | None = None
    # The one object a detail response shows, once read or written: its ETag is sent.
    versioned: models.Model | None = None
    # Lists read with values() and shaped by execsupport.rows (same output, several times
    # faster than the serializer); for the lists integrations poll.
    flat_rows: bool = False
    # The number of rows of the filtered list when a version query already counted them:
    # the paginator then runs no COUNT of its own.
    list_count: int | None = None

    # --- reading --------------------------------------------------------------------------
    def initial(self, request, *args, **kwargs):
        """After authentication and permissions (an anonymous caller learns nothing more than
        401): a list's query parameters are checked strictly (``execsupport.query``)."""
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD") and not getattr(self, "detail", False):
            query_check(self, request)

    @property
    def access(self) -> Access:
        return access_for(self.request.user)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.scope_lookup:
            queryset = self.access.scope(queryset, self.scope_lookup)
        return queryset

    def get_serializer(self, *args, **kwargs):
        """A serializer; one given a JSON body first checks its values' JSON types
        (``execsupport.jsontypes``: 400 for a number sent as a text, a string as an id ...)."""
        serializer = super().get_serializer(*args, **kwargs)
        if "data" in kwargs and getattr(self, "request", None) is not None:
            # A body is one object's: a Serializer (with fields), never a ListSerializer.
            body_types_check(cast(serializers.Serializer, serializer), self.request)
        return serializer

    def decorate(self, objects: list) -> list:
        """Attach what the serializer shows beyond the row, in a constant number of queries."""
        if self.score_subject_type:
            attach_latest_scores(objects, subject_type=self.score_subject_type)
        return objects

    def list(self, request, *args, **kwargs):
        return self.list_page(self.filter_queryset(self.get_queryset()))

    def list_page(self, queryset: models.QuerySet, *, native: bool = False) -> Response:
        """One page of the filtered queryset: flat rows (``flat_rows``) or serialized objects.

        ``native``: the data is for ``orjson.dumps`` with ``OPT_UTC_Z`` (``RowPlan.shape``)."""
        page: list[Any] | None
        if self.flat_rows:
            # Flat lists are of ModelSerializers (RowPlan reads their Meta.model).
            serializer_class = cast(type[serializers.ModelSerializer], self.get_serializer_class())
            plan = RowPlan.of(serializer_class, score_model=GapScore)
            page = self.paginate_queryset(plan.rows(queryset))
            rows = list(page if page is not None else plan.rows(queryset))
            data: Any = plan.shape(rows, score_subject_type=self.score_subject_type, native=native)
        else:
            page = self.paginate_queryset(queryset)
            objects = self.decorate(list(page if page is not None else queryset))
            data = self.get_serializer(objects, many=True).data
        if self.request.accepted_renderer.format == "csv":
            csv_named_columns_add(rows=data, model=queryset.model, access=self.access)
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.decorate([instance])
        self.versioned = instance
        return Response(self.get_serializer(instance).data)

    def finalize_response(self, request, response, *args, **kwargs):
        """A response about one versioned object carries its version as ``ETag`` (to send
        back in ``If-Match`` when changing it)."""
        response = super().finalize_response(request, response, *args, **kwargs)
        instance = self.versioned
        if instance is not None and response.status_code < 300 and hasattr(instance, "version"):
            response["ETag"] = version_etag(pk=instance.pk, version=instance.version)
        return response


class WriteMixin(_ViewSetBase[_MT]):
    """Writing: the view's object rule (``may_write``) on the new state, then a service."""

    if TYPE_CHECKING:
        # ScopedMixin's, which comes first in every viewset that writes.
        extra_write_fields: tuple[str, ...]
        changed_fields: set[str] | None
        versioned: models.Model | None

        @property
        def access(self) -> Access: ...

        def decorate(self, objects: list) -> list: ...

    def may_write(self, access: Access, obj: _MT, request) -> bool:
        return access.is_office

    def store(self, instance: _MT, data: dict, *, created: bool, version: int | None = None) -> _MT:
        """Save through the service; ``version``: the version the client read (``If-Match``),
        which the service's save requires (``VersionConflict`` otherwise), or ``None``."""
        raise NotImplementedError

    def remove(self, instance: _MT) -> None:
        raise NotImplementedError

    def _apply(self, instance: _MT, data: dict) -> tuple[dict, dict]:
        """Set plain fields on the instance; return (many-to-many values, extra fields)."""
        m2m: dict = {}
        extra: dict = {}
        for name, value in data.items():
            if name in self.extra_write_fields:
                extra[name] = value
                continue
            field = instance._meta.get_field(name)
            if field.many_to_many:
                m2m[name] = value
            else:
                setattr(instance, name, value)
        return m2m, extra

    def _check(self, instance: _MT) -> None:
        if not self.may_write(self.access, instance, self.request):
            raise exceptions.PermissionDenied("Your role does not allow this change.")

    def perform_create(self, serializer: serializers.BaseSerializer[_MT]) -> None:
        # The writers' serializers are ModelSerializers of the view's model.
        model: type[_MT] = cast(serializers.ModelSerializer[_MT], serializer).Meta.model
        instance = model()
        m2m, extra = self._apply(instance, serializer.validated_data)
        self._check(instance)
        serializer.instance = self.versioned = self.store(instance, {**m2m, **extra}, created=True)
        self.decorate([serializer.instance])

    def perform_update(self, serializer: serializers.BaseSerializer[_MT]) -> None:
        """Only the fields the request changes are written (``TimestampedModel.save``), so
        concurrent updates of different fields all keep their change; with ``If-Match`` the
        write happens only on the version the client read (else 412, nothing written)."""
        instance = cast(_MT, serializer.instance)  # an update's serializer holds its object
        version = if_match_version(self.request, instance=instance)
        self.before_update(instance)
        self.changed_fields = {
            name
            for name, value in serializer.validated_data.items()
            if name not in self.extra_write_fields
            and not instance._meta.get_field(name).many_to_many
            and getattr(instance, name) != value
        } | {
            name
            for name in serializer.validated_data
            if name not in self.extra_write_fields and instance._meta.get_field(name).many_to_many
        }
        m2m, extra = self._apply(instance, serializer.validated_data)
        self._check(instance)  # the new state too: moving work to a team you do not lead
        serializer.instance = self.versioned = self.store(
            instance, {**m2m, **extra}, created=False, version=version
        )
        self.decorate([serializer.instance])

    def before_update(self, instance: _MT) -> None:
        """Hook to remember the state before the change (e.g. a KPI's plan)."""

    def perform_destroy(self, instance: _MT) -> None:
        self.remove(instance)


class AccessViewSet(ScopedMixin[_MT], WriteMixin[_MT], viewsets.ModelViewSet[_MT]):
    """A ModelViewSet scoped by ``strategy.access`` whose writes call services."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class ReadOnlyAccessViewSet(ScopedMixin[_MT], viewsets.ReadOnlyModelViewSet[_MT]):
    """List and read (plus any explicit actions)."""


class AppendOnlyAccessViewSet(
    ScopedMixin[_MT],
    WriteMixin[_MT],
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[_MT],
):
    """List, read and append: for records that are history (check-ins, spend, measurements)."""


def conditional_list(
    view, request, queryset: models.QuerySet, version_parts: list, *, count: int | None = None
) -> HttpResponse:
    """List with a weak ETag computed from a cheap version query: 304 when it matches.

    The page itself is cached under its ETag (which covers the data version, the person, the
    full URL and the format), so pollers that do not send If-None-Match still cost only the
    version query; any change of the data makes a new ETag and so a fresh page. ``count`` is
    the number of rows of ``queryset`` when the version query counted them.
    """
    # What the person may see is part of the tag: derived text (score reasons, alert messages)
    # names other objects only while they are visible to the reader.
    sees = access_fingerprint(view.access)
    etag = etag_for(request=request, parts=[request.get_host(), sees, *version_parts])
    view.list_count = count
    response: HttpResponse
    if if_none_match(request, etag):
        response = Response(status=304)
    elif request.accepted_renderer.format != "json":
        response = view.list_page(queryset)  # CSV, browsable: rendered as usual
    else:
        key = f"api-page:{etag}"
        body = cache.get(key)
        if body is None:
            data = view.list_page(queryset, native=True).data
            if view.flat_rows:  # plain dicts, lists, str, int, float, bool, dates and None
                body = orjson.dumps(data, option=orjson.OPT_UTC_Z)
            else:
                body = request.accepted_renderer.render(data, request.accepted_media_type)
            cache.set(key, body, timeout=LIST_CACHE_SECONDS)
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Accept, Authorization, Cookie"
    return response


def access_fingerprint(access: Access) -> str:
    """A short digest of the teams this person may see ("all" for the strategy office)."""
    if access.visible_team_ids is None:
        return "all"
    ids = ",".join(map(str, sorted(access.visible_team_ids)))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def scored_list(view, request) -> HttpResponse:
    """``conditional_list`` of rows versioned by their ``updated_at`` and the latest scores of
    ``view.score_subject_type`` (KPIs, initiatives); the version query counts the page too."""
    queryset = view.filter_queryset(view.get_queryset())
    rows = queryset.order_by().aggregate(n=Count("id"), changed=Max("updated_at"))
    version = [rows, scores_version(view.score_subject_type)]
    return conditional_list(view, request, queryset, version, count=rows["n"])


__all__ = [
    "AccessViewSet",
    "AppendOnlyAccessViewSet",
    "ReadOnlyAccessViewSet",
    "conditional_list",
    "scored_list",
]
