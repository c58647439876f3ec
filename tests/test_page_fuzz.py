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
from strategy.invitations import invitation_token, person_invite
from strategy.models import Invitation, Membership, Objective, Team

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
FINGERPRINT_APPS = (
    "strategy",
    "initiatives",
    "metrics",
    "reviews",
    "assessment",
    "support",
    "auth",
)

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


def _office():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="office")


def _own_token(plan):
    """A live token of the office persona (created on first use)."""
    from strategy.models import ApiToken
    from strategy.services import token_create

    office = _office()
    token = ApiToken.objects.filter(user=office, revoked_at__isnull=True).first()
    if token is None:
        token = token_create(user=office, name="Fuzz", scopes=["read"], created_by=office)[0]
    return token


def _own_webhook(plan):
    """A webhook of the office persona (created on first use)."""
    from metrics.models import Webhook
    from tests.factories import WebhookFactory

    return Webhook.objects.filter(owner=_office()).first() or WebhookFactory(owner=_office())


def _failed(plan):
    """A failed delivery of that webhook (created on first use)."""
    from metrics.models import WebhookDelivery

    hook = _own_webhook(plan)
    return hook.deliveries.first() or WebhookDelivery.objects.create(
        webhook=hook, payload={}, status=WebhookDelivery.Status.FAILED, attempts=7
    )


WEBHOOK_FIELDS = [
    "name",
    "kind",
    "url",
    "is_active",
    "min_severity",
    "alert_kinds",
    "owner",
    "team",
]


def _webhook_form(webhook) -> dict:
    data = {
        "name": "Fuzz hook",
        "kind": "generic",
        "url": "https://93.184.215.14/hook",
        "min_severity": "2",
    }
    if webhook is not None:
        data["seen_version"] = str(webhook.version)
    return data


def _comment(plan):
    """The office's comment on the first objective (its author may edit it: just posted)."""
    from django.contrib.auth import get_user_model

    from activity.models import Comment

    office = get_user_model().objects.get(username="office")
    found = Comment.objects.filter(author=office, deleted_at__isnull=True).first()
    return found or Comment.objects.create(
        subject_type="objective", subject_id=plan.objectives[0].pk, author=office, body="Hi"
    )


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
LIST_FILTERS = [
    *("q", "period", "theme", "team", "owner", "status", "health", "kind", "quality"),
    *("priority", "sort", "page"),
]


def _invited(plan) -> Invitation:
    """A pending invitation (made once per test)."""
    found = Invitation.objects.filter(accepted_at__isnull=True).first()
    if found is None:
        team = Team.objects.get(pk=plan.objectives[0].team_id)
        found = person_invite(
            email="invited@example.com", team=team, role="member", by=None
        ).invitation
    return found


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


def _survey_round(plan):
    """A pulse survey sent to Sales, open today (made once per plan)."""
    from strategy.access import access_for
    from strategy.models import Team
    from surveys.models import SurveyRound
    from surveys.services import round_send, survey_create

    found = SurveyRound.objects.filter(survey__strategy=plan.strategy).first()
    if found is not None:
        return found
    office = _office()
    survey = survey_create(
        access=access_for(office), user=office, strategy=plan.strategy, template="execution_pulse"
    )
    today = timezone.localdate()
    return round_send(
        access=access_for(office),
        user=office,
        survey=survey,
        label="Fuzz pulse",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=6),
        team_ids=[Team.objects.get(slug="sales").pk],
    )


def _survey_answers(plan) -> dict:
    codes = ["understand_strategy", "know_priorities", "have_resources", "problems_fixed"]
    return {**{f"q_{c}": "4" for c in [*codes, "leader_vision_trust"]}, "q_comment": "Fuzzed."}


