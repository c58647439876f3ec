"""Every page URL and form under hostile input: never a 5xx, and nothing written on a 4xx.

The pages' counterpart of the API's schemathesis run (tests/api/test_schemathesis.py). The
URL conf is walked: a page URL that is neither fuzzed here (``PAGES``) nor excluded with a
reason (``NOT_FUZZED``) fails ``test_every_page_url_is_fuzzed``.

For each page, Hypothesis sends GET query strings and POST bodies made of hostile values
(ids past 64 bits, 5,000-digit numbers, NUL, far and impossible dates, long strings, nested
brackets such as ``a[b][c]``, repeated keys, wrong types) over a valid base (so that one bad
field is reached behind otherwise valid ones), with and without the HTMX header. After each
request: no 5xx; and on a 4xx the database fingerprint (row count, highest id and latest
change of every table of the project and of auth) is unchanged. Writes on a 2xx or 3xx are
the form doing its job. Path parameters get hostile values too (``test_hostile_path_values``).

Deterministic (``derandomize``); PAGE_FUZZ_EXAMPLES sets the examples per page and method.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from initiatives.models import Initiative, Milestone
from metrics.models import KPI, Alert

pytestmark = pytest.mark.django_db

# A longer run: PAGE_FUZZ_EXAMPLES=200 pytest tests/test_page_fuzz.py (minutes per page).
EXAMPLES = int(os.environ.get("PAGE_FUZZ_EXAMPLES", "6"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
FINGERPRINT_APPS = ("strategy", "initiatives", "metrics", "auth")

# --- hostile values ---------------------------------------------------------------------------
NASTY = [
    "99999999999999999999",
    "9" * 5000,
    "-1",
    "0",
    "1e308",
    "-1e999",
    "NaN",
    "Infinity",
    "1.5",
    "0x10",
    "\x00",
    "a\x00b",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "31/12/2026",
    "",
    " ",
    "[]",
    "{}",
    "null",
    "true",
    "<script>alert(1)</script>",
    "'; DROP TABLE x; --",
    "%00",
    "../../etc/passwd",
    "\u202e\ufeff\U0001f600",
    "x" * 10_000,
]
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats().map(repr),
    st.dates().map(dt.date.isoformat),
)
EXTRA_KEYS = ["a[b][c]", "team[]", "id", "pk", "page", "format", "next", "csrfmiddlewaretoken"]


def _plain(value) -> str | list[str] | None:
    """A model_to_dict value as form data."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return [str(getattr(v, "pk", v)) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | float | int | bool):
        return str(value)
    return str(value)


def form_of(instance: models.Model, fields: list[str]) -> dict:
    """Form data that would save ``instance`` as it is."""
    data = {}
    for name, value in model_to_dict(instance, fields=fields).items():
        plain = _plain(value)
        if plain is not None:
            data[name] = plain
    return data


# --- the pages --------------------------------------------------------------------------------
@dataclass
class Page:
    """How to reach one URL name: its path arguments, a valid POST body, who asks."""

    kwargs: Callable[[object], dict] | None = None  # None: no path arguments
    post: Callable[[object], dict] | None = None  # None: GET only
    persona: str = "admin"  # a fixture name, or "anon"
    fields: list[str] = field(default_factory=list)  # more keys worth fuzzing


def _initiative(plan) -> Initiative:
    return plan.initiatives[0]


def _milestone(plan) -> Milestone:
    return Milestone.objects.filter(initiative=_initiative(plan)).order_by("id").first()


def _kpi(plan) -> KPI:
    return plan.kpis[0]


def _alert(plan) -> Alert:
    return Alert.objects.order_by("id").first()


OBJECTIVE_FIELDS = [
    "title",
    "description",
    "theme",
    "period",
    "team",
    "parent",
    "owner",
    "priority",
    "weight",
    "status",
    "start_date",
    "due_date",
]
INITIATIVE_FIELDS = [
    "title",
    "description",
    "objective",
    "team",
    "owner",
    "contributors",
    "status",
    "priority",
    "start_date",
    "due_date",
    "progress",
    "budget_planned",
    "effort_planned_fte",
    "checkin_cadence_days",
    "weight",
]
MILESTONE_FIELDS = ["title", "due_date", "completed_on", "weight"]
FILTERS = ["period", "theme", "team", "since", "status", "severity", "kind", "mine"]


def _new_account() -> dict:
    return {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": "tangerine-orbit-48",
        "password2": "tangerine-orbit-48",
    }


