"""The comments API: ``/api/v1/comments/`` (list, read, post, edit within the window, delete
leaving a trace). Reading is scoped to comments whose subject the caller may see
(``strategy.access``); writes go through ``activity.comments``, which asks the same rules as
the pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from typing_extensions import override

from activity import comments as services
from activity.history import TRACKED, History, history_for
from activity.models import COMMENT_MAX, Comment
from execsupport.api import ErrorSerializer
from execsupport.validation import MAX_ID
from execsupport.viewsets import IdFilter, SinceFilter
from metrics.viewsets import ScopedMixin
from strategy.access import access_for
from strategy.people import person_name


class CommentSerializer(serializers.ModelSerializer):
    """A comment; a deleted one keeps its place with an empty ``body`` and ``deleted_at``."""

    body = serializers.CharField(max_length=COMMENT_MAX, allow_blank=False, trim_whitespace=True)
    subject_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    author_name = serializers.SerializerMethodField()
    is_deleted = serializers.BooleanField(read_only=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "author",
            "author_name",
            "body",
            "mentioned",
            "created_at",
            "edited_at",
            "deleted_at",
            "is_deleted",
        ]
        read_only_fields = ["author", "mentioned", "created_at", "edited_at", "deleted_at"]

    def get_author_name(self, comment: Comment) -> str | None:
        """The author's display name; None once the account is deleted."""
        user = comment.author
        if user is None:
            return None
        return person_name(
            first_name=user.first_name, last_name=user.last_name, username=user.get_username()
        )


class CommentEditSerializer(serializers.Serializer):
    """What an edit changes: the text."""

    body = serializers.CharField(max_length=COMMENT_MAX, allow_blank=False, trim_whitespace=True)


class CommentFilter(filters.FilterSet):
    """Filters of the comment list: subject, author (ids), ``since`` (created at or after) and
    ``subject_type``."""

    subject_id = IdFilter(field_name="subject_id")
    author = IdFilter(field_name="author_id")
    since = SinceFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Comment
        fields = ["subject_type"]


class CommentViewSet(ScopedMixin, viewsets.ModelViewSet):
    """Comments on objectives, initiatives, KPIs and alerts. ``@username`` in the text mentions
    a person, who must be able to see the subject (else 400 on ``body``) and is told
    (their notification preferences). Anyone with more than a viewer's role comments on what
    they may see; its author edits a comment within ``COMMENT_EDIT_MINUTES``; its author or
    the strategy office deletes it (the comment stays as a trace, without its text)."""

    queryset = Comment.objects.all()
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    scope_lookup = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def may_write(self, access, obj: Comment, request) -> bool:
        """Editing: its author (the window is the service's); deleting: its author or the
        strategy office."""
        if request.method == "DELETE":
            return access.can_remove_comment(obj.author_id)
        return obj.author_id is not None and obj.author_id == access.user_id

    @override
    def get_queryset(self) -> QuerySet[Comment]:
        return (
            Comment.objects.filter(services.comments_visible_filter(self.access))
            .select_related("author")
            .prefetch_related("mentioned")
        )

    @override
    def get_serializer_class(self):
        if self.action == "partial_update":
            return CommentEditSerializer
        return CommentSerializer

    @extend_schema(
        request=CommentSerializer,
        responses={201: CommentSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Post a comment (201). 404 when the subject is not one you may see."""
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = services.subject_get(
            kind=data.validated_data["subject_type"],
            pk=data.validated_data["subject_id"],
            access=self.access,
        )
        comment = services.comment_post(
            subject=subject, author=request.user, body=data.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CommentEditSerializer,
        responses={200: CommentSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Change the text of your comment, within ``COMMENT_EDIT_MINUTES`` of posting (403
        after, saying so)."""
        comment = self.get_object()
        data = CommentEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = services.subject_get(
            kind=comment.subject_type, pk=comment.subject_id, access=self.access
        )
        comment = services.comment_edit(
            comment=comment, subject=subject, body=data.validated_data["body"], by=request.user
        )
        return Response(CommentSerializer(comment).data)

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted; the comment stays as a trace."),
            403: ErrorSerializer,
        }
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        """Delete your comment (or any, for the strategy office): its text goes, a trace
        stays."""
        services.comment_delete(comment=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- history (read only) ----------------------------------------------------------------------
class HistoryChangeSerializer(serializers.Serializer):
    """One field's change, as display text (``before`` null: nothing before)."""

    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field: DRF's metaclass takes it off the class, Field.label stays
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField()


class VersionSerializer(serializers.Serializer):
    """One recorded version; a sealed one (recorded while its team was private, or in a team
    you cannot see) says only that something changed, and when."""

    history_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    by = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    sealed = serializers.BooleanField()
    changes = HistoryChangeSerializer(many=True)


class HistorySerializer(serializers.Serializer):
    """An object's history for its reader, newest first (``results``; ``count`` in all)."""

    kind = serializers.CharField(source="tracked.kind")
    id = serializers.IntegerField(source="object_id")
    title = serializers.CharField()
    deleted = serializers.SerializerMethodField()
    count = serializers.IntegerField(source="total")
    results = VersionSerializer(many=True, source="versions")

    def get_deleted(self, history: History) -> bool:
        """True when the object itself no longer exists (only its history is left)."""
        return history.current is None


HISTORY_KINDS = "|".join(TRACKED)


class HistoryViewSet(viewsets.GenericViewSet):
    """The recorded history of one definition (strategy, period, theme, team, membership,
    objective, initiative, milestone, KPI, webhook): ``/api/v1/history/<kind>-<id>/``
    (``/api/v1/history/objective-12/``). Read
    only: history is never edited through the API (restoring an earlier version is the
    strategy office's, on the history page, and is itself recorded). Read through
    ``strategy.access`` like the page (``activity.history.history_for``): 404 for an object
    you may not see; old values of a private object stay sealed."""

    serializer_class = HistorySerializer
    pagination_class = None
    filter_backends: list = []
    http_method_names = ["get", "head", "options"]
    lookup_value_regex = rf"(?:{HISTORY_KINDS})-[0-9]{{1,19}}"

    @override
    def get_queryset(self):  # the schema generator asks for a model; there is no queryset
        return Comment.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "pk",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="<kind>-<id>, e.g. objective-12; kind one of " + ", ".join(TRACKED),
                pattern=rf"^(?:{HISTORY_KINDS})-[1-9][0-9]{{0,17}}$",
            )
        ],
        responses={200: HistorySerializer, 404: ErrorSerializer},
        filters=False,
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """Every recorded version of the object, newest first (at most 200; ``count`` says how
        many there are): who, when, why, and each field's value before and after."""
        kind, _, raw = str(kwargs.get(self.lookup_url_kwarg or self.lookup_field)).partition("-")
        pk = int(raw) if raw.isdigit() else 0
        if not 0 < pk <= MAX_ID:
            raise Http404("No such object.")
        history = history_for(kind=kind, pk=pk, access=access_for(request.user))
        return Response(HistorySerializer(history).data)
