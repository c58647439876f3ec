"""Template helpers shared by every page: status badges (icon + text, never colour alone),
plotly figure blocks (JSON data for static/js/app.js, no inline script) and sparklines."""

from __future__ import annotations

import datetime as dt
import functools
from html import escape as _esc  # what django.utils.html.escape does, minus the wrapping

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from strategy.access import access_for
from strategy.charts import figure_json
from strategy.derived import ONE_HIDDEN
from strategy.people import person_name
from strategy.quantities import every_days_text, unit_text

register = template.Library()

# Icons are inline SVG drawn with the text colour, never font glyphs: symbols such as ⏱ or 👁
# render as empty boxes where no installed font has them. 16 x 16 grid, 2 px strokes.
ICONS = {
    "check": '<path d="M3 8.5l3.2 3.2L13 4.5"/>',
    "cross": '<path d="M4 4l8 8M12 4l-8 8"/>',
    "exclaim": '<path d="M8 3v6.5M8 13v.01"/>',
    "exclaim-double": '<path d="M5 3v6.5M5 13v.01M11 3v6.5M11 13v.01"/>',
    "question": '<path d="M5.5 6a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5v.4M8 13v.01"/>',
    "info": '<path d="M8 7.5V13M8 3.5v.01"/>',
    "warning": '<path d="M8 2.2l6.3 11.3H1.7z"/><path d="M8 6.5v3M8 11.8v.01"/>',
    "circle": '<circle cx="8" cy="8" r="5"/>',
    "dot": '<circle cx="8" cy="8" r="3.5" fill="currentColor"/>',
    "diamond": '<path d="M8 1.5L14.5 8 8 14.5 1.5 8z" fill="currentColor"/>',
    "clock": '<circle cx="8" cy="8" r="6"/><path d="M8 4.5V8l2.5 1.5"/>',
    "eye": '<path d="M1.5 8S4 3.5 8 3.5 14.5 8 14.5 8 12 12.5 8 12.5 1.5 8 1.5 8z"/>'
    '<circle cx="8" cy="8" r="2"/>',
    "arrow-right": '<path d="M2.5 8h11M9.5 4l4 4-4 4"/>',
    "pause": '<path d="M5.5 3.5v9M10.5 3.5v9"/>',
    "plus": '<path d="M8 3v10M3 8h10"/>',
    "caret-up": '<path d="M4 10l4-4 4 4"/>',
    "caret-down": '<path d="M4 6l4 4 4-4"/>',
    "search": '<circle cx="7" cy="7" r="4.5"/><path d="M10.5 10.5L14 14"/>',
    "download": '<path d="M8 2.5v8M4.5 7L8 10.5 11.5 7M3 13.5h10"/>',
}

# status value -> (css modifier, icon, label)
STATUSES = {
    "on_track": ("ok", "check", "On track"),
    "at_risk": ("warn", "exclaim", "At risk"),
    "off_track": ("bad", "cross", "Off track"),
    "no_data": ("none", "question", "No data"),
    "unavailable": ("none", "warning", "Score unavailable"),
    "green": ("ok", "check", "Green"),
    "amber": ("warn", "exclaim", "Amber"),
    "red": ("bad", "cross", "Red"),
    None: ("none", "circle", "Not scored yet"),
}
SEVERITIES = {
    1: ("info", "info", "Info"),
    2: ("warn", "exclaim", "Warning"),
    3: ("bad", "exclaim-double", "Critical"),
}


@register.simple_tag
@functools.lru_cache(maxsize=32)
def icon(name: str) -> SafeString:
    """An inline SVG icon (``ICONS``), hidden from assistive technology: the words next to it
    carry the meaning. Sized to the text (1em) and drawn in its colour. KeyError: no such icon."""
    return mark_safe(  # noqa: S308 - constant markup
        '<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
        'focusable="false" fill="none" stroke="currentColor" stroke-width="2" '
        f'stroke-linecap="round" stroke-linejoin="round">{ICONS[name]}</svg>'
    )


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def status_parts(status: str | None) -> tuple[str, str, str]:
    """``(css modifier, icon name, words)`` of a score or RAG status (``STATUSES``); an unknown or
    empty status is "Not scored yet"."""
    return STATUSES.get(status, STATUSES[None])


