"""Template tags of the browse lists: sortable column headers that keep the other filters."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from strategy.templatetags.ui import icon

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_th(context, column: str, label: str, css: str = ""):
    """A ``<th>`` whose label links to the list sorted by ``column`` (ascending, or descending
    when it is already sorted ascending), keeping the other filters and going back to page 1;
    ``aria-sort`` tells the current order."""
    params = context["request"].GET.copy()
    current = params.get("sort", "")
    params.pop("page", None)
    mark: str  # an icon (safe HTML) or nothing
    if current == column:
        params["sort"], state, mark = f"-{column}", "ascending", icon("caret-up")
    elif current == f"-{column}":
        params["sort"], state, mark = column, "descending", icon("caret-down")
    else:
        params["sort"], state, mark = column, None, ""
    aria = format_html(' aria-sort="{}"', state) if state else ""
    css_attr = format_html(' class="{}"', css) if css else ""
    return format_html(
        '<th scope="col"{}{}><a class="sort" href="?{}">{}'
        '<span aria-hidden="true">{}</span></a></th>',
        css_attr,
        aria,
        params.urlencode(),
        label,
        mark,
    )
