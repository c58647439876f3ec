"""Template helpers that replace slower Django equivalents must give the same output."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import set_script_prefix

from strategy.people import person_name
from strategy.templatetags.ui import detail_url, icon, person
from tests.factories import InitiativeFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_detail_url_is_the_absolute_url(team):
    objective = ObjectiveFactory(team=team)
    initiative = InitiativeFactory(objective=objective)
    for obj in (objective, initiative):
        assert detail_url(obj) == obj.get_absolute_url()
    assert detail_url(objective.pk, "objective") == objective.get_absolute_url()


@override_settings(FORCE_SCRIPT_NAME="/execsupport/")
def test_detail_url_follows_the_script_prefix(team):
    objective = ObjectiveFactory(team=team)
    set_script_prefix("/execsupport/")
    try:
        assert detail_url(objective) == objective.get_absolute_url()
        assert detail_url(objective).startswith("/execsupport/")
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("Ada", "Lovelace", "Ada Lovelace"), ("Ada", "", "Ada"), ("", "", "ada"), ("", "L", "L")],
)
def test_person_name_is_what_user_full_name_gives(first, last, expected):
    user = User(username="ada", first_name=first, last_name=last)
    assert person_name(first_name=first, last_name=last, username="ada") == expected
    assert (user.get_full_name() or user.get_username()) == expected == person(user)


# The overview's lists were {% for %} loops; the tags of overview_lists render them in Python.
# Each must give what its loop gave (whitespace between tags aside).
LOOPS = {
    "alert_list": """<ul class="list">{% for a in rows %}
      <li>
        <div class="list__row"><span class="list__title">{{ a.text.title }}</span>{% severity_badge a.severity %}</div>
        <div class="small">{{ a.text.message|truncatechars:180 }}</div>
        <div class="small muted">{{ a.team_name|default:"" }}{% if a.owner_id %} · owner {{ a.owner_name }}{% endif %} · opened {{ a.opened_at|naturaltime }}</div>
      </li>{% endfor %}</ul>""",
    "stale_list": """<ul class="list">{% for i in rows %}
      <li class="list__row"><span><a class="list__title" href="{{ i.pk|detail_url:"initiative" }}">{{ i.title }}</a><br><span class="small muted">{{ i.team_name }}{% if i.owner_id %} · {{ i.owner_name }}{% endif %}</span></span>
        <span class="badge badge--warn"><span class="badge__icon" aria-hidden="true">{% icon "clock" %}</span>{% if i.last_checkin_at %}{{ i.checkin_days }} day{{ i.checkin_days|pluralize }} silent{% else %}never checked in{% endif %} · expected {{ i.checkin_cadence_days|every_days }}</span></li>
    {% endfor %}</ul>""",
    "overdue_list": """<ul class="list">{% for m in rows %}
      <li class="list__row"><span><span class="list__title">{{ m.title }}</span><br><a class="small" href="{{ m.initiative_id|detail_url:"initiative" }}">{{ m.initiative_title }}</a></span>
        <span class="badge badge--bad"><span class="badge__icon" aria-hidden="true">{% icon "cross" %}</span>{{ m.days_overdue }} day{{ m.days_overdue|pluralize }} late (due {{ m.due_date|date:"j M" }})</span></li>
    {% endfor %}</ul>""",
    "changed_list": """<ul class="list">{% for o in rows %}
      <li class="list__row"><a class="list__title" href="{{ o.pk|detail_url:"objective" }}">{{ o.title }}</a>
        <span>{% status_badge o.status_then %} {% icon "arrow-right" %}<span class="sr-only">changed to</span> {% score_badge o.latest_score %}</span></li>
    {% endfor %}</ul>""",
    "checkin_list": """<ul class="list">{% for c in rows %}
      <li><div class="list__row"><a class="list__title" href="{{ c.initiative_id|detail_url:"initiative" }}">{{ c.initiative_title }}</a>{% status_badge c.rag %}</div>
        <div class="small">{{ c.summary|truncatechars:160 }}</div>
        <div class="small muted">{{ c.author_name }} · {{ c.created_at|naturaltime }} · {{ c.confidence }} % confident</div></li>
    {% endfor %}</ul>""",
    "largest_objectives_rows": """{% for r in rows %}
          <tr><td><a href="{{ r.objective_id|detail_url:"objective" }}">{{ r.objective__title }}</a></td><td>{{ r.priority_label }}</td><td class="num">{{ r.budget|floatformat:0|intcomma }}</td><td class="num">{{ r.share|percent }}</td><td class="num">{{ r.effort|floatformat:1 }}</td></tr>
        {% endfor %}""",
}


def _rows_for_lists(team):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from metrics.explain import alerts_render
    from metrics.models import Alert
    from strategy.access import Access
    from tests.factories import AlertFactory, UserFactory
    from workspace.overview import (
        MapObjective,
        OverdueMilestone,
        OverviewAlert,
        RecentCheckIn,
        ScoreRow,
        StaleInitiative,
    )

    now = timezone.now()
    tricky = "Ship <b>\"it\"</b> & 'more' " + "long " * 50
    owner = UserFactory(first_name="Ada", last_name="O'Neil")
    AlertFactory(team=team, owner=owner, title=tricky[:200], message=tricky, severity=3)
    AlertFactory(team=None, owner=None, severity=1, message="short")
    score = ScoreRow("objective", 1, "at_risk", 61.4, "KPI <x> behind", dt.date(2026, 5, 1))
    objective = {"theme_id": 1, "parent_id": None, "theme_name": "T", "theme_colour": "#12a"}
    objective |= {"team_name": "Sales", "owner_first_name": None, "owner_last_name": None}
    objective |= {"owner_username": None, "total": 2, "owner_id": None}
    alerts = [
        OverviewAlert(*row)
        for row in Alert.objects.order_by("-severity").values_list(
            "id",
            "title",
            "severity",
            "message",
            "opened_at",
            "team__name",
            "owner_id",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
    ]
    alerts_render(alerts=alerts, access=Access(user_id=None, is_office=True, visible_team_ids=None))
    return {
        "alert_list": alerts,
        "stale_list": [
            StaleInitiative(7, tricky, "Sales & <Ops>", owner.pk, "Ada", "O'Neil", "ada", 14,
                            now - dt.timedelta(days=30), 30, 16),
            StaleInitiative(8, "Quiet", "Sales", None, None, None, None, 7, None, 40, 33),
        ],
        "overdue_list": [
            OverdueMilestone(3, tricky, dt.date(2026, 3, 9), 7, "<Init>", days_overdue=1),
            OverdueMilestone(4, "Second", dt.date(2026, 12, 31), 8, "Other", days_overdue=12),
        ],
        "changed_list": [
            MapObjective(1, tricky, **objective, status_then="on_track", latest_score=score),
            MapObjective(2, "Unscored now", **objective, status_then="off_track"),
        ],
        "checkin_list": [
            RecentCheckIn(5, now - dt.timedelta(hours=3), "amber", 70, tricky, 7, "<Init>",
                          "Ada", "O'Neil", "ada"),
            RecentCheckIn(6, now - dt.timedelta(days=2), "green", 90, "Fine", 8, "B", "", "", "bo"),
        ],
        "largest_objectives_rows": [
            {"objective_id": 1, "objective__title": tricky, "priority_label": "High",
             "budget": Decimal("1234567.50"), "share": 0.4567, "effort": Decimal("2.25")},
            {"objective_id": 2, "objective__title": "B", "priority_label": "Low",
             "budget": Decimal("0"), "share": None, "effort": Decimal("0")},
        ],
    }  # fmt: skip


def test_overview_lists_render_what_their_template_loops_rendered(team):
    import re

    from django.template import engines

    from strategy.templatetags import overview_lists

    engine = engines["django"]
    rows = _rows_for_lists(team)
    squash = lambda html: re.sub(r">\s+<", "><", html).strip()  # noqa: E731
    for name, loop in LOOPS.items():
        expected = engine.from_string("{% load ui humanize %}" + loop).render({"rows": rows[name]})
        rendered = getattr(overview_lists, name)(rows[name])
        assert squash(rendered) == squash(expected), name
        assert "<b>" not in rendered, name  # escaped


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("at_risk", 'KPI "<x>" behind'),
            '<span class="badge badge--warn" title="KPI &quot;&lt;x&gt;&quot; behind">'
            '<span class="badge__icon" aria-hidden="true">'
            + icon("exclaim")
            + "</span>At risk</span>",
        ),
        (
            ("on_track", "", "On track · 82 & up"),
            '<span class="badge badge--ok"><span class="badge__icon" aria-hidden="true">'
            + icon("check")
            + "</span>"
            "On track · 82 &amp; up</span>",
        ),
        (
            (None,),
            '<span class="badge badge--none"><span class="badge__icon" aria-hidden="true">'
            + icon("circle")
            + "</span>"
            "Not scored yet</span>",
        ),
        (
            ("", "", ""),
            '<span class="badge badge--none"><span class="badge__icon" aria-hidden="true">'
            + icon("circle")
            + "</span>"
            "Not scored yet</span>",
        ),
    ],
)
def test_status_badge_says_the_status_in_words_with_an_icon_and_its_reason(args, expected):
    from strategy.templatetags.ui import status_badge

    assert status_badge(*args) == expected
    assert status_badge(*args) == expected  # the same from the cached parts