@functools.lru_cache(maxsize=64)
def _badge_parts(status: str | None) -> tuple[str, str, str]:
    """The escaped markup around a status badge's title and words, made once per status."""
    css, name, text = status_parts(status)
    return (
        f'<span class="badge badge--{_esc(css)}"',
        f'><span class="badge__icon" aria-hidden="true">{icon(name)}</span>',
        _esc(text),
    )


@register.simple_tag
def status_badge(status: str | None, reason: str = "", label: str = "") -> SafeString:
    """A pill with an icon and words; ``reason`` becomes its tooltip."""
    head, mark, text = _badge_parts(status or None)
    # Plain escaping instead of format_html: this runs hundreds of times on the overview.
    title = f' title="{_esc(str(reason))}"' if reason else ""
    words = _esc(str(label)) if label else text
    return mark_safe(f"{head}{title}{mark}{words}</span>")  # noqa: S308 - every value is escaped


@register.simple_tag
def score_badge(score) -> SafeString:
    """Badge for a GapScore (or None: not scored yet), with the score's number when it has one."""
    if score is None:
        return status_badge(None)
    text = status_parts(score.status)[2]
    if score.score is not None:
        text = f"{text} · {score.score:.0f}"
    return status_badge(score.status, score.reason, text)


@register.simple_tag
def severity_badge(severity: int) -> SafeString:
    """An alert severity's badge (1 info, 2 warning, 3 critical; an unknown one shows as a
    warning)."""
    css, name, text = SEVERITIES.get(severity, SEVERITIES[2])
    return format_html(
        '<span class="badge badge--{}"><span class="badge__icon" aria-hidden="true">{}</span>{}'
        "</span>",
        css,
        icon(name),
        text,
    )


@register.filter
def status_css(status: str | None) -> str:
    """The status's CSS modifier (``ok``, ``warn``, ``bad``, ``none``)."""
    return status_parts(status or None)[0]


@register.filter
def percent(value, digits: int = 0) -> str:
    """0.42 -> '42 %'; None -> '—'."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def number(value, digits: int = 1) -> str:
    """A number as the pages write it: integers with thousands separators, others with ``digits``
    decimals; None or '' -> '—'."""
    if value is None or value == "":
        return "—"
    value = float(value)
    if value.is_integer() and abs(value) < 1e12:
        return f"{int(value):,}"
    return f"{value:,.{int(digits)}f}"


@register.filter
def in_unit(value, unit: str = "") -> str:
    """A KPI's value with its unit, as ``number:2`` shows it: ``44.5 minutes``, ``1 meeting``
    (the unit's plural rule applies when the shown number is exactly 1; see
    ``strategy.quantities``); None -> '—'."""
    shown = number(value, 2)
    if shown == "—":
        return shown
    return f"{shown} {unit_for(unit, value)}".rstrip()


@register.filter
def unit_for(unit: str, value) -> str:
    """``unit`` as it follows ``value`` (``meetings`` after 1 reads ``meeting``)."""
    if value is None or value == "":
        return unit or ""
    shown = number(value, 2)
    return unit_text(1 if shown in ("1", "-1") else 2, unit)


@register.filter
def every_days(days) -> str:
    """A cadence in days: ``every day``, ``every 7 days``."""
    if days is None or days == "":
        return ""
    return every_days_text(int(days))


@register.simple_tag
def plotly_figure(figure: dict | None, dom_id: str, label: str, height: int = 280) -> SafeString:
    """A chart container plus its figure as a JSON data block (rendered by static/js/app.js)."""
    if not figure:
        return format_html('<p class="muted">{}</p>', "No data to chart yet.")
    notes = figure.get("notes") or []
    plot = {key: value for key, value in figure.items() if key != "notes"}
    payload = figure_json(plot).decode().translate(_JSON_ESCAPES)
    return format_html(
        '<figure class="chart" aria-label="{}">'
        '<div class="chart__plot" data-figure="{}-data" style="min-height:{}px"></div>'
        '<script type="application/json" id="{}-data">{}</script>{}</figure>',
        label,
        dom_id,
        height,
        dom_id,
        mark_safe(payload),  # noqa: S308 - orjson output with <, >, & escaped above
        format_html_join(
            "", '<figcaption class="small muted chart__note">{}</figcaption>', ((n,) for n in notes)
        ),
    )


@register.simple_tag
def sparkline(points, width: int = 120, height: int = 28) -> SafeString:
    """An inline SVG polyline of ``[(date, value), ...]``; no script, no chart library."""
    points = list(points or [])
    if len(points) < 2:
        return format_html('<span class="muted small">{}</span>', "too few points")
    values = [float(v) for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 4) / (len(values) - 1)
    coords = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    first, last = points[0][0], points[-1][0]
    fmt = (lambda d: d.isoformat()) if isinstance(first, dt.date) else str
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="Trend from {} to {}: {} to {}"><polyline points="{}"/></svg>',
        width,
        height,
        width,
        height,
        fmt(first),
        fmt(last),
        f"{values[0]:g}",
        f"{values[-1]:g}",
        coords,
    )


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template; None when the key is missing or the mapping empty or None."""
    return mapping.get(key) if mapping else None


