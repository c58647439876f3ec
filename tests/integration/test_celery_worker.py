from __future__ import annotations

import pytest

from strategy.tasks import ping
from tests.factories import TeamFactory

pytestmark = pytest.mark.integration


def test_ping_runs_in_a_real_worker_and_reaches_the_test_database(celery_worker_process):
    TeamFactory.create_batch(2)  # a company and a team, committed: transactional_db

    result = ping.delay("hello").get(timeout=30)

    from django.db import connection

    assert result == {"token": "hello", "database": connection.vendor, "teams": 3}
