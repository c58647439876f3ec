"""Pages of pulse surveys: create and send, answer from My work and from the e-mailed link,
results that show nothing for a 4-person team."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from metrics.models import OutboxMessage
from strategy.access import access_for
from surveys import services
from surveys.models import Participation, Survey, SurveyRound

from .conftest import people, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_round(survey, admin, team):
    from django.utils import timezone

    today = timezone.localdate()
    return send(
        survey,
        admin,
        [team],
        opens=today - dt.timedelta(days=1),
        closes=today + dt.timedelta(days=5),
    )


def _answer_today(round_, users, value=4):
    from django.utils import timezone

    codes = [q.code for q in round_.survey.questions.all() if q.kind == "scale"]
    for user in users:
        services.response_submit(
            user=user,
            round_=round_,
            team_id=None,
            scale=dict.fromkeys(codes, str(value)),
            text={},
            today=timezone.localdate(),
        )


def test_leader_creates_a_survey_from_a_template_and_sends_it(
    client, leader, team, member, strategy
):
    strategy.status = "active"
    strategy.save()
    client.force_login(leader)
    response = client.post(reverse("surveys:list"), {"template": "execution_pulse", "name": ""})
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert survey.questions.count() == 6
    today = dt.date.today()
    response = client.post(
        survey.get_absolute_url(),
        {
            "label": "June pulse",
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=7)).isoformat(),
            "team_ids": [team.id],
        },
    )
    round_ = SurveyRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == round_.get_absolute_url()
    # the member (and the leader) are told, with a link signed for each
    message = OutboxMessage.objects.get(recipient=member)
    assert "/surveys/answer/" in message.link
    assert message.dedupe_key == f"survey-round:{round_.pk}"


def test_round_form_keeps_what_was_typed_on_error(client, leader, team, survey):
    client.force_login(leader)
    response = client.post(
        survey.get_absolute_url(),
        {
            "label": "Kept",
            "opens_on": "2026-06-10",
            "closes_on": "2026-06-01",
            "team_ids": [team.id],
        },
    )
    assert response.status_code == 200
    assert b"The survey must close on or after" in response.content
    assert b'value="Kept"' in response.content
    assert not SurveyRound.objects.exists()


def test_member_cannot_send_a_survey(client, member, survey, team):
    client.force_login(member)
    response = client.post(survey.get_absolute_url(), {"label": "x"})
    assert response.status_code == 403


def test_member_answers_from_my_work(client, member, today_round):
    client.force_login(member)
    page = client.get(reverse("initiatives:my-work"))
    assert b"Survey open for you" in page.content
    url = reverse("surveys:answer", args=[today_round.pk])
    assert url.encode() in page.content
    form = {f"q_{q.code}": "4" for q in today_round.survey.questions.all() if q.kind == "scale"}
    bad = client.post(url, {**form, "q_know_priorities": "9", "q_comment": "typed text"})
    assert bad.status_code == 400
    assert b"typed text" in bad.content
    response = client.post(url, {**form, "q_comment": "More focus please"})
    assert response.status_code == 302
    assert Participation.objects.filter(person=member).count() == 1
    assert b"Survey open for you" not in client.get(reverse("initiatives:my-work")).content
    again = client.post(url, form)
    assert again.status_code == 409
    assert Participation.objects.filter(person=member).count() == 1


def test_emailed_link_works_only_for_its_person(client, member, leader, today_round):
    token = services.answer_link_token(user_id=member.pk, round_id=today_round.pk)
    url = reverse("surveys:answer-link", args=[token])
    client.force_login(leader)
    assert client.get(url).status_code == 404
    assert client.get(url[:-3] + "abc/").status_code == 404
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:answer", args=[today_round.pk])


def test_a_four_person_team_shows_nothing_on_the_round_page(client, leader, team, today_round):
    _answer_today(today_round, people(team, 4), value=2)
    client.force_login(leader)
    page = client.get(today_round.get_absolute_url()).content.decode()
    assert "Not shown" in page
    assert "Fewer than 5 people answered" in page
    assert re.search(r"\d+ of \d+", page) is None  # response count hidden below the threshold
    assert '<td class="num">4</td>' not in page


def test_results_appear_once_enough_people_answered(client, survey, admin, leader, team):
    from django.utils import timezone

    crowd = people(team, 6)
    today = timezone.localdate()
    round_ = send(survey, admin, [team], opens=today, closes=today)
    _answer_today(round_, crowd[:5], value=2)
    client.force_login(leader)
    page = client.get(round_.get_absolute_url()).content.decode()
    assert "5 of 7" in page  # 5 answered of the 7 invited (6 people and the leader)
    assert ">2.0<" in page


def test_outsider_cannot_see_a_round(client, outsider, today_round):
    client.force_login(outsider)
    assert client.get(today_round.get_absolute_url()).status_code == 404
    assert client.get(reverse("surveys:answer", args=[today_round.pk])).status_code == 404


def test_leader_closes_and_reopens(client, leader, today_round, member):
    client.force_login(leader)
    client.post(reverse("surveys:close", args=[today_round.pk]))
    today_round.refresh_from_db()
    assert today_round.closed_early
    client.force_login(member)
    assert b"Survey open for you" not in client.get(reverse("initiatives:my-work")).content
    client.force_login(leader)
    client.post(reverse("surveys:reopen", args=[today_round.pk]))
    today_round.refresh_from_db()
    assert not today_round.closed_early


def test_round_page_query_count_is_constant(
    client, admin, team, other_team, survey, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    today = timezone.localdate()
    round_ = send(survey, admin, [team, other_team], opens=today, closes=today)
    _answer_today(round_, people(team, 5))
    client.force_login(admin)
    client.get(round_.get_absolute_url())
    with CaptureQueriesContext(connection) as small:
        client.get(round_.get_absolute_url())
    _answer_today(round_, people(other_team, 10))
    _answer_today(round_, people(team, 5, prefix="more"))
    with CaptureQueriesContext(connection) as large:
        client.get(round_.get_absolute_url())
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    with CaptureQueriesContext(connection) as listing:
        client.get(reverse("surveys:list"))
    for i in range(3):
        services.survey_create(
            access=access_for(admin),
            user=admin,
            strategy=survey.strategy,
            template="strategy_clarity",
            name=f"S{i}",
        )
    with CaptureQueriesContext(connection) as listing_large:
        client.get(reverse("surveys:list"))
    assert len(listing_large) == len(listing)