@register.filter
def manages_people(user) -> bool:
    """Whether the navigation offers the People pages (``Access.can_manage_people``): the
    access is computed once per request and usually already is."""
    from strategy.access import access_for

    return bool(getattr(user, "is_authenticated", False)) and access_for(user).can_manage_people()


@register.filter
def manages_plan(user) -> bool:
    """Whether the account menu offers the setup checklist and the plan's structure
    (``Access.can_manage_strategy``); the access is usually computed already."""
    from strategy.access import access_for

    return bool(getattr(user, "is_authenticated", False)) and access_for(user).can_manage_strategy()


@register.filter
def person(user, empty: str = "—") -> str:
    """A person's full name, else username; ``empty`` for nobody."""
    if user is None or user == "":
        return empty
    return person_name(
        first_name=user.first_name, last_name=user.last_name, username=user.get_username()
    )


@register.simple_tag
def strategy_map(roots) -> SafeString:
    """The alignment tree (``workspace.overview.MapObjective`` rows) as nested lists, rendered
    in Python.

    Equivalent to a recursive ``{% include %}`` but several times faster, which matters on the
    overview of a large plan. Each node shows its kind, title (linked), status as icon and
    words, and who owns it.
    """
    parts: list[str] = []
    theme_id = object()
    urls = (_url_maker("strategy:objective-detail"), _url_maker("initiatives:initiative-detail"))
    for root in roots:
        if root.theme_id != theme_id:
            theme_id = root.theme_id
            parts.append(
                format_html(
                    '<li class="theme-head"><span class="swatch" style="background:{}" '
                    'aria-hidden="true"></span>{}</li>',
                    root.theme_colour,
                    root.theme_name,
                )
            )
        parts.append(_objective_node(root, depth=0, urls=urls))
    return mark_safe(f'<ul class="tree">{"".join(parts)}</ul>')  # noqa: S308 - parts escaped


def _url_maker(viewname: str):
    """``pk -> url`` for a detail view, reversing once: the map links hundreds of rows."""
    return _url_maker_for(viewname, get_urlconf(), get_script_prefix())


@functools.cache
def _url_maker_for(viewname: str, urlconf, script_prefix: str):
    # Keyed by the URLconf and prefix in force, which is what reverse() depends on.
    marker = "8675309"
    head, tail = reverse(viewname, args=[marker]).split(marker)
    return lambda pk: f"{head}{pk}{tail}"


DETAIL_VIEWS = {
    "objective": "strategy:objective-detail",
    "initiative": "initiatives:initiative-detail",
}


