"""The OpenAPI schema against the live application: schemathesis 4, in-process (WSGI), with
**all** its checks, for every identity an integration can have.

Identities: anonymous, and a token of each scope (``read``, ``write:measurements``,
``write:initiatives``, ``admin``) of the strategy office's person, so that the scope alone
decides. For each identity, every operation of ``/api/schema/`` runs schemathesis's phases
(explicit examples, coverage of boundaries and missing parts, random fuzzing) in positive and
negative modes, NUL bytes and huge integers allowed, and every response goes through every
check schemathesis has (``not_a_server_error``, status code, content type, headers and body
conformance, positive data accepted, negative data refused, missing required header,
unsupported method, ``Allow`` header, ignored authentication ...); the stateful run follows the
links from each create to its read, update and delete (use after free, resource availability).

Schema-valid requests the server rightly refuses (configured for the positive-data check, and
nothing else is relaxed):

* **400** when the request names what does not exist or cannot be, which a schema of each field
  alone cannot tell: an id or key of an object that does not exist or that you may not see
  (``does_not_exist``, ``unknown``), a value already taken (``unique``), a rule between fields
  (``inconsistent``: an end before its start, a target below the baseline of an increasing
  KPI), a date in the future for a measurement (``future``), a snooze that ends in the past or
  too far ahead (``past``, ``too_far``: relative to now), a webhook host that does not resolve
  to a public address (``outbound_refused``), the same KPI and date twice in a batch
  (``duplicate``), a plan file whose bytes are no readable workbook or CSV (``unreadable``:
  the schema gives the part as binary with its media types, it cannot describe a
  spreadsheet's content). ``test_refusal_of_valid_data_is_rightful`` (an additional check) fails on a
  positive 400 with any other error code: a rule missing from the schema shows up;
* **403** for a token without the scope (already expected by schemathesis), **404** for an id
  of an object that does not exist (already expected);
* **412** for a well-formed ``If-Match`` that names another version than the current one.

Examples per operation and phase: ``SCHEMATHESIS_EXAMPLES`` (default 1; the coverage phase
adds its boundary cases whatever the number). Measured on two cores at load 3-4, SQLite: the
module in 4 minutes (admin 66 s, read 43 s, write:initiatives 35 s, anonymous 34 s,
write:measurements 26 s, stateful 25 s); with 3 examples 6.6 minutes. A longer, nightly-style
run:

    SCHEMATHESIS_EXAMPLES=200 .venv/bin/python -m pytest tests/api/test_schemathesis.py

Runs on SQLite and PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

from strategy.models import ApiToken
from strategy.services import token_create

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "1"))
# Status codes a schema-valid request may rightly get, beyond schemathesis's defaults
# (2xx, 3xx, 401, 403, 404, 409, 429): see the module docstring.
POSITIVE_EXPECTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429"]
# Error codes of a rightful 400 to a schema-valid request (module docstring).
RIGHTFUL_CODES = {
    "does_not_exist",
    "unknown",
    "unique",
    "inconsistent",
    "future",
    "outbound_refused",
    "duplicate",
    "past",
    "too_far",
    "unreadable",
}
IDENTITIES = [None, *ApiToken.Scope.values]
STATEFUL_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
PUBLIC = {"/api/schema/"}


def refusal_of_valid_data_is_rightful(ctx, response, case) -> bool | None:
    """A schema-valid request answered 400 names only rules a schema cannot express
    (``RIGHTFUL_CODES``)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    if is_unexpected_http_status_case(case):
        return None
    codes = {error["code"] for error in response.json()["errors"]}
    wrong = codes - RIGHTFUL_CODES
    assert not wrong, (
        f"A schema-valid request was refused for {sorted(wrong)}: the schema should say so.\n"
        f"{case.as_curl_command()}\n{response.text[:500]}"
    )
    return None