def _review_world(plan) -> dict:
    """A strategy review of the plan with a frozen meeting, a decision and an action item
    (made once per plan, when a review page's path is first built)."""
    from django.contrib.auth import get_user_model

    from reviews.models import ActionItem, Meeting, Review
    from reviews.services import action_item_create, pack_freeze

    users = get_user_model().objects
    leader, member = users.get(username="leader"), users.get(username="member")
    review, created = Review.objects.get_or_create(
        name="Fuzz review", strategy=plan.strategy, defaults={"owner": leader}
    )
    if created:
        review.participants.set([leader, member])
        meeting = Meeting.objects.create(review=review, starts_at=timezone.now())
        pack_freeze(meeting=meeting)
        # A page fuzzed before may have deactivated the member (the hand-over page): an
        # action item's owner must be someone who sees it (strategy.access.assignees_check).
        owner = member if member.is_active else leader
        action_item_create(
            title="Fuzzed action",
            owner=owner,
            due_date=timezone.localdate(),
            created_by=leader,
            meeting=meeting,
        )
    meeting = review.meetings.order_by("id").first()
    return {
        "review": review,
        "meeting": meeting,
        "pack": meeting.pack,
        "action": ActionItem.objects.filter(meeting=meeting).order_by("id").first(),
        "member": member,
    }


def _assessment(plan):
    """A capability assessment of the plan's first team (made once per plan)."""
    from assessment.models import CapabilityAssessment

    team_id = plan.objectives[0].team_id
    found = CapabilityAssessment.objects.filter(strategy=plan.strategy, team_id=team_id).first()
    if found is None:
        found = CapabilityAssessment.objects.create(
            strategy=plan.strategy,
            team_id=team_id,
            assessed_on=timezone.localdate(),
            **{f"{c}_score": 3 for c in ("structure", "leadership", "tools", "talent", "agility")},
        )
    return found


def _assessment_form(plan) -> dict:
    from assessment.models import CAPABILITY_FIELDS

    return {
        **form_of(_assessment(plan), ["assessed_on", "team", *CAPABILITY_FIELDS]),
        "seen_version": str(_assessment(plan).version),
    }


def _support_world(plan) -> dict:
    """A draft assessment, a frozen one with a barrier, for the support pages (made once)."""
    from django.contrib.auth import get_user_model

    from strategy.models import Period
    from support.models import AssessmentReport, Barrier
    from support.services import report_create
    from tests.factories import PeriodFactory

    users = get_user_model().objects
    frozen = AssessmentReport.objects.filter(title="Fuzz frozen").first()
    if frozen is None:
        period = plan.objectives[0].period
        frozen = AssessmentReport.objects.create(
            strategy=plan.strategy,
            period=period,
            title="Fuzz frozen",
            status=AssessmentReport.Status.FROZEN,
            as_of=timezone.localdate(),
            frozen_at=timezone.now(),
            data={
                "version": 1,
                "as_of": timezone.localdate().isoformat(),
                "performance": {"health": None, "teams": [], "objectives": []},
                "capabilities": {},
                "survey_means": {},
                "teams": {},
                "barriers": [],
            },
        )
        Barrier.objects.create(
            report=frozen,
            rank=1,
            capability="tools",
            score=0.5,
            components={
                "gap": 0.5,
                "capability_shortfall": 0.5,
                "survey_shortfall": 0.5,
                "breadth": 0.5,
            },
            team_ids=[plan.objectives[0].team_id],
        )
        other = Period.objects.exclude(pk=period.pk).order_by("start_date").first()
        report_create(
            strategy=plan.strategy,
            period=other or PeriodFactory(name="Fuzz period"),
            title="Fuzz draft",
            by=users.get(username="leader"),
        )
    return {
        "frozen": frozen,
        "draft": AssessmentReport.objects.get(title="Fuzz draft"),
        "barrier": frozen.barriers.get(),
    }


def _measure_form(plan) -> dict:
    today = timezone.localdate()
    team = plan.objectives[0].team_id
    return {
        "title": "Fuzzed measure",
        "objective": plan.objectives[0].pk,
        "team": team,
        "start_date": today.isoformat(),
        "due_date": (today + dt.timedelta(days=60)).isoformat(),
        "category": "performance_routine",
        "capability": "tools",
        "test_teams": [team],
        "test_start": today.isoformat(),
        "test_end": (today + dt.timedelta(days=30)).isoformat(),
        "adoption": "checkin_timeliness",
    }


