"""Answering: one answer per person per round, and nothing in the database links an answer to
the person who gave it (no key, id, time stamp or order)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models

from strategy.access import access_for
from surveys import services
from surveys.models import Answer, Participation, PendingPool, Response

from .conftest import TODAY, answer, people, send

pytestmark = pytest.mark.django_db


def test_one_answer_per_person_per_round(survey, admin, team):
    round_ = send(survey, admin, [team])
    (person,) = people(team, 1)
    answer(round_, [person])
    with pytest.raises(services.AlreadyAnswered):
        answer(round_, [person], value=1)
    assert Participation.objects.filter(round=round_).count() == 1
    assert len(PendingPool.objects.get(round=round_).responses) == 1
    other = send(survey, admin, [team], label="Next")
    answer(other, [person])  # a new round is a new answer


def test_invalid_answers_write_nothing(survey, admin, team):
    round_ = send(survey, admin, [team])
    (person,) = people(team, 1)
    with pytest.raises(ValidationError) as caught:
        services.response_submit(
            user=person,
            round_=round_,
            team_id=None,
            scale={"know_priorities": "6", "have_resources": "2.5"},
            text={},
            today=TODAY,
        )
    assert set(caught.value.message_dict) >= {
        "know_priorities",
        "have_resources",
        "understand_strategy",
    }
    assert not Participation.objects.exists()
    assert not PendingPool.objects.exists()


def test_only_invited_people_answer_while_open(survey, admin, team, other_team, outsider):
    round_ = send(survey, admin, [team])
    (stranger,) = people(other_team, 1)
    for user in (stranger, outsider):
        with pytest.raises(PermissionDenied):
            answer(round_, [user])
    services.round_close(access=access_for(admin), round_=round_)
    (person,) = people(team, 1)
    with pytest.raises(PermissionDenied):
        answer(round_, [person])
    services.round_reopen(access=access_for(admin), round_=round_, today=TODAY)
    answer(round_, [person])
    with pytest.raises(ValidationError):
        services.round_reopen(
            access=access_for(admin), round_=round_, today=TODAY + dt.timedelta(days=30)
        )


def test_answer_tables_hold_nothing_that_points_at_a_person():
    for model in (Response, Answer):
        assert isinstance(model._meta.pk, models.UUIDField), model
        for field in model._meta.get_fields():
            assert not isinstance(
                field, models.DateField | models.DateTimeField | models.TimeField
            ), field
            if field.is_relation and field.related_model is not None:
                assert field.related_model._meta.label not in {
                    "auth.User",
                    "surveys.Participation",
                }, field
    for field in Participation._meta.get_fields():
        assert not isinstance(field, models.DateField | models.DateTimeField), field
        if field.is_relation:
            assert field.related_model._meta.label in {"surveys.SurveyRound", "auth.User"}, field
    # nothing else in the project points at an answer
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and model not in (Answer,):
                assert field.related_model not in (Response, Answer) or model is Answer, field


def _physical_order(model) -> list:
    table = model._meta.db_table
    column = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} ORDER BY {column}")  # noqa: S608 - fixed names
        return [str(row[0]).replace("-", "") for row in cursor.fetchall()]


def test_stored_order_follows_a_shuffle_not_the_answering_order(survey, admin, team, monkeypatch):
    # A deterministic "shuffle" (reverse) shows that the order of the rows is the shuffle's.
    monkeypatch.setattr(services._random, "shuffle", lambda items: items.reverse())
    monkeypatch.setattr(services._random, "randint", lambda a, b: b)  # pool appends
    round_ = send(survey, admin, [team])
    answer(round_, people(team, 5), values=[1, 2, 3, 4, 5])
    know = survey.questions.get(code="know_priorities")
    ordered = [
        Answer.objects.get(response_id=rid, question=know).value
        for rid in _physical_order(Response)
    ]
    assert ordered == [5, 4, 3, 2, 1]


def test_every_write_rewrites_the_team_with_fresh_keys(survey, admin, team):
    round_ = send(survey, admin, [team])
    answer(round_, people(team, 5))
    first = set(Response.objects.values_list("id", flat=True))
    answer(round_, people(team, 5, prefix="more"))
    second = set(Response.objects.values_list("id", flat=True))
    assert len(first) == 5
    assert len(second) == 10
    assert not first & second


def test_the_pool_order_is_random(survey, admin, team):
    random.seed(0)
    round_ = send(survey, admin, [team])
    orders = set()
    for attempt in range(6):
        PendingPool.objects.filter(round=round_).delete()
        Participation.objects.filter(round=round_).delete()
        users = people(team, 4, prefix=f"a{attempt}")
        answer(round_, users, values=[1, 2, 3, 4])
        pool = PendingPool.objects.get(round=round_)
        orders.add(tuple(r["scale"]["know_priorities"] for r in pool.responses))
    assert len(orders) > 1  # 6 draws of 24 orders: all equal with probability 24**-5


def test_surveys_never_enter_history_or_activity(survey, admin, team, member):
    from activity.feeds import whats_new

    for model in apps.get_app_config("surveys").get_models():
        assert not hasattr(model, "history"), model
    others = people(team, 4)
    history_models = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    before = {m: m.objects.count() for m in history_models}
    since = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    feed_before = whats_new(user=member, access=access_for(member), since=since)
    round_ = send(survey, admin, [team])
    answer(round_, [member, *others])
    services.round_close(access=access_for(admin), round_=round_)
    assert {m: m.objects.count() for m in history_models} == before
    assert whats_new(user=member, access=access_for(member), since=since) == feed_before
    assert whats_new(user=admin, access=access_for(admin), since=since) == []


def test_no_admin_page_shows_answers():
    from django.contrib import admin

    for model in (Response, Answer, Participation, PendingPool):
        assert not admin.site.is_registered(model), model
