"""Alert routing skips people who may not see the alert's subject (tester finding of #12): the
next accountable person is chosen among those who may see it, falling back to the team's
leader and then the strategy office (``metrics.engine.common.Actors``)."""

from __future__ import annotations

import datetime as dt

from metrics.engine import full_recompute
from metrics.models import Alert
from strategy.access import access_for
from strategy.models import Membership
from tests.factories import (
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    ObjectiveFactory,
    TeamFactory,
    UserFactory,
)
from tests.metrics.conftest import TODAY


def _off_track_kpi(team, *, owner, objective_owner):
    objective = ObjectiveFactory(team=team, owner=objective_owner)
    kpi = KPIFactory(objective=objective, team=team, owner=owner)
    for month in range(6):
        MeasurementFactory(kpi=kpi, as_of=dt.date(2026, 1 + month, 1), value=20)
    return kpi


def _alert_owners(kpi) -> set[int]:
    return set(
        Alert.objects.filter(subject_type="kpi", subject_id=kpi.pk).values_list(
            "owner_id", flat=True
        )
    )


def test_routing_skips_an_owner_above_who_cannot_see_a_private_teams_kpi(team):
    """Before: the objective's owner outside the private team was chosen and never told."""
    private = TeamFactory(is_private=True, parent=team.parent)
    inside = UserFactory()
    MembershipFactory(user=inside, team=private, role=Membership.Role.LEADER)
    outside = UserFactory()
    MembershipFactory(user=outside, team=team, role=Membership.Role.LEADER)
    kpi = _off_track_kpi(private, owner=None, objective_owner=outside)
    assert not access_for(outside).can_view_team(private.pk)

    full_recompute(today=TODAY)

    assert _alert_owners(kpi) == {inside.pk}
    alert = Alert.objects.get(subject_type="kpi", subject_id=kpi.pk, kind="kpi_off_track")
    assert access_for(alert.owner).can_view_alert(alert)


def test_routing_skips_an_own_owner_who_cannot_see_and_falls_back_to_the_office(team, admin):
    private = TeamFactory(is_private=True, parent=team.parent)  # no leader inside
    outside = UserFactory()
    MembershipFactory(user=outside, team=team, role=Membership.Role.MEMBER)
    kpi = _off_track_kpi(private, owner=outside, objective_owner=None)

    full_recompute(today=TODAY)

    assert _alert_owners(kpi) == {admin.pk}
    alert = Alert.objects.get(subject_type="kpi", subject_id=kpi.pk, kind="kpi_off_track")
    assert alert.details["routed_to"] == "strategy_office"


def test_an_owner_who_can_see_keeps_the_alert(team):
    owner = UserFactory()
    MembershipFactory(user=owner, team=team, role=Membership.Role.MEMBER)
    kpi = _off_track_kpi(team, owner=owner, objective_owner=UserFactory())
    full_recompute(today=TODAY)
    assert _alert_owners(kpi) == {owner.pk}