def _when() -> str:
    return (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


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
    "strategy:people": Page(fields=["q", "team", "role", "active", "page"]),
    "strategy:person-invite": Page(
        post=lambda plan: {
            "email": "fuzz@example.com",
            "first_name": "Fuzz",
            "last_name": "Person",
            "team": str(plan.objectives[0].team_id),
            "role": "member",
        }
    ),
    "strategy:person-detail": Page(kwargs=lambda plan: {"pk": _initiative(plan).owner_id}),
    "strategy:person-invitation-resend": Page(
        kwargs=lambda plan: {"pk": _invited(plan).user_id}, post=lambda plan: {}
    ),
    "strategy:person-membership-save": Page(
        kwargs=lambda plan: {"pk": _initiative(plan).owner_id},
        post=lambda plan: {"team": str(plan.objectives[0].team_id), "role": "viewer"},
    ),
    "strategy:person-deactivate": Page(
        kwargs=lambda plan: {"pk": _initiative(plan).owner_id},
        post=lambda plan: {"successor": str(plan.objectives[0].owner_id), "confirm": "on"},
    ),
    "strategy:person-password-reset": Page(
        kwargs=lambda plan: {"pk": _initiative(plan).owner_id}, post=lambda plan: {}
    ),
    "strategy:membership-delete": Page(
        kwargs=lambda plan: {"pk": Membership.objects.filter(role="viewer").first().pk},
        post=lambda plan: {},
        fields=["from"],
    ),
    "strategy:team-members": Page(
        persona="leader",
        kwargs=lambda plan: {"pk": plan.objectives[0].team_id},
        post=lambda plan: {"person": str(_initiative(plan).owner_id), "role": "viewer"},
    ),
    "strategy:invitation-accept": Page(
        persona="anon",
        kwargs=lambda plan: {"token": invitation_token(invitation=_invited(plan))},
        post=lambda plan: {
            "password1": "Quiet-lantern-meadow-42",
            "password2": "Quiet-lantern-meadow-42",
        },
    ),
    "strategy:objective-list": Page(fields=LIST_FILTERS),
    "strategy:initiative-list": Page(fields=LIST_FILTERS),
    "strategy:kpi-list": Page(fields=LIST_FILTERS),
    "strategy:search": Page(fields=["q"]),
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
    "activity:history": Page(
        kwargs=lambda plan: {"kind": "objective", "pk": plan.objectives[0].pk}
    ),
    "sheets:history-csv": Page(
        kwargs=lambda plan: {"kind": "objective", "pk": plan.objectives[0].pk}
    ),
    "sheets:history-xlsx": Page(
        kwargs=lambda plan: {"kind": "objective", "pk": plan.objectives[0].pk}
    ),
    "activity:activity": Page(
        kwargs=lambda plan: {"kind": "objective", "pk": plan.objectives[0].pk}
    ),
    "activity:comment-new": Page(
        kwargs=lambda plan: {"kind": "objective", "pk": plan.objectives[0].pk},
        post=lambda plan: {"body": "Fuzzed comment @leader"},
    ),
    "activity:comment-edit": Page(
        kwargs=lambda plan: {"comment_pk": _comment(plan).pk},
        post=lambda plan: {"body": "Edited comment"},
    ),
    "activity:comment-delete": Page(
        kwargs=lambda plan: {"comment_pk": _comment(plan).pk}, post=lambda plan: {}
    ),
    "activity:whats-new": Page(fields=["days"]),
    "activity:history-restore": Page(
        kwargs=lambda plan: {
            "kind": "objective",
            "pk": plan.objectives[0].pk,
            "history_id": Objective.history.filter(id=plan.objectives[0].pk).earliest().history_id,
        },
        post=lambda plan: {"version": str(plan.objectives[0].version)},
    ),
    "security:event-list": Page(fields=["kind", "person", "since", "until", "page"]),
    "strategy:people-choose": Page(persona="leader", fields=["q"]),
    "metrics:kpi-key-proposal": Page(persona="leader", fields=["name"]),
    "security:integrations": Page(),
    "security:token-new": Page(
        post=lambda plan: {"name": "Fuzz", "scopes": "read"}, fields=["expires_on"]
    ),
    "security:token-revoke": Page(
        kwargs=lambda plan: {"key": _own_token(plan).token_key}, post=lambda plan: {}
    ),
    "security:webhook-new": Page(post=lambda plan: _webhook_form(None), fields=WEBHOOK_FIELDS),
    "security:webhook-detail": Page(
        kwargs=lambda plan: {"pk": _own_webhook(plan).pk},
        post=lambda plan: _webhook_form(_own_webhook(plan)),
        fields=[*WEBHOOK_FIELDS, "page"],
    ),
    "security:webhook-delete": Page(
        kwargs=lambda plan: {"pk": _own_webhook(plan).pk}, post=lambda plan: {}
    ),
    "security:delivery-retry": Page(
        kwargs=lambda plan: {"pk": _own_webhook(plan).pk, "delivery_pk": _failed(plan).pk},
        post=lambda plan: {},
    ),
    # Spreadsheets (sheets/): the import page posts a file; the rest are downloads.
    "sheets:plan-import": Page(post=lambda plan: {}, fields=["file", "token"]),
    "sheets:plan-template": Page(),
    "sheets:plan-template-sheet": Page(kwargs=lambda plan: {"sheet": "objectives"}),
    "sheets:plan-export": Page(),
    **{
        f"sheets:{kind}-export-{fmt}": Page(fields=FILTERS)
        for kind in ("objectives", "initiatives", "kpis", "alerts")
        for fmt in ("csv", "xlsx")
    },
    **{
        f"sheets:{kind}-history-csv": Page(fields=FILTERS)
        for kind in ("objectives", "initiatives", "kpis")
    },
    "sheets:kpi-measurements-csv": Page(kwargs=lambda plan: {"key": _kpi(plan).key}),
    "sheets:kpi-measurements-xlsx": Page(kwargs=lambda plan: {"key": _kpi(plan).key}),
    "sheets:initiative-checkins-csv": Page(kwargs=lambda plan: {"pk": _initiative(plan).pk}),
    "sheets:initiative-checkins-xlsx": Page(kwargs=lambda plan: {"pk": _initiative(plan).pk}),
    "sheets:spend-csv": Page(kwargs=lambda plan: {"pk": _initiative(plan).pk}),
    "sheets:spend-xlsx": Page(kwargs=lambda plan: {"pk": _initiative(plan).pk}),
    "metrics:alert-acknowledge": Page(
        kwargs=lambda plan: {"pk": _alert(plan).pk}, post=lambda plan: {}, fields=["next", "note"]
    ),
    "metrics:alert-resolve": Page(
        kwargs=lambda plan: {"pk": _alert(plan).pk}, post=lambda plan: {}, fields=["next", "note"]
    ),
    "metrics:notification-preferences": Page(
        post=lambda plan: {
            "alert_critical": "immediate",
            "alert_warning": "digest",
            "alert_info": "off",
            "mention": "immediate",
            "work": "digest",
            "reminder": "immediate",
            "weekly_digest": "on",
            "digest_weekday": "0",
            "digest_hour": "8",
            "time_zone": "Europe/Berlin",
        }
    ),
    "metrics:alert-snooze": Page(
        kwargs=lambda plan: {"pk": _alert(plan).pk},
        post=lambda plan: {
            "until": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
            "note": "Fuzzed.",
        },
        fields=["next"],
    ),
    "reviews:review-list": Page(
        post=lambda plan: {"name": "Fuzzed", "scope": "strategy", "cadence": "monthly"},
        fields=["theme", "team", "objective", "cadence_days", "participants"],
    ),
    "reviews:review-detail": Page(kwargs=lambda plan: {"pk": _review_world(plan)["review"].pk}),
    "reviews:meeting-new": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["review"].pk},
        post=lambda plan: {"starts_at": _when()},
    ),
    "reviews:meeting": Page(kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk}),
    "reviews:meeting-freeze": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk}, post=lambda plan: {}
    ),
    "reviews:meeting-move": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk},
        post=lambda plan: {"starts_at": _when()},
    ),
    "reviews:meeting-cancel": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk}, post=lambda plan: {}
    ),
    "reviews:meeting-minutes": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk}, post=lambda plan: {}
    ),
    "reviews:meeting-discussed": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk},
        post=lambda plan: {"key": "new_red:kpi:1", "discussed": "1"},
    ),
    "reviews:decision-new": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk},
        post=lambda plan: {"text": "Fuzzed decision", "concerns": f"kpi:{_kpi(plan).pk}"},
        fields=["decided_by"],
    ),
    "reviews:action-item-new": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["meeting"].pk},
        post=lambda plan: {
            "title": "Fuzzed",
            "owner": str(_review_world(plan)["member"].pk),
            "due_date": timezone.localdate().isoformat(),
        },
        fields=["note"],
    ),
    "reviews:action-item-status": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["action"].pk},
        post=lambda plan: {"status": "done"},
        fields=["next"],
    ),
    "reviews:action-item-to-initiative": Page(
        kwargs=lambda plan: {"pk": _review_world(plan)["action"].pk},
        post=lambda plan: {"objective": str(plan.objectives[0].pk)},
    ),
    "reviews:pack": Page(kwargs=lambda plan: {"pk": _review_world(plan)["pack"].pk}),
    "reviews:pack-pdf": Page(kwargs=lambda plan: {"pk": _review_world(plan)["pack"].pk}),
    "reviews:pack-changes-csv": Page(kwargs=lambda plan: {"pk": _review_world(plan)["pack"].pk}),
    "reviews:pack-changes-xlsx": Page(kwargs=lambda plan: {"pk": _review_world(plan)["pack"].pk}),
    "reviews:action-items-csv": Page(kwargs=lambda plan: {"pk": _review_world(plan)["review"].pk}),
    "reviews:action-items-xlsx": Page(kwargs=lambda plan: {"pk": _review_world(plan)["review"].pk}),
}


