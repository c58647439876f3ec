"""The demo's support plan (``make demo``): every measure's adoption and targeted figures show
a real before/after for the teams in the test and for the other teams (issue #18's "adoption
is visible"), computed from the demo's check-ins, team-level capability assessments and survey
rounds."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from strategy.access import access_for
from support.models import SupportMeasure
from support.selectors import plan_read
from tests.strategy.test_seed_demo import TODAY, seed

pytestmark = pytest.mark.django_db


def test_every_demo_measure_shows_before_and_after_for_both_groups(settings):
    settings.DEBUG = True  # seed_demo refuses what looks like production
    seed("--seed=42")
    office = get_user_model().objects.get(username="office")

    views = plan_read(access=access_for(office), today=TODAY)

    assert len(views) == SupportMeasure.objects.count() >= 3
    capabilities = {v.measure.capability for v in views}
    assert "talent" in capabilities  # its item is asked by the demo's capability check
    for view in views:
        assert view.adoption is not None, view.measure
        for row in view.rows:
            m = row.movement
            where = f"{view.measure}: {row.label}"
            assert row.reason == "", where
            assert m.test_n == 2, where
            assert m.others_n >= 2, where
            assert None not in (m.test_before, m.test_after, m.others_before, m.others_after), where
    # The "before" is not the "after" borrowed: survey and capability figures move somewhere.
    assert any(r.movement.test_change for v in views for r in v.rows)