def _checkin(plan) -> dict:
    return {"rag": "amber", "confidence": "60", "progress": "30", "summary": "Fuzzed."}


def _measurement(plan) -> dict:
    return {"as_of": (timezone.localdate() - dt.timedelta(days=1)).isoformat(), "value": "3"}


def _kpi_form(plan) -> dict:
    return {**form_of(_kpi(plan), list(KPI.EDITABLE_FIELDS)), "reason": "Fuzz."}


PAGES: dict[str, Page] = {
    "home": Page(),
    "healthz": Page(persona="anon"),
    # sign-in, second factor, single sign-on, sessions (django-allauth)
    "account_login": Page(persona="anon", post=lambda plan: {"login": "office", "password": "no"}),
    "account_logout": Page(post=lambda plan: {}),
    "account_inactive": Page(persona="anon"),
    "account_signup": Page(persona="anon", post=lambda plan: _new_account()),
    "account_reauthenticate": Page(post=lambda plan: {"password": "no"}),
    "account_request_reauthentication_code": Page(post=lambda plan: {}),
    "account_confirm_reauthentication_code": Page(post=lambda plan: {"code": "ABC123"}),
    "account_confirm_login_code": Page(persona="anon", post=lambda plan: {"code": "ABC123"}),
    "account_change_password": Page(
        post=lambda plan: {"oldpassword": "x", "password1": "y", "password2": "y"}
    ),
    "account_set_password": Page(post=lambda plan: {"password1": "y", "password2": "y"}),
    "account_reset_password": Page(
        persona="anon", post=lambda plan: {"email": "office@example.com"}
    ),
    "account_reset_password_done": Page(persona="anon"),
    "account_reset_password_from_key": Page(
        persona="anon",
        kwargs=lambda plan: {"uidb36": "1", "key": "set-password"},
        post=lambda plan: {"password1": "y", "password2": "y"},
    ),
    "account_reset_password_from_key_done": Page(persona="anon"),
    "mfa_index": Page(),
    "mfa_authenticate": Page(persona="anon", post=lambda plan: {"code": "123456"}),
    "mfa_reauthenticate": Page(post=lambda plan: {"code": "123456"}),
    "mfa_activate_totp": Page(post=lambda plan: {"code": "123456"}),
    "mfa_deactivate_totp": Page(post=lambda plan: {}),
    "mfa_view_recovery_codes": Page(),
    "mfa_generate_recovery_codes": Page(post=lambda plan: {}),
    "mfa_download_recovery_codes": Page(),
    "mfa_list_webauthn": Page(),
    "mfa_add_webauthn": Page(post=lambda plan: {"name": "Key", "credential": "{}"}),
    "mfa_reauthenticate_webauthn": Page(post=lambda plan: {"credential": "{}"}),
    "mfa_edit_webauthn": Page(kwargs=lambda plan: {"pk": 1}, post=lambda plan: {"name": "Key"}),
    "mfa_remove_webauthn": Page(kwargs=lambda plan: {"pk": 1}, post=lambda plan: {}),
    "openid_connect_login": Page(
        persona="anon", kwargs=lambda plan: {"provider_id": "sso"}, post=lambda plan: {}
    ),
    "openid_connect_callback": Page(
        persona="anon",
        kwargs=lambda plan: {"provider_id": "sso"},
        fields=["code", "state", "error", "error_description"],
    ),
    "socialaccount_connections": Page(post=lambda plan: {"account": "1"}),
    "socialaccount_login_cancelled": Page(persona="anon"),
    "socialaccount_login_error": Page(persona="anon"),
    "socialaccount_signup": Page(persona="anon", post=lambda plan: _new_account()),
    "usersessions_list": Page(post=lambda plan: {}),
    "strategy:overview": Page(fields=FILTERS),
    "strategy:review": Page(fields=FILTERS),
    "strategy:objective-new": Page(
        post=lambda plan: form_of(plan.objectives[0], OBJECTIVE_FIELDS), fields=["theme"]
    ),
    "strategy:person-hand-over": Page(
        post=lambda plan: {
            "leaving": str(_initiative(plan).owner_id),
            "successor": str(plan.objectives[0].owner_id),
        },
        fields=["leaving", "successor"],
    ),
    "strategy:objective-detail": Page(kwargs=lambda plan: {"pk": plan.objectives[0].pk}),
    "strategy:objective-edit": Page(
        kwargs=lambda plan: {"pk": plan.objectives[0].pk},
        post=lambda plan: form_of(plan.objectives[0], OBJECTIVE_FIELDS),
    ),
    "initiatives:my-work": Page(persona="member"),
    "initiatives:initiative-new": Page(
        post=lambda plan: form_of(_initiative(plan), INITIATIVE_FIELDS), fields=["objective"]
    ),
    "initiatives:initiative-detail": Page(kwargs=lambda plan: {"pk": _initiative(plan).pk}),
    "initiatives:initiative-edit": Page(
        kwargs=lambda plan: {"pk": _initiative(plan).pk},
        post=lambda plan: form_of(_initiative(plan), INITIATIVE_FIELDS),
    ),
    "initiatives:checkin-new": Page(
        persona="leader",
        kwargs=lambda plan: {"pk": _initiative(plan).pk},
        post=_checkin,
        fields=["request_key", "blockers", "next_steps"],
    ),
    "initiatives:milestone-new": Page(
        kwargs=lambda plan: {"initiative_pk": _initiative(plan).pk},
        post=lambda plan: form_of(_milestone(plan), MILESTONE_FIELDS),
    ),
    "initiatives:milestone-edit": Page(
        kwargs=lambda plan: {"initiative_pk": _initiative(plan).pk, "pk": _milestone(plan).pk},
        post=lambda plan: form_of(_milestone(plan), MILESTONE_FIELDS),
    ),
    "initiatives:milestone-complete": Page(
        kwargs=lambda plan: {"pk": _milestone(plan).pk},
        post=lambda plan: {"from": "my-work"},
        fields=["reopen"],
    ),
    "metrics:kpi-new": Page(post=_kpi_form, fields=["objective", "initiative"]),
    "metrics:kpi-by-id": Page(kwargs=lambda plan: {"pk": _kpi(plan).pk}),
    "metrics:kpi-detail": Page(kwargs=lambda plan: {"key": _kpi(plan).key}),
    "metrics:kpi-edit": Page(kwargs=lambda plan: {"key": _kpi(plan).key}, post=_kpi_form),
    "metrics:measurement-new": Page(
        kwargs=lambda plan: {"key": _kpi(plan).key}, post=_measurement, fields=["note"]
    ),
    "metrics:alert-list": Page(fields=[*FILTERS, "page", "parts"]),
    "metrics:alert-bulk": Page(
        post=lambda plan: {"action": "acknowledge", "ids": str(_alert(plan).pk)},
        fields=["next", "ids"],
    ),
    "metrics:alert-detail": Page(kwargs=lambda plan: {"pk": _alert(plan).pk}),
    "security:event-list": Page(fields=["kind", "person", "since", "until", "page"]),
    "metrics:alert-acknowledge": Page(
        kwargs=lambda plan: {"pk": _alert(plan).pk}, post=lambda plan: {}, fields=["next", "note"]
    ),
    "metrics:alert-resolve": Page(
        kwargs=lambda plan: {"pk": _alert(plan).pk}, post=lambda plan: {}, fields=["next", "note"]
    ),
    "metrics:alert-snooze": Page(
        kwargs=lambda plan: {"pk": _alert(plan).pk},
        post=lambda plan: {
            "until": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
            "note": "Fuzzed.",
        },
        fields=["next"],
    ),
}
# URL prefixes with their own guard.
NOT_FUZZED = {
    "api/": "the API: schemathesis (tests/api/test_schemathesis.py)",
    "admin/": "Django's admin (staff only): its forms are the models' forms, whose field "
    "validators (execsupport.validation) these pages and the API exercise; its list and add "
    "pages load in tests/test_admin.py",
}


