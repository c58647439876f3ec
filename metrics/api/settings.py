"""The API of settings: webhooks (the strategy office) and the signed-in person's own
notification preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from typing_extensions import override

from execsupport.api import (
    ErrorSerializer,
)
from execsupport.jsontypes import body_types_check
from metrics import services
from metrics.models import (
    NotificationPreferences,
    Webhook,
)
from metrics.preferences import preferences_get, preferences_update
from metrics.serializers import (
    NotificationPreferencesSerializer,
    WebhookSerializer,
)
from metrics.viewsets import AccessViewSet
from strategy.access import Access
from strategy.models import ApiToken

if TYPE_CHECKING:
    pass


# --- webhooks ---------------------------------------------------------------------------------
class WebhookViewSet(AccessViewSet):
    """Outbound webhooks: the strategy office manages all of them, a team leader those they
    own (``Access.webhooks_scope``); tokens need the admin scope."""

    queryset = Webhook.objects.all()
    serializer_class = WebhookSerializer
    token_scopes = {"read": ApiToken.Scope.ADMIN, "write": ApiToken.Scope.ADMIN}
    scope_lookup = None
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def may_use(self, access: Access, request) -> bool:
        """Only people who may manage webhooks (read by ``strategy.permissions`` through
        ``may_use``)."""
        return access.can_manage_webhooks

    @override
    def get_queryset(self):
        return self.access.webhooks_scope(super().get_queryset())

    @override
    def may_write(self, access: Access, obj, request) -> bool:
        # Whom it acts for is checked by the service (400 on ``owner``); here: may this
        # person manage webhooks at all (the queryset already holds only theirs).
        return access.can_manage_webhooks

    @override
    def store(self, instance, data, *, created, version=None):
        if created:
            instance.created_by = self.request.user
            if instance.owner_id is None:
                instance.owner = self.request.user
        return services.webhook_save(webhook=instance, version=version, by=self.request.user)

    @override
    def remove(self, instance):
        services.webhook_delete(webhook=instance)


# --- the signed-in person's own settings ------------------------------------------------------
class MeViewSet(viewsets.GenericViewSet):
    """The signed-in person's own settings (anyone with a role; a token needs ``read`` to read
    them and ``admin`` to change them)."""

    serializer_class = NotificationPreferencesSerializer
    pagination_class = None
    filter_backends: list = []

    @override
    def get_queryset(self):
        if self.request.user.pk is None:  # anonymous (the schema generator): nobody's
            return NotificationPreferences.objects.none()
        return NotificationPreferences.objects.filter(user_id=self.request.user.pk)

    def get_object(self) -> NotificationPreferences:
        """The person's own preferences (also for OPTIONS, which describes the PUT)."""
        return preferences_get(user=self.request.user)

    @extend_schema(
        methods=["GET"],
        responses={200: NotificationPreferencesSerializer},
        filters=False,
    )
    @extend_schema(
        methods=["PUT", "PATCH"],
        request=NotificationPreferencesSerializer,
        responses={200: NotificationPreferencesSerializer, 400: ErrorSerializer},
        filters=False,
    )
    @action(
        detail=False,
        methods=["get", "put", "patch"],
        url_path="notification-preferences",
    )
    def notification_preferences(self, request, format=None):
        """Your notification preferences (the defaults until you change one). PUT and PATCH
        change the fields given; a bad value is a 400 naming the field, nothing saved."""
        if request.method == "GET":
            return Response(self.get_serializer(preferences_get(user=request.user)).data)
        data = cast(
            NotificationPreferencesSerializer,  # serializer_class's
            self.get_serializer(data=request.data, partial=True),
        )
        body_types_check(data, request)
        data.is_valid(raise_exception=True)
        prefs = preferences_update(user=request.user, data=data.validated_data)
        return Response(self.get_serializer(prefs).data)
