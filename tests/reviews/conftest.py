"""Fixtures of the review cycle: a scored plan (Engineering private) and a monthly strategy
review with one meeting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reviews.models import Meeting, Review
from tests.plan_data import plan_build


@pytest.fixture
def private_plan(team, other_team, leader, member, viewer):
    other_team.is_private = True
    other_team.save()
    return plan_build(size=2, team=team, other_team=other_team, member=member, leader=leader)


@pytest.fixture
def review(private_plan, leader, member):
    review = Review.objects.create(
        name="Monthly business review",
        strategy=private_plan.strategy,
        scope=Review.Scope.STRATEGY,
        cadence=Review.Cadence.MONTHLY,
        owner=leader,
    )
    review.participants.set([leader, member])
    return review


@pytest.fixture
def meeting(review):
    return Meeting.objects.create(review=review, starts_at=timezone.now() - dt.timedelta(hours=1))


@pytest.fixture
def fake_layout(monkeypatch):
    """Layout replaced by a stand-in whose "PDF" is the HTML it was given (no WeasyPrint)."""
    calls = []

    def layout(html, *, base_url):
        calls.append(base_url)
        return b"%PDF-fake " + html.encode(), 1

    monkeypatch.setattr("reviews.pdf.html_to_pdf_pages", layout)
    return calls


@pytest.fixture
def other_member(other_team):
    """A member of the private Engineering team: who may own its action items."""
    from strategy.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="engineer")
    MembershipFactory(user=user, team=other_team, role=Membership.Role.MEMBER)
    return user