def _year(plan) -> dict:
    return {"year": "2031", "first_month": "1"}


def _setup_link(plan) -> dict:
    from django.contrib.auth import get_user_model

    from strategy.setup import setup_link_tokens

    office = get_user_model().objects.filter(username="office").first()
    if office is None:  # a walk without the office persona: a link that is refused (400)
        return {"uidb64": _uid(1), "token": "abc-0123456789abcdef"}
    return {"uidb64": _uid(office.pk), "token": setup_link_tokens.make_token(office)}


def _uid(pk: int) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(pk))


def _managed(plan, kind: str):
    objective = plan.objectives[0]
    return {
        "strategy": objective.strategy,
        "period": objective.period,
        "theme": objective.theme,
        "team": objective.team,
    }[kind]


MANAGED_FIELDS = {
    "strategy": ["name", "vision", "horizon_start", "horizon_end", "status", "owner"],
    "period": ["name", "kind", "start_date", "end_date"],
    "theme": ["strategy", "name", "description", "colour", "weight", "order"],
    "team": ["name", "slug", "kind", "parent", "is_private", "description"],
}


def _managed_form(kind: str, *, new: bool) -> Callable:
    def post(plan) -> dict:
        obj = _managed(plan, kind)
        data = form_of(obj, MANAGED_FIELDS[kind])
        data["seen_version"] = str(obj.version)
        if new:  # names that must be unique, made new
            data.pop("seen_version")
            data["name"] = f"Fuzzed {kind}"
            if kind == "team":
                data["slug"] = "fuzzed-team"
        return data

    return post