@register.filter
def detail_url(obj, kind: str = "") -> str:
    """The page of an objective or initiative, or of the id of one with ``kind``
    (``{{ row.objective_id|detail_url:"objective" }}``), without a reverse() for each link."""
    if kind:
        return _url_maker(DETAIL_VIEWS[kind])(obj)
    return _url_maker(DETAIL_VIEWS[obj._meta.model_name])(obj.pk)


def _objective_node(node, depth: int, urls) -> str:
    # f-strings with explicit escaping rather than format_html: a large map has hundreds of
    # nodes and format_html's per-argument checks were most of the map's cost.
    score = getattr(node, "latest_score", None)
    owner = f" · {_esc(node.owner_name)}" if node.owner_id else ""
    head = (
        f'<div class="node node--{_esc(status_css(score.status if score else None))}">'
        f'<span class="kind">Objective</span><a class="node__title" '
        f'href="{_esc(urls[0](node.pk))}">{_esc(node.title)}</a>{score_badge(score)}'
        f'<span class="node__meta">{_esc(node.team_name)}{owner}</span></div>'
    )
    children = [
        _objective_node(child, depth + 1, urls)
        for child in getattr(node, "map_children", ())
        if depth < 32  # a cycle that slipped past validation must not recurse forever
    ]
    for initiative in getattr(node, "map_initiatives", ()):
        iscore = getattr(initiative, "latest_score", None)
        due = initiative.due_date
        children.append(
            f'<li><div class="node node--initiative '
            f'node--{_esc(status_css(iscore.status if iscore else None))}">'
            f'<span class="kind">Initiative</span><a class="node__title" '
            f'href="{_esc(urls[1](initiative.pk))}">{_esc(initiative.title)}</a>'
            f'{score_badge(iscore)}<span class="node__meta">'
            f"{_esc(str(initiative.progress))} % done · due {due.day} {due:%b}</span></div></li>"
        )
    inner = f"<ul>{''.join(children)}</ul>" if children else ""
    return f"<li>{head}{inner}</li>"


@register.simple_tag
def options(rows, selected) -> SafeString:
    """``<option>``s for rows with integer keys, the ``selected`` pk marked: fast for long lists
    (teams)."""
    return mark_safe(  # noqa: S308 - keys are integers, names escaped
        "".join(
            f'<option value="{int(row.pk)}"{" selected" if row.pk == selected else ""}>'
            f"{_esc(str(row))}</option>"
            for row in rows
        )
    )


# --- related objects, for their reader ----------------------------------------------------
# A page shows what its object is aligned to (an initiative's objective, a KPI's objective or
# initiative, an objective's parents). That object may be one the reader cannot see (a public
# initiative under a private team's objective): it is then "a part you cannot see", neither
# named nor linked, as in the derived texts (strategy.derived). The rule is strategy.access's.


def _seen(context, subject) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and access_for(user).can_view_subject(subject)


def _subject_label(subject) -> str:
    return str(getattr(subject, "title", None) or getattr(subject, "name", ""))


@register.simple_tag(takes_context=True)
def subject_link(context, subject, hidden: str = ONE_HIDDEN) -> SafeString:
    """A link to an objective, initiative or KPI named by its title, when the request's
    reader may see it; ``hidden`` in muted text otherwise; nothing for ``None``."""
    if subject is None:
        return mark_safe("")
    if not _seen(context, subject):
        return format_html('<span class="muted">{}</span>', hidden)
    return format_html('<a href="{}">{}</a>', subject.get_absolute_url(), _subject_label(subject))


@register.simple_tag(takes_context=True)
def subject_name(context, subject, hidden: str = ONE_HIDDEN) -> str:
    """The title of an objective, initiative or KPI when the request's reader may see it,
    ``hidden`` otherwise (plain text, escaped by the template); ``""`` for ``None``."""
    if subject is None:
        return ""
    return _subject_label(subject) if _seen(context, subject) else hidden