def refused_without_credentials(ctx, response, case) -> bool | None:
    """Without credentials every operation but the public ones answers 401 (or 403)."""
    if case.path not in PUBLIC:
        assert response.status_code in (401, 403), (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
        )
    return None


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
def assessed(plan, admin):
    """One of each object of the capability, survey and support endpoints, so that their
    responses with data (not only empty lists and 404s) are checked against the schema: a
    capability assessment, a survey with a round open today, a frozen assessment report with a
    barrier and a support measure on it."""
    import datetime as dt

    from django.utils import timezone

    from assessment.models import CAPABILITIES, CapabilityAssessment
    from initiatives.models import Initiative
    from strategy.access import access_for
    from support.models import SupportMeasure
    from support.services import support_measure_create
    from surveys.services import round_send, survey_create
    from tests.support.conftest import barrier_dict, frozen_report

    today = timezone.localdate()
    CapabilityAssessment.objects.create(
        strategy=plan.strategy,
        team=plan.team,
        assessed_on=today,
        **{f"{c}_score": 3 for c in CAPABILITIES},
    )
    survey = survey_create(
        access=access_for(admin), user=admin, strategy=plan.strategy, template="execution_pulse"
    )
    round_send(
        access=access_for(admin),
        user=admin,
        survey=survey,
        label="Pulse",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=7),
        team_ids=[plan.team.pk, plan.secret_team.pk],
    )
    report = frozen_report(
        strategy=plan.strategy,
        period=plan.period,
        as_of=today,
        teams={},
        barriers=[barrier_dict("tools", team_ids=[plan.team.pk, plan.secret_team.pk])],
    )
    support_measure_create(
        barrier=report.barriers.get(),
        initiative=Initiative(
            objective=plan.objective,
            team=plan.team,
            title="Tooling clinic",
            start_date=today - dt.timedelta(days=10),
            due_date=today + dt.timedelta(days=60),
            status=Initiative.Status.ACTIVE,
        ),
        category=SupportMeasure.Category.ENABLING_TECHNOLOGY,
        capability="tools",
        test_teams=[plan.team],
        test_start=today - dt.timedelta(days=10),
        test_end=today + dt.timedelta(days=30),
        adoption=SupportMeasure.Adoption.CHECKIN_TIMELINESS,
    )


@pytest.fixture
def api_schema(wsgi_app, plan, assessed):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    schema.config.generation.update(max_examples=EXAMPLES, allow_x00=True)
    schema.config.checks.positive_data_acceptance.expected_statuses = POSITIVE_EXPECTED
    # Schemathesis mines literals from the Python modules loaded in the process; which modules
    # those are depends on what else pytest collected. The schema alone drives generation here.
    schema.config.analysis.constants.enabled = False
    return schema


def _token(admin, scope: str) -> dict[str, str]:
    _, secret = token_create(user=admin, name=f"fuzz {scope}", scopes=[scope], created_by=admin)
    return {"Authorization": f"Bearer {secret}"}


def _run_every_operation(
    api_schema, *, headers: dict, additional_checks: list, shard: tuple[int, int] = (0, 1)
) -> list[str]:
    """Every operation through schemathesis's phases with all its checks plus
    ``additional_checks``; one line per operation that failed. ``shard`` ``(k, n)`` runs the
    k-th of n interleaved slices of the operations (so pytest-xdist can share one identity's
    run between workers)."""
    failures = []
    explicit = settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    k, n = shard
    for i, result in enumerate(api_schema.get_all_operations()):
        if i % n != k:
            continue
        operation = result.ok()

        def call(case):
            case.call_and_validate(headers=headers, additional_checks=additional_checks)

        test = build_operation_test(
            config=api_schema.config,
            operation=operation,
            test_func=call,
            given_kwargs={},
            feedback=FeedbackSources(),
            explicit_settings=explicit,
        )

        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


# The admin identity runs every phase, the coverage phase included (the larger part of the
# module's time), in interleaved slices that pytest-xdist shares between workers.
ADMIN_SHARDS = 3
RUNS = [
    (scope, (k, ADMIN_SHARDS) if scope == ApiToken.Scope.ADMIN else (0, 1))
    for scope in IDENTITIES
    for k in range(ADMIN_SHARDS if scope == ApiToken.Scope.ADMIN else 1)
]


@pytest.mark.parametrize(
    ("scope", "shard"),
    RUNS,
    ids=lambda v: (v or "anonymous") if not isinstance(v, tuple) else f"{v[0] + 1}of{v[1]}",
)
def test_every_operation_conforms_for_each_identity(api_schema, admin, scope, shard):
    if scope is None:
        headers, extra = {}, [refused_without_credentials]
    else:
        headers, extra = _token(admin, scope), [refusal_of_valid_data_is_rightful]
    if scope != ApiToken.Scope.ADMIN:
        # The coverage phase (every boundary and missing part of every parameter) runs once,
        # with the admin token: the identities are the same person, so an operation the scope
        # allows validates its input exactly as for the admin, and one it refuses answers 401
        # or 403 before reading any input. The other identities run the examples and fuzzing
        # phases (positive and negative), which reach every operation with the scope alone
        # deciding. (All phases for every identity took about half of the suite's time.)
        api_schema.config.phases.update(phases=["examples", "fuzzing"])
    failures = _run_every_operation(
        api_schema, headers=headers, additional_checks=extra, shard=shard
    )
    assert not failures, "\n\n".join(failures)


def test_stateful_links(api_schema, admin):
    """Links from each create to the read/update/delete of what it created, with the checks
    this run had before issue #12 (the per-identity runs above have all of them)."""
    headers = _token(admin, ApiToken.Scope.ADMIN)
    api_schema.config.checks.update(included_check_names=STATEFUL_CHECKS)
    machine = api_schema.as_state_machine()

    class Authenticated(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

    Authenticated.run(
        settings=settings(
            max_examples=max(EXAMPLES * 5, 15),
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
