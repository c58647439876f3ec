"""Sessions (issue #21 §3): idle timeout and absolute lifetime (time-machine, no sleeping), the
page where a person sees and ends their other sessions, Clear-Site-Data on sign-out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def lifetimes(settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    settings.SESSION_MAX_AGE_HOURS = 12


def test_a_session_ends_after_the_idle_timeout(lifetimes, leader, plan):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in("leader")
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/overview/").status_code == 200  # still active: counts as activity
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/overview/").status_code == 200  # 29 minutes since the last request
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        response = client.get("/overview/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/overview/")
        assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
        page = client.get(response["Location"])
        assert "after 30 minutes without activity" in page.content.decode()
        assert client.get("/api/v1/teams/").status_code == 401


def test_a_session_ends_after_its_absolute_lifetime_however_active(lifetimes, leader, plan):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in("leader")
        for _ in range(11 * 4 + 3):  # a request every 15 minutes for 11 h 45 min
            clock.shift(dt.timedelta(minutes=15))
            assert client.get("/overview/").status_code == 200
        clock.shift(dt.timedelta(minutes=15))  # 12 h after sign-in
        response = client.get("/overview/")
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert "sessions last at most 12 hours" in page.content.decode()


def test_the_lifetimes_are_settings(settings, leader, plan):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    settings.SESSION_MAX_AGE_HOURS = 1
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in("leader")
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        assert client.get("/overview/").status_code == 302
        client = sign_in("leader")
        for _ in range(14):
            clock.shift(dt.timedelta(minutes=4))
            assert client.get("/overview/").status_code == 200
        clock.shift(dt.timedelta(minutes=4))  # 60 minutes after sign-in
        assert client.get("/overview/").status_code == 302


def test_the_session_cookie_and_row_do_not_outlive_the_absolute_lifetime(settings):
    from execsupport import settings as configured

    assert configured.SESSION_COOKIE_AGE == configured.SESSION_MAX_AGE_HOURS * 3600
    assert configured.SESSION_IDLE_TIMEOUT_MINUTES == 30
    assert configured.SESSION_MAX_AGE_HOURS == 12


def test_sign_out_clears_the_site_data(leader):
    client = sign_in("leader")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "_auth_user_id" not in client.session
    # Only a response that ended a session says so.
    assert "Clear-Site-Data" not in client.get("/accounts/login/")
    assert "Clear-Site-Data" not in sign_in("leader").get("/my-work/")


def test_the_sessions_page_lists_and_ends_the_other_sessions(leader, member, plan):
    laptop = sign_in("leader")
    phone = sign_in("leader")
    others = sign_in("member")
    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200
    assert UserSession.objects.filter(user=leader).count() == 2
    assert page.content.decode().count("<tr") == 3  # a header row and two sessions
    response = laptop.post("/accounts/sessions/", {})
    assert response.status_code == 302
    assert laptop.get("/my-work/").status_code == 200  # this one stays
    assert phone.get("/my-work/").status_code == 302  # the other one has ended
    assert others.get("/my-work/").status_code == 200  # someone else's are untouched
    assert UserSession.objects.filter(user=leader).count() == 1
    assert Session.objects.count() == 2


def test_the_user_menu_links_the_account_pages(leader, plan):
    html = sign_in("leader").get("/my-work/").content.decode()
    for url in ("/accounts/sessions/", "/accounts/2fa/", "/accounts/password/change/"):
        assert f'href="{url}"' in html
