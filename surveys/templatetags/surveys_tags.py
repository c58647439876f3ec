"""Template tags of pulse surveys: the 'Survey open for you' card of My work, and one
distribution row (a figure or why it is not shown)."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("surveys/_my_surveys.html", takes_context=True)
def my_open_surveys(context) -> dict:
    """Survey rounds open now that the signed-in person may answer and has not (two queries)."""
    from surveys.selectors import rounds_open_for

    request = context["request"]
    return {"rounds": rounds_open_for(user=request.user, today=timezone.localdate())}


@register.filter
def scale_counts(result) -> list:
    """``[(value, count)]`` of a shown figure's distribution, 1 to 5."""
    return sorted((result.distribution or {}).items())
