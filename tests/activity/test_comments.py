"""Conversation on the work (issue #16): comments with @mentions on objectives, initiatives,
KPIs and alerts, an edit window, deletes that leave a trace, activity feeds and "What's new",
all read through strategy.access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from activity.comments import (
    comment_delete,
    comment_edit,
    comment_post,
    comments_visible_filter,
)
from activity.feeds import object_feed, whats_new
from activity.models import Comment
from initiatives.services import checkin_create
from metrics.models import OutboxMessage, TargetRevision
from strategy.access import access_for
from strategy.lifecycle import status_transition_record
from strategy.models import Objective
from tests.factories import (
    AlertFactory,
    InitiativeFactory,
    KPIFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def objective(team, leader):
    return ObjectiveFactory(team=team, title="Win the Nordics", owner=leader)


@pytest.fixture
def secret(company):
    """A private team with one insider and an objective nobody else may see."""
    team = TeamFactory(parent=company, is_private=True, name="Skunkworks")
    insider = UserFactory(username="insider")
    MembershipFactory(user=insider, team=team, role="leader")
    return ObjectiveFactory(team=team, title="Canary-Secret-Objective", owner=insider)


def mentions_to(user) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=user, event="mention"))


# --- mentions -------------------------------------------------------------------------------
def test_a_mention_notifies_the_person_once(objective, member, leader):
    comment = comment_post(subject=objective, author=member, body="@leader can you look? Thanks")
    assert list(comment.mentioned.all()) == [leader]
    sent = mentions_to(leader)
    assert len(sent) == 1
    assert "mentioned you" in sent[0].subject
    assert f"#comment-{comment.pk}" in sent[0].link
    # editing the comment does not tell the same person again
    comment_edit(comment=comment, subject=objective, body="@leader please look", by=member)
    assert len(mentions_to(leader)) == 1


def test_a_mention_follows_the_persons_preference(objective, member, leader):
    from metrics.preferences import preferences_update

    preferences_update(user=leader, data={"mention": "off"})
    comment_post(subject=objective, author=member, body="@leader FYI")
    assert mentions_to(leader) == []


def test_nobody_can_be_mentioned_into_a_private_object_they_cannot_see(secret, leader):
    insider = secret.owner
    with pytest.raises(ValidationError) as refused:
        comment_post(subject=secret, author=insider, body="@leader have a look")
    assert "@leader cannot see" in str(refused.value)
    assert Comment.objects.count() == 0
    assert mentions_to(leader) == []


def test_an_unknown_name_is_refused_and_an_email_address_mentions_nobody(objective, member):
    with pytest.raises(ValidationError, match="Nobody active is called @ghost"):
        comment_post(subject=objective, author=member, body="ask @ghost")
    comment = comment_post(subject=objective, author=member, body="mail ann@example.com")
    assert comment.mentioned.count() == 0


def test_the_page_refuses_a_hidden_mention_keeping_the_text(client, secret, leader):
    client.force_login(secret.owner)
    url = reverse("activity:comment-new", args=["objective", secret.pk])
    response = client.post(url, {"body": "@leader look at this draft"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot see" in html
    assert "@leader look at this draft" in html  # what was typed is kept
    htmx = client.post(url, {"body": "@leader again"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert htmx["HX-Retarget"] == "#comment-form"
    assert "cannot see" in htmx.content.decode()
    assert Comment.objects.count() == 0


# --- access ---------------------------------------------------------------------------------
def test_private_object_comments_are_never_shown_to_outsiders(client, secret, leader, outsider):
    comment_post(subject=secret, author=secret.owner, body="Canary-Secret-Comment")
    for person in (leader, outsider):
        client.force_login(person)
        page = client.get(reverse("activity:activity", args=["objective", secret.pk]))
        assert page.status_code == 404
        assert b"Canary-Secret" not in client.get(reverse("activity:whats-new")).content
    assert Comment.objects.filter(comments_visible_filter(access_for(leader))).count() == 0


def test_viewers_read_but_do_not_comment(client, objective, viewer, member):
    comment_post(subject=objective, author=member, body="Kick-off done")
    client.force_login(viewer)
    page = client.get(reverse("activity:activity", args=["objective", objective.pk]))
    assert b"Kick-off done" in page.content
    assert b'id="comment-form"' not in page.content
    url = reverse("activity:comment-new", args=["objective", objective.pk])
    assert client.post(url, {"body": "me too"}).status_code == 403
    with pytest.raises(PermissionDenied):
        comment_post(subject=objective, author=viewer, body="me too")


def test_comments_on_every_subject_kind(team, member, leader):
    initiative = InitiativeFactory(objective__team=team, team=team)
    kpi = KPIFactory(objective=initiative.objective, team=team)
    alert = AlertFactory(team=team, owner=leader)
    for subject in (initiative.objective, initiative, kpi, alert):
        comment = comment_post(subject=subject, author=member, body="@leader noted")
        feed = object_feed(subject=subject, access=access_for(leader))
        assert comment.pk in [i.comment.pk for i in feed if i.comment]
    assert len(mentions_to(leader)) == 4


# --- edit window and delete trace -----------------------------------------------------------
def test_edit_only_by_the_author_within_the_window(objective, member, leader, settings):
    settings.COMMENT_EDIT_MINUTES = 15
    posted = timezone.now() - dt.timedelta(minutes=14)
    comment = comment_post(subject=objective, author=member, body="Draft", now=posted)
    with pytest.raises(PermissionDenied, match="Only its author"):
        comment_edit(comment=comment, subject=objective, body="Hijack", by=leader)
    comment_edit(comment=comment, subject=objective, body="Final", by=member)
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at is not None) == ("Final", True)
    late = timezone.now() + dt.timedelta(minutes=2)
    with pytest.raises(PermissionDenied, match="15 minutes"):
        comment_edit(comment=comment, subject=objective, body="Later", by=member, now=late)


def test_the_edit_page_answers_in_place_and_refuses_after_the_window(
    client, objective, member, settings
):
    comment = comment_post(subject=objective, author=member, body="Typo hree")
    client.force_login(member)
    url = reverse("activity:comment-edit", args=[comment.pk])
    response = client.post(url, {"body": "Typo here"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="comment-{comment.pk}"' in response.content.decode()
    assert "Typo here" in response.content.decode()
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES + 1)
    )
    assert client.get(url).status_code == 403


def test_delete_leaves_a_trace(client, objective, member, admin, leader):
    comment = comment_post(subject=objective, author=member, body="@leader Canary-Removed")
    with pytest.raises(PermissionDenied):
        comment_delete(comment=comment, by=leader)
    client.force_login(member)
    response = client.post(
        reverse("activity:comment-delete", args=[comment.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Comment deleted" in response.content.decode()
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_by, comment.mentioned.count()) == ("", member, 0)
    page = client.get(reverse("activity:activity", args=["objective", objective.pk])).content
    assert b"Comment deleted by" in page
    assert b"Canary-Removed" not in page
    other = comment_post(subject=objective, author=leader, body="Off topic")
    comment_delete(comment=other, by=admin)  # the strategy office moderates


def test_posting_with_htmx_answers_the_comment_and_a_fresh_form(client, objective, member):
    client.force_login(member)
    url = reverse("activity:comment-new", args=["objective", objective.pk])
    response = client.post(url, {"body": "Hello team"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello team" in html
    assert 'hx-swap-oob="true"' in html
    assert "<script" not in html
    plain = client.post(url, {"body": "Without JavaScript"})
    assert plain.status_code == 302


# --- feeds ----------------------------------------------------------------------------------
def test_the_object_feed_merges_every_source_newest_first(team, member, leader, admin):
    initiative = InitiativeFactory(objective__team=team, team=team, owner=member)
    checkin_create(
        initiative=initiative, author=member, rag="amber", confidence=3, progress=50, summary="Mid"
    )
    status_transition_record(instance=initiative, from_status="active", by=leader)
    AlertFactory(team=team, subject_type="initiative", subject_id=initiative.pk)
    comment_post(subject=initiative, author=leader, body="Nice progress")
    kinds = {i.kind for i in object_feed(subject=initiative, access=access_for(member))}
    assert {"comment", "checkin", "status", "change"} <= kinds
    feed = object_feed(subject=initiative, access=access_for(member))
    assert [i.at for i in feed] == sorted((i.at for i in feed), reverse=True)


def test_kpi_feed_shows_target_revisions(team, member, leader):
    kpi = KPIFactory(objective=ObjectiveFactory(team=team), team=team)
    TargetRevision.objects.create(
        kpi=kpi,
        changed_by=leader,
        reason="Board raised it",
        old_plan={"target_value": 10},
        new_plan={"target_value": 12},
    )
    feed = object_feed(subject=kpi, access=access_for(member))
    assert any(i.kind == "target" and "Board raised it" in i.text for i in feed)


def test_whats_new_lists_my_work_and_my_mentions_not_my_own_actions(
    client, team, other_team, member, leader
):
    mine = InitiativeFactory(objective__team=team, team=team, owner=member)
    elsewhere = ObjectiveFactory(team=other_team, title="Other team's objective")
    comment_post(subject=mine, author=leader, body="Looks late")
    comment_post(subject=elsewhere, author=leader, body=f"@{member.username} FYI here")
    comment_post(subject=mine, author=member, body="My own note")
    checkin_create(
        initiative=mine, author=leader, rag="red", confidence=1, progress=5, summary="Blocked"
    )
    items = whats_new(
        user=member, access=access_for(member), since=timezone.now() - dt.timedelta(days=1)
    )
    texts = [i.text for i in items]
    assert "Looks late" in texts
    assert f"@{member.username} FYI here" in texts
    assert "My own note" not in texts
    assert any("Blocked" in t for t in texts)
    client.force_login(member)
    page = client.get(reverse("activity:whats-new"))
    assert page.status_code == 200
    assert b"Looks late" in page.content


def test_whats_new_does_not_name_private_work(client, secret, member):
    comment_post(subject=secret, author=secret.owner, body="Canary-Secret-Talk")
    Objective.objects.filter(pk=secret.pk).update(owner=member)  # owned, but hidden from them
    items = whats_new(
        user=member, access=access_for(member), since=timezone.now() - dt.timedelta(days=1)
    )
    assert all("Canary-Secret" not in (i.text + i.subject) for i in items)


# --- speed ----------------------------------------------------------------------------------
def _grow(team, member, leader, n: int):
    initiative = InitiativeFactory(objective__team=team, team=team, owner=member)
    for i in range(n):
        comment_post(subject=initiative, author=leader, body=f"Comment {i} @{member.username}")
        checkin_create(
            initiative=initiative,
            author=leader,
            rag="green",
            confidence=3,
            progress=i,
            summary=f"Check-in {i}",
        )
    return initiative


@pytest.mark.parametrize("n", [2, 10])
def test_activity_tab_query_count_does_not_grow(
    client, django_assert_num_queries, team, member, leader, n
):
    initiative = _grow(team, member, leader, n)
    client.force_login(member)
    client.get("/my-work/")
    # session, user, office group, memberships, teams (access); the initiative; comments;
    # check-ins; status changes; alert events; history: versions, object, the teams (chains
    # and privacy now), their history, names of objectives, teams and people, the versions'
    # contributors and their dependencies (the dependencies' titles: none here)
    with django_assert_num_queries(19):
        response = client.get(reverse("activity:activity", args=["initiative", initiative.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('class="feed__item feed__item--comment"') == n


@pytest.mark.parametrize("n", [2, 10])
def test_whats_new_query_count_does_not_grow(
    client, django_assert_num_queries, team, member, leader, n
):
    _grow(team, member, leader, n)
    client.force_login(member)
    client.get("/my-work/")
    # session, user, office group, memberships, teams (access); comments, check-ins, status
    # changes, target revisions, alert events; names of the comments' subjects
    with django_assert_num_queries(11):
        response = client.get(reverse("activity:whats-new"))
    assert response.status_code == 200
    assert response.content.decode().count("feed__item--comment") == n


def test_a_mention_matches_the_username_whatever_the_case(objective, member, leader):
    comment = comment_post(subject=objective, author=member, body="@Leader and @LEADER, see this")
    assert list(comment.mentioned.all()) == [leader]
    assert len(mentions_to(leader)) == 1


def test_a_mention_of_two_people_differing_only_by_case_is_refused_as_ambiguous(objective, member):
    UserFactory(username="sam")
    UserFactory(username="Sam")
    with pytest.raises(ValidationError, match="could be more than one person"):
        comment_post(subject=objective, author=member, body="@SAM please look")
    assert Comment.objects.count() == 0
