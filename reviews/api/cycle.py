"""The API of reviews and their meetings (scheduled, moved, cancelled, marked discussed)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F
from rest_framework import exceptions
from typing_extensions import override

from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import AccessViewSet
from reviews import services
from reviews.models import Meeting, Pack, Review
from reviews.selectors import (
    reviews_visible,
)
from reviews.serializers import (
    MeetingSerializer,
    ReviewSerializer,
)
from strategy.access import Access
from strategy.selectors import strategy_current


class ReviewFilter(BaseFilterSet):
    """Query filters of ``/reviews/``: ``team``, ``strategy`` (ids), ``scope``, ``cadence`` and
    ``updated_since``."""

    team = IdFilter(field_name="team_id")
    strategy = IdFilter(field_name="strategy_id")

    class Meta:
        model = Review
        fields = ["scope", "cadence"]


class ReviewViewSet(AccessViewSet):
    """Reviews you may see: of the strategy or a theme (anyone with a role), of a team or an
    objective subtree (who may see that team), and those you take part in."""

    queryset = Review.objects.prefetch_related("participants")
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    scope_lookup = None
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(pk__in=reviews_visible(access=self.access).values("pk"))
            .select_related("objective")
        )

    @override
    def may_write(self, access: Access, obj: Review, request) -> bool:
        team_id = obj.scope_team_id
        if obj.pk is None:
            return access.can_create_review() and (team_id is None or access.leads(team_id))
        return access.can_manage_review(obj) and (team_id is None or access.leads(team_id))

    @override
    def store(self, instance, data, *, created, version=None):
        if created:
            instance.owner = self.request.user
            strategy = strategy_current()
            if strategy is None:
                raise exceptions.ValidationError(
                    {"strategy": ["There is no strategy yet."]}, code="inconsistent"
                )
            instance.strategy = strategy
        participants = data.get("participants")
        ids = None if participants is None else [p.pk for p in participants]
        if created:
            ids = sorted({*(ids or []), self.request.user.pk})
        return services.review_save(review=instance, participant_ids=ids)

    @override
    def remove(self, instance):
        services.review_delete(review=instance)


class MeetingFilter(BaseFilterSet):
    """Query filters of ``/meetings/``: ``review`` (id), ``status`` and ``updated_since``."""

    review = IdFilter(field_name="review_id")

    class Meta:
        model = Meeting
        fields = ["status"]


class MeetingViewSet(AccessViewSet):
    """Meetings of the reviews you may see; who runs a review schedules, moves (a new
    ``starts_at``) and cancels (``status``: cancelled) its meetings."""

    queryset = Meeting.objects.select_related("review", "review__objective")
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    scope_lookup = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["starts_at"]
    ordering = ["-starts_at", "-id"]

    @override
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(review_id__in=reviews_visible(access=self.access).values("pk"))
            .annotate(pack_id_value=F("pack__id"))
        )

    @override
    def may_write(self, access: Access, obj: Meeting, request) -> bool:
        return access.can_manage_review(obj.review)

    @override
    def before_update(self, instance):
        self._before = (instance.starts_at, instance.status)

    @override
    def store(self, instance, data, *, created, version=None):
        try:
            if created:
                instance.status = Meeting.Status.SCHEDULED
                instance.save()
                return instance
            starts_at, status = self._before
            new_start, new_status = instance.starts_at, instance.status
            instance.starts_at, instance.status = starts_at, status
            if new_status != status:
                if new_status != Meeting.Status.CANCELLED:
                    raise ValidationError({"status": "A meeting can only be cancelled here."})
                services.meeting_cancel(meeting=instance)
            if new_start != starts_at:
                services.meeting_move(meeting=instance, starts_at=new_start)
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict, code="inconsistent") from error
        instance.pack_id_value = (
            Pack.objects.filter(meeting=instance).values_list("id", flat=True).first()
        )
        return instance