PAGES.update(
    {
        "assessment:assessment-list": Page(),
        "assessment:assessment-new": Page(
            post=lambda plan: {
                k: v for k, v in _assessment_form(plan).items() if k != "seen_version"
            }
        ),
        "assessment:assessment-detail": Page(kwargs=lambda plan: {"pk": _assessment(plan).pk}),
        "assessment:assessment-edit": Page(
            kwargs=lambda plan: {"pk": _assessment(plan).pk}, post=_assessment_form
        ),
        "assessment:evidence-rows": Page(
            kwargs=lambda plan: {"code": "replan"}, fields=["team", "as_of"]
        ),
        "assessment:calibration": Page(fields=["team", "as_of"]),
        "surveys:list": Page(post=lambda plan: {"template": "execution_pulse", "name": "Fuzzed"}),
        "surveys:detail": Page(
            kwargs=lambda plan: {"pk": _survey_round(plan).survey_id},
            post=lambda plan: {
                "label": "Fuzzed",
                "opens_on": timezone.localdate().isoformat(),
                "closes_on": timezone.localdate().isoformat(),
                "team_ids": str(_survey_round(plan).round_teams.get().team_id),
            },
            fields=["team"],
        ),
        "surveys:round": Page(kwargs=lambda plan: {"pk": _survey_round(plan).pk}),
        "surveys:answer": Page(
            kwargs=lambda plan: {"pk": _survey_round(plan).pk},
            post=_survey_answers,
            persona="member",
            fields=["team"],
        ),
        "surveys:close": Page(
            kwargs=lambda plan: {"pk": _survey_round(plan).pk}, post=lambda plan: {}
        ),
        "surveys:reopen": Page(
            kwargs=lambda plan: {"pk": _survey_round(plan).pk}, post=lambda plan: {}
        ),
        "surveys:answer-link": Page(kwargs=lambda plan: {"token": "not-a-token"}),
        "support:plan": Page(),
        "support:report-list": Page(
            post=lambda plan: {"title": "Fuzzed", "period": plan.objectives[0].period_id}
        ),
        "support:report": Page(kwargs=lambda plan: {"pk": _support_world(plan)["frozen"].pk}),
        "support:report-pdf": Page(kwargs=lambda plan: {"pk": _support_world(plan)["frozen"].pk}),
        "support:report-notes": Page(
            kwargs=lambda plan: {"pk": _support_world(plan)["draft"].pk},
            post=lambda plan: {"customer_input": "Fuzzed.", "market_trends": "Fuzzed."},
        ),
        "support:report-freeze": Page(
            kwargs=lambda plan: {"pk": _support_world(plan)["draft"].pk}, post=lambda plan: {}
        ),
        "support:measure-new": Page(
            kwargs=lambda plan: {"pk": _support_world(plan)["barrier"].pk},
            post=_measure_form,
            fields=["owner", "survey_item", "kpi", "description"],
        ),
        "strategy:setup": Page(),
        "strategy:setup-skip": Page(
            post=lambda plan: {"step": "themes", "skip": "1"}, fields=["step", "skip"]
        ),
        "strategy:setup-link": Page(
            persona="anon",
            kwargs=_setup_link,
            post=lambda plan: {
                "new_password1": "tangerine-orbit-48-lantern",
                "new_password2": "tangerine-orbit-48-lantern",
            },
        ),
        "strategy:manage-period-year": Page(post=_year, fields=["year", "first_month"]),
    }
)
for _kind in MANAGED_FIELDS:
    PAGES[f"strategy:manage-{_kind}-list"] = Page()
    PAGES[f"strategy:manage-{_kind}-new"] = Page(post=_managed_form(_kind, new=True))
    PAGES[f"strategy:manage-{_kind}-edit"] = Page(
        kwargs=lambda plan, k=_kind: {"pk": _managed(plan, k).pk},
        post=_managed_form(_kind, new=False),
    )
    PAGES[f"strategy:manage-{_kind}-delete"] = Page(
        kwargs=lambda plan, k=_kind: {"pk": _managed(plan, k).pk}, post=lambda plan: {}
    )
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
    "reviews:review-detail",
    "reviews:meeting",
    "reviews:pack",
    "assessment:assessment-detail",
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
    "delivery_pk": "int",
    "key": "slug",
    "uidb36": "base36",
    "uidb64": "str",
    "token": "str",
    "provider_id": "str",
    "kind": "slug",
    "history_id": "int",
    "comment_pk": "int",
    "sheet": "slug",
    "code": "slug",
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
