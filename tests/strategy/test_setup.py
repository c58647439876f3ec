"""First run: the setup link, the setup checklist and the empty overview (issue #15)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from strategy.models import STRATEGY_OFFICE_GROUP, Membership, Strategy
from strategy.setup import SKIPPABLE_STEPS, setup_link_path, setup_link_tokens
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    PeriodFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)
from workspace.setup import setup_checklist

pytestmark = pytest.mark.django_db
PASSWORD = "tangerine-orbit-48-lantern"


def _setup_link(**options) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("setup_link", stdout=out, stderr=err, **options)
    assert "valid once until" in err.getvalue()
    url = out.getvalue().strip()
    assert re.fullmatch(r"http://\S+/setup/link/[^/]+/[^/]+/", url), url
    return "/" + url.split("/", 3)[3]


# --- the empty install ------------------------------------------------------------------------
def test_empty_overview_leads_to_the_setup_checklist_not_the_admin(client, admin):
    """Reproduction: the overview said "create one in the admin" (a link to /admin/)."""
    client.force_login(admin)
    html = client.get("/overview/").content.decode()
    assert "/admin/" not in html
    assert f'href="{reverse("strategy:setup")}"' in html
    assert "setup checklist" in html


def test_overview_links_the_office_to_setup_but_not_a_leader(client, admin, leader, plan):
    client.force_login(admin)
    assert "Set up and manage the plan" in client.get("/overview/").content.decode()
    client.force_login(leader)
    assert "Set up and manage the plan" not in client.get("/overview/").content.decode()


# --- the setup link ---------------------------------------------------------------------------
def test_setup_link_creates_an_office_person_who_sets_a_password_and_lands_on_setup(client, db):
    path = _setup_link(username="founder", email="founder@example.com")
    person = get_user_model().objects.get(username="founder")
    assert person.groups.filter(name=STRATEGY_OFFICE_GROUP).exists()
    assert not person.has_usable_password()

    page = client.get(path)
    assert page.status_code == 200
    assert "Choose your password" in page.content.decode()
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("strategy:setup")
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert client.get(reverse("strategy:setup")).status_code == 200  # signed in


def test_setup_link_works_once(client, db):
    path = _setup_link()
    client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()
    again = client.get(path)
    assert again.status_code == 400
    assert "cannot be used" in again.content.decode()
    assert (
        client.post(path, {"new_password1": "x" * 20, "new_password2": "x" * 20}).status_code == 400
    )
    assert get_user_model().objects.get(username="office").check_password(PASSWORD)


def test_setup_link_expires(client, db, settings, monkeypatch):
    settings.SETUP_LINK_HOURS = 2
    path = _setup_link()
    later = dt.datetime.now() + dt.timedelta(hours=2, minutes=1)
    monkeypatch.setattr(type(setup_link_tokens), "_now", lambda self: later)
    assert client.get(path).status_code == 400
    monkeypatch.setattr(
        type(setup_link_tokens), "_now", lambda self: later - dt.timedelta(minutes=2)
    )
    assert client.get(path).status_code == 200


def test_altered_setup_link_is_refused(client, db):
    path = _setup_link()
    assert client.get(path[:-3] + "zz/").status_code == 400
    assert client.get("/setup/link/!!!/abc-def/").status_code == 400
    assert client.get("/setup/link/OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/").status_code == 400


def test_password_reset_token_is_no_setup_link(client, db):
    from django.contrib.auth.tokens import default_token_generator

    path = _setup_link()
    user = get_user_model().objects.get(username="office")
    uid = path.split("/")[3]
    assert (
        client.get(f"/setup/link/{uid}/{default_token_generator.make_token(user)}/").status_code
        == 400
    )


def test_setup_link_of_someone_no_longer_in_the_office_is_refused(client, db):
    path = _setup_link()
    user = get_user_model().objects.get(username="office")
    user.groups.clear()
    assert client.get(path).status_code == 400


def test_weak_password_is_refused_and_the_link_still_works(client, db):
    path = _setup_link()
    response = client.post(path, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert client.get(path).status_code == 200


def test_setup_link_refuses_an_existing_person_outside_the_office(db, member):
    with pytest.raises(CommandError, match="not in the strategy office"):
        call_command("setup_link", username="member", stdout=io.StringIO(), stderr=io.StringIO())
    assert not member.groups.exists()


def test_setup_link_for_an_existing_office_person(client, admin):
    path = _setup_link(username="office")
    assert path == setup_link_path(user=admin)  # same person, same moment, same state
    assert client.get(path).status_code == 200


# --- the checklist ----------------------------------------------------------------------------
def _steps(strategy) -> dict[str, tuple[bool, bool]]:
    return {s.key: (s.done, s.skipped) for s in setup_checklist(strategy=strategy).steps}


def test_checklist_of_a_fresh_install_has_every_step_left(db):
    checklist = setup_checklist(strategy=None)
    assert [s.key for s in checklist.steps] == ["strategy", *SKIPPABLE_STEPS]
    assert checklist.left == 6
    assert checklist.next_step.key == "strategy"


def test_checklist_steps_are_done_from_the_data(db):
    strategy = StrategyFactory(horizon_start=dt.date(2027, 1, 1), horizon_end=dt.date(2029, 12, 31))
    PeriodFactory(name="Old", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 3, 31))
    assert _steps(strategy)["periods"] == (False, False)  # outside the horizon
    PeriodFactory(name="Q1 2027", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 3, 31))
    theme = ThemeFactory(strategy=strategy)
    company = TeamFactory(kind="company", parent=None, slug="co")
    office = UserFactory(username="boss")
    assert _steps(strategy)["teams"] == (False, False)  # no leader yet
    MembershipFactory(user=office, team=company, role=Membership.Role.LEADER)
    assert _steps(strategy)["people"] == (False, False)  # one person alone
    MembershipFactory(user=UserFactory(), team=company, role=Membership.Role.MEMBER)
    objective = ObjectiveFactory(strategy=strategy, theme=theme, team=company)
    KPIFactory(objective=objective, team=company)
    assert _steps(strategy)["first_objective"] == (False, False)  # no initiative yet
    InitiativeFactory(objective=objective, team=company)
    steps = _steps(strategy)
    assert all(done for done, _ in steps.values()), steps
    assert setup_checklist(strategy=strategy).left == 0


def test_checklist_runs_a_constant_number_of_queries(db, django_assert_num_queries):
    strategy = StrategyFactory()
    # periods, themes, objectives, KPIs, initiatives, teams (and leaders), people
    with django_assert_num_queries(7):
        setup_checklist(strategy=strategy)


def test_office_skips_a_step_and_takes_it_up_again_stored_on_the_strategy(client, admin):
    strategy = StrategyFactory()
    client.force_login(admin)
    response = client.post("/setup/skip/", {"step": "themes", "skip": "1"})
    assert response.status_code == 302
    strategy.refresh_from_db()
    assert strategy.setup_skipped == ["themes"]
    assert _steps(strategy)["themes"] == (False, True)
    html = client.get("/setup/").content.decode()
    assert "Skipped" in html
    assert "Take up again" in html
    # Another office person (another session) sees the same skip.
    other = UserFactory(is_superuser=True)
    client.force_login(other)
    assert "Take up again" in client.get("/setup/").content.decode()
    client.post("/setup/skip/", {"step": "themes", "skip": "0"})
    strategy.refresh_from_db()
    assert strategy.setup_skipped == []


def test_the_strategy_step_and_unknown_steps_cannot_be_skipped(client, admin):
    strategy = StrategyFactory()
    client.force_login(admin)
    for step in ("strategy", "nope", ""):
        client.post("/setup/skip/", {"step": step, "skip": "1"})
    strategy.refresh_from_db()
    assert strategy.setup_skipped == []


def test_skipping_needs_a_strategy(client, admin):
    client.force_login(admin)
    response = client.post("/setup/skip/", {"step": "themes", "skip": "1"}, follow=True)
    assert "Set up the strategy first" in response.content.decode()
    assert not Strategy.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "member", "viewer", "outsider"])
def test_only_the_office_sees_and_changes_the_checklist(client, request, persona):
    strategy = StrategyFactory()
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/setup/").status_code == 403
    assert client.post("/setup/skip/", {"step": "themes", "skip": "1"}).status_code == 403
    strategy.refresh_from_db()
    assert strategy.setup_skipped == []


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for url in ("/setup/", "/manage/teams/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert client.post("/setup/skip/", {"step": "themes", "skip": "1"}).status_code == 302


def test_checklist_page_shows_every_step_with_its_state(client, admin):
    client.force_login(admin)
    html = client.get("/setup/").content.decode()
    for title in ("Strategy", "Periods", "Themes", "Team tree", "People", "First objective"):
        assert title in html
    assert "6 steps left" in html
    assert reverse("strategy:manage-strategy-new") in html


@pytest.mark.parametrize("extra", [0, 6])
def test_checklist_page_runs_a_constant_number_of_queries(
    client, admin, extra, django_assert_num_queries
):
    strategy = StrategyFactory()
    for i in range(extra):
        ThemeFactory(strategy=strategy, name=f"T{i}")
        PeriodFactory(name=f"P{i}")
        TeamFactory(name=f"Team {i}", slug=f"team-{i}", parent=None, kind="company")
    client.force_login(admin)
    # session, user, office group, current strategy, then the checklist's 7
    with django_assert_num_queries(11):
        assert client.get("/setup/").status_code == 200


def test_setup_link_of_a_person_with_a_second_factor_still_asks_for_it(client, admin):
    """The link sets the password and then signs in as a password sign-in does: someone who
    has an authenticator app is asked for its code before any page."""
    from tests.test_mfa import enrol_totp, signed_in_user_id, totp_code

    enrolling = type(client)()
    enrolling.force_login(admin)
    secret = enrol_totp(enrolling)
    path = _setup_link(username="office")
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert signed_in_user_id(client) == str(admin.pk)
    assert response["Location"] == reverse("strategy:setup")


def test_account_menu_offers_setup_to_the_office_only(client, admin, leader, plan):
    client.force_login(admin)
    assert 'href="/setup/">Set up the plan' in client.get("/my-work/").content.decode()
    client.force_login(leader)
    assert "/setup/" not in client.get("/my-work/").content.decode()


def test_people_step_leads_to_the_people_page(db):
    steps = {s.key: s for s in setup_checklist(strategy=StrategyFactory()).steps}
    assert steps["people"].url == reverse("strategy:people")


def test_checklist_counts_each_team_and_every_kpi_of_the_strategy_once(db):
    strategy = StrategyFactory()
    company = TeamFactory(kind="company", parent=None, slug="co")
    other = TeamFactory(parent=company, slug="other")
    for role in ("leader", "leader", "member", "member"):
        MembershipFactory(user=UserFactory(), team=company, role=role)
    MembershipFactory(user=UserFactory(), team=other, role="member")
    objective = ObjectiveFactory(strategy=strategy, team=company)
    initiative = InitiativeFactory(objective=objective, team=company)
    KPIFactory(objective=objective, team=company)
    KPIFactory(objective=None, initiative=initiative, team=company)
    KPIFactory(objective=ObjectiveFactory(strategy=StrategyFactory(), team=company), team=company)
    details = {s.key: s.detail for s in setup_checklist(strategy=strategy).steps}
    assert details["teams"] == "2 teams, 1 with a leader."
    assert details["people"].endswith(", 5 with a role in a team.")
    assert details["first_objective"] == "1 objective, 2 KPIs, 1 initiative."


def test_a_flushed_database_keeps_the_strategy_office_group(transactional_db):
    """What migrate leaves, flush leaves: the office group comes back through post_migrate
    (strategy.apps), so a transactional test's flush does not change the next test's world."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    Group.objects.filter(name=STRATEGY_OFFICE_GROUP).delete()
    call_command("flush", interactive=False, verbosity=0)
    assert Group.objects.filter(name=STRATEGY_OFFICE_GROUP).count() == 1
