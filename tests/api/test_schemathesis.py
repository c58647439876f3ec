"""The OpenAPI schema against the live application (schemathesis, in-process WSGI).

* Authenticated (the strategy office's admin token): every operation, at least 25 examples
  each, valid and invalid inputs, NUL bytes and huge integers allowed: no server error, and
  every response conforms to the schema (status code, content type, body).
* Stateful: links from each create to the read/update/delete of what it created.
* Without credentials: every non-public operation answers 401 or 403.

Runs on SQLite and PostgreSQL (``DATABASE_URL``); a few minutes on two cores.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from strategy.models import ApiToken
from strategy.services import token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CHECK_NAMES = [check.__name__ for check in CHECKS]
EXAMPLES = 25
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture
def wsgi_app(settings):
    # Throttles would answer 429 to a fuzzer; they have their own tests.
    settings.API_THROTTLE_TOKEN = settings.API_THROTTLE_USER = "100000/min"
    settings.API_THROTTLE_ANON = "100000/min"
    # As Django's test client does: the request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(plan, admin) -> str:
    _, secret = token_create(
        user=admin, name="fuzz", scopes=[ApiToken.Scope.ADMIN], created_by=admin
    )
    return secret


@pytest.fixture
def api_schema(wsgi_app, plan):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    schema.config.generation.update(max_examples=EXAMPLES, allow_x00=True)
    schema.config.checks.update(included_check_names=CHECK_NAMES)
    # Schemathesis mines literals from the Python modules loaded in the process; which modules
    # those are depends on what else pytest collected, and the stateful run must generate the
    # same data when Hypothesis replays it. The schema alone drives generation here.
    schema.config.analysis.constants.enabled = False
    return schema


def _run_every_operation(api_schema, *, modes, examples: int, call) -> list[str]:
    """Run ``call(case)`` on ``examples`` generated cases of every operation and mode; return
    one line per operation that failed (with schemathesis's explanation)."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in modes:

            @settings(FUZZ, max_examples=examples)
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                call(case)

            try:
                run()
            except Exception as exc:
                failures.append(f"{mode.value} {operation.label}: {exc}")
    return failures


def test_every_operation_conforms_and_never_errors(api_schema, admin_token):
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures = _run_every_operation(
        api_schema,
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        examples=EXAMPLES,
        call=lambda case: case.call_and_validate(headers=headers, checks=CHECKS),
    )
    assert not failures, "\n\n".join(failures)


def test_without_credentials_every_operation_is_refused(api_schema):
    def call(case):
        response = case.call()
        assert response.status_code in (401, 403), (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
        )

    failures = _run_every_operation(
        api_schema, modes=[GenerationMode.POSITIVE], examples=3, call=call
    )
    assert not failures, "\n\n".join(failures)


def test_stateful_links(api_schema, admin_token):
    machine = api_schema.as_state_machine()

    class Authenticated(machine):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {admin_token}"}}

    Authenticated.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
