from __future__ import annotations

from django.urls import path

from security import integrations, views

app_name = "security"
urlpatterns = [
    path("security/events/", views.security_event_list, name="event-list"),
    path("integrations/", integrations.integrations, name="integrations"),
    path("integrations/tokens/new/", integrations.token_new, name="token-new"),
    path(
        "integrations/tokens/<slug:key>/revoke/",
        integrations.token_revoke_page,
        name="token-revoke",
    ),
    path("integrations/webhooks/new/", integrations.webhook_new, name="webhook-new"),
    path("integrations/webhooks/<int:pk>/", integrations.webhook_detail, name="webhook-detail"),
    path(
        "integrations/webhooks/<int:pk>/delete/",
        integrations.webhook_delete_page,
        name="webhook-delete",
    ),
    path(
        "integrations/webhooks/<int:pk>/deliveries/<int:delivery_pk>/retry/",
        integrations.delivery_retry,
        name="delivery-retry",
    ),
]