def page_url_names() -> set[str]:
    """Every named URL of the URL conf outside ``NOT_FUZZED`` (namespaced: ``app:name``)."""
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if any(route.startswith(p) or route.startswith("^" + p) for p in NOT_FUZZED):
                continue
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                walk(pattern.url_patterns, route, f"{namespace}{inner}:" if inner else namespace)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed page URL {route}: name it and fuzz it"
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_page_url_is_fuzzed():
    assert page_url_names() == set(PAGES)


# --- the database fingerprint -----------------------------------------------------------------
def _fingerprint_sql() -> str:
    parts = []
    for label in FINGERPRINT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(model._meta.pk.column)
            changed = next(
                (
                    connection.ops.quote_name(f.column)
                    for f in model._meta.concrete_fields
                    if f.name in ("updated_at", "last_seen_at", "last_login")
                ),
                "NULL",
            )
            # Identifiers from the model registry, quoted: no input reaches this SQL.
            sql = f"SELECT '{model._meta.db_table}', COUNT(*), CAST(MAX({pk}) AS TEXT), "
            parts.append(sql + f"CAST(MAX({changed}) AS TEXT) FROM {table}")
    return " UNION ALL ".join(parts)


def fingerprint() -> frozenset:
    """Row count, highest id and latest change of every table (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        return frozenset(cursor.fetchall())


# --- the fuzz ---------------------------------------------------------------------------------
@pytest.fixture
def clients(plan, admin, leader, member) -> dict[str, Client]:
    made = {"anon": Client(raise_request_exception=False)}
    for name, user in (("admin", admin), ("leader", leader), ("member", member)):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        made[name] = client
    return made


def _fields(page: Page, base: dict) -> list[str]:
    return sorted({*base, *page.fields, *EXTRA_KEYS})


def _data(draw_fields: list[tuple[str, list[str]]], base: dict) -> dict:
    data = dict(base)
    for name, values in draw_fields:
        data[name] = values if len(values) != 1 else values[0]
    return data


def _check(response, before: frozenset, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        assert fingerprint() == before, f"{what}: {response.status_code} but the database changed"


# The values most likely to break something, each tried alone in every field (the random part
# rarely puts one exact value in one exact field).
SWEEP = ["99999999999999999999", "a\x00b", "9999-12-31", "x" * 10_000]
# Pages that render what the forms stored: after a page's fuzz they must still answer.
READERS = [
    "strategy:overview",
    "strategy:review",
    "initiatives:my-work",
    "initiatives:initiative-detail",
    "strategy:objective-detail",
    "metrics:kpi-detail",
]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_survives_hostile_input(name, plan, clients, settings):
    settings.AXES_ENABLED = False  # lockout after 5 failed logins is tested on its own
    page = PAGES[name]
    url = reverse(name, kwargs=page.kwargs(plan) if page.kwargs else {})
    client = clients[page.persona]
    base = page.post(plan) if page.post else {}
    keys = st.sampled_from(_fields(page, base))
    hostile_fields = st.lists(
        st.tuples(keys, st.lists(HOSTILE, min_size=1, max_size=2)), max_size=4
    )

    @FUZZ
    @given(query=hostile_fields, htmx=st.booleans())
    def fuzz_get(query, htmx):
        before = fingerprint()
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.get(url, _data(query, {}), **headers)
        _check(response, before, f"GET {url} {query!r}")

    for value in SWEEP:
        for key in _fields(page, {}):
            before = fingerprint()
            _check(client.get(url, {key: value}), before, f"GET {url} {key}={value[:20]!r}")
    fuzz_get()
    if page.post is None:
        return
    for value in SWEEP:
        for key in _fields(page, base):
            before = fingerprint()
            response = client.post(url, {**base, key: value})
            _check(response, before, f"POST {url} {key}={value[:20]!r}")

    @FUZZ
    @given(body=hostile_fields, htmx=st.booleans())
    def fuzz_post(body, htmx):
        before = fingerprint()
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.post(url, _data(body, base), **headers)
        _check(response, before, f"POST {url} {body!r}")

    fuzz_post()
    for reader in READERS:  # what the form stored renders everywhere
        page = PAGES[reader]
        response = clients["admin"].get(
            reverse(reader, kwargs=page.kwargs(plan) if page.kwargs else {})
        )
        assert response.status_code < 500, f"{reader} after fuzzing {name}"


HOSTILE_PATH = {
    "int": ["0", "9223372036854775808", "99999999999999999999", "9" * 400],
    "slug": ["-", "_", "a" * 500, "0", "99999999999999999999"],
    "str": ["%00", "a" * 500, "..", "-"],
    "base36": ["0", "zzzzzzzzzzzzzzzzzzzzzzzzzz", "Z" * 500],
}
KWARG_KIND = {
    "pk": "int",
    "initiative_pk": "int",
    "key": "slug",
    "uidb36": "base36",
    "provider_id": "str",
}


@pytest.mark.parametrize("name", sorted(n for n, p in PAGES.items() if p.kwargs))
def test_hostile_path_values(name, plan, clients):
    """Ids past 64 bits and odd keys in the path: a 404 (or the login page), never a 500."""
    page = PAGES[name]
    valid = page.kwargs(plan)
    client = clients[page.persona]
    for arg in valid:
        for value in HOSTILE_PATH[KWARG_KIND[arg]]:
            url = reverse(name, kwargs={**valid, arg: value})
            for method in ("get", "post") if page.post else ("get",):
                before = fingerprint()
                body = page.post(plan) if method == "post" else {}
                response = getattr(client, method)(url, body)
                _check(response, before, f"{method.upper()} {url}")
