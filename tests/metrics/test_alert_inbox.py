"""The alerts inbox (issue #14 §3): pages through every alert, keeps its filters in the URL, and
acknowledges or resolves the ticked alerts, each checked against the reader's permission."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from metrics.models import Alert
from strategy.derived import part, ref
from tests.factories import AlertFactory, KPIFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/alerts/"


def _alerts(team, n: int, **kwargs) -> list[Alert]:
    """``n`` alerts, the first the newest (the inbox's order), titled "Alert 1".. "Alert n"."""
    now = timezone.now()
    return [
        AlertFactory(
            team=team,
            title=f"Alert {i}",
            opened_at=now - dt.timedelta(minutes=i),
            **kwargs,
        )
        for i in range(1, n + 1)
    ]


def _titles(html: str) -> list[str]:
    return re.findall(r'class="list__title">(Alert \d+)<', html)


def test_inbox_pages_through_every_alert(client, leader, team):
    """Before: the inbox stopped at the 50 most severe of 99; alerts 51..99 were unreachable."""
    _alerts(team, 99)
    client.force_login(leader)
    first = client.get(INBOX).content.decode()
    assert "99 alerts" in first
    assert _titles(first) == [f"Alert {i}" for i in range(1, 51)]
    second = client.get(INBOX, {"page": 2}).content.decode()
    assert _titles(second) == [f"Alert {i}" for i in range(51, 100)]
    assert "51\u201399 of 99" in second


@pytest.mark.parametrize("page", ["0", "abc", "999", "-1"])
def test_an_odd_page_number_shows_the_nearest_page(client, leader, team, page):
    _alerts(team, 60)
    client.force_login(leader)
    response = client.get(INBOX, {"page": page})
    assert response.status_code == 200
    assert len(_titles(response.content.decode())) in (50, 10)


def test_page_links_keep_the_filters(client, leader, team):
    _alerts(team, 55, severity=Alert.Severity.CRITICAL)
    _alerts(team, 3, severity=Alert.Severity.INFO)
    client.force_login(leader)
    html = client.get(INBOX, {"severity": 3, "status": "active", "mine": ""}).content.decode()
    assert "55 alerts" in html
    nxt = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "severity=3" in nxt and "page=2" in nxt  # noqa: PT018
    assert nxt.startswith("?")  # relative to the inbox
    second = client.get(INBOX + nxt).content.decode()
    assert len(_titles(second)) == 5
    # The bulk form sends the reader back to the page and filters they came from.
    assert 'name="next" value="/alerts/?severity=3' in html


def test_bulk_acknowledge_then_resolve(client, leader, team):
    alerts = _alerts(team, 3)
    client.force_login(leader)
    ids = [a.pk for a in alerts[:2]]
    back = "/alerts/?severity=2&page=1"
    response = client.post(
        reverse("metrics:alert-bulk"), {"action": "acknowledge", "ids": ids, "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back  # noqa: PT018
    statuses = dict(Alert.objects.values_list("pk", "status"))
    assert [statuses[a.pk] for a in alerts] == ["acknowledged", "acknowledged", "open"]
    assert Alert.objects.get(pk=ids[0]).acknowledged_by == leader
    page = client.get(back).content.decode()
    assert "Acknowledged 2 alerts." in page
    client.post(reverse("metrics:alert-bulk"), {"action": "resolve", "ids": [a.pk for a in alerts]})
    assert set(Alert.objects.values_list("status", "resolved_by")) == {("resolved", leader.pk)}
    assert "Resolved 3 alerts." in client.get(INBOX).content.decode()


def test_bulk_with_a_partial_permission_changes_what_it_may_and_says_why(client, leader, team):
    ours = _alerts(team, 2, owner=UserFactory())
    finance = TeamFactory(name="Finance")
    theirs = _alerts(finance, 1, owner=UserFactory())
    client.force_login(leader)
    client.post(
        reverse("metrics:alert-bulk"),
        {"action": "resolve", "ids": [a.pk for a in ours + theirs]},
    )
    assert [Alert.objects.get(pk=a.pk).status for a in ours] == ["resolved", "resolved"]
    assert Alert.objects.get(pk=theirs[0].pk).status == "open"
    html = client.get(INBOX).content.decode()
    assert "Resolved 2 alerts." in html
    assert "1 of the 3 alerts you ticked was not resolved" in html
    assert "alerts you own or of teams you lead (here: Finance)" in html


def test_bulk_never_touches_an_alert_the_reader_may_not_see(client, member, team):
    secret = _alerts(TeamFactory(is_private=True, name="Skunkworks"), 1, owner=member)
    mine = _alerts(team, 1, owner=member)
    client.force_login(member)
    client.post(
        reverse("metrics:alert-bulk"),
        {"action": "acknowledge", "ids": [secret[0].pk, mine[0].pk, "abc"]},
    )
    assert Alert.objects.get(pk=secret[0].pk).status == "open"
    assert Alert.objects.get(pk=mine[0].pk).status == "acknowledged"
    html = client.get(INBOX).content.decode()
    assert "2 of the alerts you ticked no longer exist or are not visible to you." in html
    assert "Skunkworks" not in html


def test_bulk_says_what_was_already_done(client, leader, team):
    alert = _alerts(team, 1, status=Alert.Status.RESOLVED, resolved_at=timezone.now())[0]
    client.force_login(leader)
    client.post(reverse("metrics:alert-bulk"), {"action": "acknowledge", "ids": [alert.pk]})
    assert "1 was already acknowledged or resolved." in client.get(INBOX).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "acknowledge"}, "Tick the alerts to change first."),
        ({"action": "delete", "ids": ["1"]}, "Choose Acknowledge or Resolve."),
        ({"action": "resolve", "ids": [str(i) for i in range(1, 202)]}, "At most 200 alerts"),
    ],
)
def test_bulk_bad_input_is_a_clear_message(client, leader, team, data, message):
    client.force_login(leader)
    response = client.post(reverse("metrics:alert-bulk"), data)
    assert response.status_code == 302
    assert message in client.get(INBOX).content.decode()


