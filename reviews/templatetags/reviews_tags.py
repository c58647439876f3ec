"""Template tags of the review cycle used by other pages (My work)."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("reviews/_my_action_items.html", takes_context=True)
def my_action_items(context) -> dict:
    """The signed-in person's open action items, the most overdue first (one query)."""
    from reviews.models import ActionItem

    request = context["request"]
    items = list(
        ActionItem.objects.filter(owner=request.user, status=ActionItem.Status.OPEN)
        .select_related("owner")
        .order_by("due_date", "id")[:50]
    )
    return {
        "items": items,
        "today": timezone.localdate(),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
