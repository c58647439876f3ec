"""Lists read with values() (``execsupport.rows``) give exactly what the serializer gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from execsupport.api_urls import router
from execsupport.rows import RowPlan
from metrics.models import KPI, GapScore, SubjectType
from metrics.selectors import attach_latest_scores
from tests.factories import GapScoreFactory, InitiativeFactory, KPIFactory, UserFactory

FLAT = {
    prefix: viewset
    for prefix, viewset, _ in router.registry
    if getattr(viewset, "flat_rows", False)
}


def test_the_polled_lists_are_flat():
    assert set(FLAT) == {"kpis", "initiatives"}


def _variety(plan, member) -> None:
    """Rows with and without every optional value, scores with and without nulls."""
    kpi = KPIFactory(
        objective=None,
        initiative=plan.initiative,
        team=plan.team,
        owner=None,
        kind=KPI.Kind.LEADING,
        direction=KPI.Direction.RANGE,
        range_low=1.5,
        range_high=2.25,
        weight=Decimal("2.50"),
    )
    GapScoreFactory(
        subject_type=SubjectType.KPI,
        subject_id=kpi.pk,
        status=GapScore.Status.NO_DATA,
        score=None,
        progress=None,
        expected_progress=None,
        gap=None,
        computed_at=timezone.make_aware(dt.datetime(2026, 3, 1, 23, 30, 0, 123456), dt.UTC),
    )
    KPIFactory(objective=plan.objective, owner=member, target_value=123456.789)  # no score
    initiative = InitiativeFactory(objective=plan.objective, owner=None, progress=0)
    initiative.contributors.set([member, UserFactory(), UserFactory()])
    GapScoreFactory(  # a whole second: written without microseconds
        subject_type=SubjectType.INITIATIVE,
        subject_id=initiative.pk,
        computed_at=timezone.make_aware(dt.datetime(2026, 3, 2, 8, 0, 0), dt.UTC),
    )


def _by_serializer(prefix: str, user, ids: list[int]) -> list[dict]:
    viewset = FLAT[prefix]
    queryset = viewset.queryset.filter(pk__in=ids)  # with the viewset's prefetches
    objects = sorted(queryset, key=lambda o: ids.index(o.pk))
    attach_latest_scores(objects, subject_type=viewset.score_subject_type)
    request = APIRequestFactory().get("/")
    request.user = user
    return [dict(row) for row in viewset.serializer_class(objects, many=True).data]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "America/St_Johns"])
@pytest.mark.parametrize("prefix", sorted(FLAT))
def test_flat_rows_equal_the_serializer(prefix, zone, plan, admin, member, settings, client):
    settings.TIME_ZONE = zone
    _variety(plan, member)
    client.force_login(admin)
    response = client.get(f"/api/v1/{prefix}/?page_size=100")
    assert response.status_code == 200
    flat = response.json()["results"]
    with timezone.override(zone):
        expected = _by_serializer(prefix, admin, [row["id"] for row in flat])
    assert len(flat) >= 3
    assert flat == expected
    # Both time-zone offsets and UTC's "Z" are exercised.
    stamps = [row["created_at"] for row in flat]
    assert all(s.endswith("Z") for s in stamps) == (zone == "UTC")


def test_a_field_with_no_flat_form_is_refused_when_the_plan_is_built():
    class Odd(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = KPI
            fields = ["id", "shout"]

        def get_shout(self, obj):
            return obj.name.upper()

    with pytest.raises(ImproperlyConfigured, match="shout"):
        RowPlan.of(Odd)


def test_a_plan_needs_the_id():
    class NoId(serializers.ModelSerializer):
        class Meta:
            model = KPI
            fields = ["name"]

    with pytest.raises(ImproperlyConfigured, match="id"):
        RowPlan.of(NoId)