def test_bulk_needs_the_csrf_token(leader, team):
    alert = _alerts(team, 1)[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(leader)
    response = browser.post(reverse("metrics:alert-bulk"), {"action": "resolve", "ids": [alert.pk]})
    assert response.status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"
    # The page's own form carries the token.
    assert 'name="csrfmiddlewaretoken"' in browser.get(INBOX).content.decode()


def test_a_viewer_gets_no_bulk_form(client, viewer, team):
    _alerts(team, 2, owner=UserFactory())
    client.force_login(viewer)
    html = client.get(INBOX).content.decode()
    assert 'id="alert-bulk"' not in html and 'name="ids"' not in html  # noqa: PT018


# session, user, strategy-office group, memberships, teams (access_for), the count of the
# filtered alerts, the page of alerts (owner, team, acknowledged/resolved by joined), the labels
# of what they mention (one UNION, strategy.derived), the KPI keys of the subjects' links, the
# periods, themes and people the team/owner/theme/period filters offer (metrics.lists)
INBOX_QUERIES = 12


@pytest.mark.parametrize(("n", "page"), [(3, 1), (120, 1), (120, 3)])
def test_inbox_queries_do_not_grow_with_alerts(
    client, leader, team, n, page, django_assert_num_queries
):
    kpi = KPIFactory(team=team)
    for alert in _alerts(team, n):
        alert.subject_id = kpi.pk if alert.pk % 2 else alert.subject_id
        alert.title_parts = part("{k}: {s}", k="KPI off track", s=ref("kpi", kpi.pk))
        alert.save(update_fields=["subject_id", "title_parts"])
    client.force_login(leader)
    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get(INBOX, {"page": page, "severity": 2})
    assert response.status_code == 200
