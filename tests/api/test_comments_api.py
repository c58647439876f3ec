"""The comments API (issue #16): the same rules as the pages, field-level errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from activity.models import Comment
from metrics.models import OutboxMessage
from tests.api.conftest import token_client
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_post_with_a_mention_notifies_and_lists_for_the_reader(clients, plan, leader):
    response = clients["member"].post(
        "/api/v1/comments/",
        {"subject_type": "kpi", "subject_id": plan.kpi.pk, "body": "@leader numbers are in"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mentioned"] == [leader.pk]
    assert OutboxMessage.objects.filter(recipient=leader, event="mention").count() == 1
    listed = clients["viewer"].get(
        "/api/v1/comments/", {"subject_type": "kpi", "subject_id": plan.kpi.pk}
    )
    assert [c["id"] for c in listed.json()["results"]] == [body["id"]]


def test_a_mention_into_a_private_object_is_a_400_on_body(plan):
    insider = UserFactory(username="insider")
    MembershipFactory(user=insider, team=plan.secret_team, role="leader")
    response = token_client(insider, "admin").post(
        "/api/v1/comments/",
        {
            "subject_type": "objective",
            "subject_id": plan.secret_objective.pk,
            "body": "@leader see this",
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["body"]
    assert "cannot see" in errors[0]["message"]
    assert Comment.objects.count() == 0


def test_private_subjects_are_404_and_their_comments_never_listed(clients, plan):
    Comment.objects.create(
        subject_type="objective",
        subject_id=plan.secret_objective.pk,
        body="Canary-Secret-Comment",
    )
    response = clients["member"].post(
        "/api/v1/comments/",
        {"subject_type": "objective", "subject_id": plan.secret_objective.pk, "body": "Hi"},
        format="json",
    )
    assert response.status_code == 404
    listed = clients["leader"].get("/api/v1/comments/")
    assert "Canary-Secret" not in listed.content.decode()
    assert "Canary-Secret" in clients["admin"].get("/api/v1/comments/").content.decode()


def test_edit_window_and_delete_trace_through_the_api(clients, plan, member, settings):
    comment = Comment.objects.create(
        subject_type="objective", subject_id=plan.objective.pk, author=member, body="Frist"
    )
    url = f"/api/v1/comments/{comment.pk}/"
    assert clients["member"].patch(url, {"body": "First"}, format="json").status_code == 200
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES + 1)
    )
    late = clients["member"].patch(url, {"body": "Later"}, format="json")
    assert late.status_code == 403
    assert "minutes" in late.json()["detail"]
    assert clients["member"].delete(url).status_code == 204
    trace = clients["viewer"].get(url).json()
    assert (trace["is_deleted"], trace["body"]) == (True, "")
