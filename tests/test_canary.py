"""The canary: nothing of a private team reaches anyone outside it, by any URL, e-mail or webhook.

A private team (with a sub-team) is seeded with a unique word, the canary, in every name, key,
title, description, note and text it has: its teams, objectives, KPIs, initiatives, milestones,
check-ins, spend, measurements, plan revisions, dependencies and the people who are only
members there. Its objectives hang below public ones, and it sits beside the personas' team in
a public division, so the scores and alerts of everything above it are computed from it (a full
recompute, with a day of history before today's).

Then each persona outside it (a viewer, a member of another team, the leader of a sibling
team, and an API token with the read scope) requests every URL of the URL conf: every page,
every API endpoint with its CSV form, detail, history and filters, the HTMX fragments (posted
with ``HX-Request``), the admin, each path parameter filled with the ids and keys of visible
objects (the parents above the private team first) and with the private objects' ids. The
canary must appear in no response, no e-mail sent to them and no webhook body their webhooks
receive. The strategy office, who may see it, finds it (so the seed is really there).

``ROUTES`` names how each route of the URL conf is crawled: a route added without an entry
fails ``test_every_route_is_crawled``, and a path of the API schema that no crawled URL reaches
fails the crawl test itself. One plan is built and crawled once (about 2,200 requests).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.utils import timezone
from rest_framework.test import APIClient

from initiatives.models import CheckIn, Initiative, InitiativeDependency
from metrics.digest import digests_build
from metrics.engine import full_recompute
from metrics.models import (
    KPI,
    Alert,
    GapScore,
    Measurement,
    MeasurementCorrection,
    SubjectType,
    WebhookDelivery,
)
from metrics.notifications import alerts_notify, webhook_body
from security.models import SecurityEvent
from strategy.models import STRATEGY_OFFICE_GROUP, ApiToken, Membership, Strategy, Team
from strategy.services import token_create
from tests.factories import (
    CheckInFactory,
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PeriodFactory,
    SpendEntryFactory,
    StrategyFactory,
    TargetRevisionFactory,
    TeamFactory,
    ThemeFactory,
    TrajectoryPointFactory,
    UserFactory,
    WebhookFactory,
)

pytestmark = pytest.mark.django_db

CANARY = "Zqxcanary"  # letters only: unchanged by slugs, keys, HTML and JSON escaping
NEEDLE = CANARY.lower()


# --- the world ----------------------------------------------------------------------------------
@dataclass
class World:
    today: dt.date
    company: Team
    division: Team
    sales: Team
    engineering: Team
    private: Team
    private_sub: Team
    strategy: Strategy
    theme_id: int
    period_id: int
    public_objectives: list[int]  # the parents above the private team first
    private_objectives: list[int]
    public_kpis: list[KPI]
    private_kpis: list[KPI]
    public_initiatives: list[int]
    private_initiatives: list[int]
    public_milestones: list[tuple[int, int]]  # (initiative, milestone)
    private_milestones: list[tuple[int, int]]
    private_people: list[int]
    personas: dict[str, object] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def objects(self, model: str, *, visible: bool = True, private: bool = True) -> list[int]:
        """Ids of one kind: the visible ones (parents above the private team first), then a
        private one, which must be a plain 404."""
        public_ids = {
            "objective": self.public_objectives,
            "initiative": self.public_initiatives,
            "kpi": [k.pk for k in self.public_kpis],
            "team": [self.division.pk, self.company.pk, self.sales.pk],
            "milestone": [m for _i, m in self.public_milestones],
        }[model]
        private_ids = {
            "objective": self.private_objectives,
            "initiative": self.private_initiatives,
            "kpi": [k.pk for k in self.private_kpis],
            "team": [self.private.pk, self.private_sub.pk],
            "milestone": [m for _i, m in self.private_milestones],
        }[model]
        return (public_ids[:3] if visible else []) + (private_ids[:1] if private else [])


def _person(username: str, team: Team, role: str, **names) -> object:
    user = UserFactory(username=username, **names)
    MembershipFactory(user=user, team=team, role=role)
    return user


def _kpi(objective, owner, key: str, name: str, values: list[float], today, **kwargs) -> KPI:
    kwargs.setdefault("team", objective.team)
    kpi = KPIFactory(
        objective=objective,
        owner=owner,
        key=key,
        name=name,
        baseline_value=20.0,
        baseline_date=today - dt.timedelta(days=150),
        target_value=60.0,
        target_date=today + dt.timedelta(days=200),
        cadence_days=30,
        **kwargs,
    )
    for i, value in enumerate(values):
        MeasurementFactory(
            kpi=kpi,
            as_of=today - dt.timedelta(days=30 * (len(values) - 1 - i)),
            value=value,
            note=f"{name}: reading {i}" if CANARY in name else "",
        )
    return kpi


def world_build() -> World:
    today = timezone.localdate()
    start, due = today - dt.timedelta(days=180), today + dt.timedelta(days=180)
    company = TeamFactory(name="Acme", slug="acme", kind=Team.Kind.COMPANY, parent=None)
    division = TeamFactory(
        name="Commercial", slug="commercial", kind=Team.Kind.DIVISION, parent=company
    )
    sales = TeamFactory(name="Sales", slug="sales", parent=division)
    engineering = TeamFactory(name="Engineering", slug="engineering", parent=company)
    private = TeamFactory(
        name=f"{CANARY} Labs",
        slug=f"{NEEDLE}-labs",
        parent=division,
        is_private=True,
        description=f"What {CANARY} Labs does.",
    )
    private_sub = TeamFactory(
        name=f"{CANARY} Bench",
        slug=f"{NEEDLE}-bench",
        parent=private,
        description=f"{CANARY} bench work.",
    )

    office = UserFactory(username="office")
    office.groups.add(Group.objects.get_or_create(name=STRATEGY_OFFICE_GROUP)[0])
    personas = {
        "viewer": _person("viewer", sales, Membership.Role.VIEWER),
        "other_member": _person("engineer", engineering, Membership.Role.MEMBER),
        "sibling_leader": _person("sales-lead", sales, Membership.Role.LEADER),
    }
    lead = _person(
        f"{NEEDLE}-lead",
        private,
        Membership.Role.LEADER,
        first_name=CANARY,
        last_name=f"{CANARY}son",
        email=f"{NEEDLE}.lead@example.com",
    )
    bench = _person(
        f"{NEEDLE}-bench",
        private_sub,
        Membership.Role.MEMBER,
        first_name=f"{CANARY}ina",
        last_name="Bench",
        email=f"{NEEDLE}.bench@example.com",
    )

    strategy = StrategyFactory(
        status=Strategy.Status.ACTIVE,
        owner=office,
        horizon_start=start,
        horizon_end=due + dt.timedelta(days=400),
    )
    theme = ThemeFactory(strategy=strategy, name="Customers love us")
    period = PeriodFactory(name="This year", start_date=start, end_date=due)

    def objective(team, title, parent=None, owner=None, description=""):
        return ObjectiveFactory(
            theme=theme,
            period=period,
            team=team,
            parent=parent,
            owner=owner,
            title=title,
            description=description,
            start_date=start,
            due_date=due,
        )

    leader = personas["sibling_leader"]
    company_goal = objective(company, "Grow recurring revenue", owner=office)
    division_goal = objective(division, "Win the mid-market", company_goal, leader)
    sales_goal = objective(sales, "Double partner sales", division_goal, leader)
    eng_goal = objective(engineering, "Ship faster", company_goal, personas["other_member"])
    private_goal = objective(
        private, f"{CANARY} moonshot", division_goal, lead, f"Why the {CANARY} moonshot matters."
    )
    private_sub_goal = objective(
        private_sub, f"{CANARY} prototype", private_goal, bench, f"{CANARY} prototype plan."
    )
    private_unowned = objective(private, f"{CANARY} unowned bet", private_goal)

    public_kpis = [
        _kpi(sales_goal, leader, "partner-revenue", "Partner revenue", [20, 22, 23, 24], today),
        _kpi(eng_goal, personas["other_member"], "lead-time", "Lead time", [20, 21, 21], today),
        _kpi(division_goal, leader, "win-rate", "Win rate", [20, 30, 40, 50, 55], today),
    ]
    private_kpis = [
        _kpi(
            private_goal,
            lead,
            f"{NEEDLE}-yield",
            f"{CANARY} yield",
            [20, 21, 21, 21, 21, 21],
            today,
            description=f"How the {CANARY} yield is read.",
            unit=f"{CANARY}s",
            data_source=f"{CANARY} lab sheet",
        ),
        _kpi(
            private_sub_goal,
            bench,
            f"{NEEDLE}-leading",
            f"{CANARY} bench signal",
            [20, 19, 18, 17],
            today,
            kind=KPI.Kind.LEADING,
        ),
        # Owned by the sibling leader (chosen before the people picker applied access): they
        # still must not hear of it.
        _kpi(private_goal, leader, f"{NEEDLE}-orphan", f"{CANARY} orphan", [20], today),
        _kpi(private_unowned, None, f"{NEEDLE}-nobody", f"{CANARY} nobody's", [], today),
        # A private team's leading KPI under the public division objective: its early warning
        # (leading off track, lagging "Win rate" fine) is an alert on a public objective.
        _kpi(
            division_goal,
            lead,
            f"{NEEDLE}-pipeline",
            f"{CANARY} pipeline",
            [20, 19, 18, 17, 16],
            today,
            kind=KPI.Kind.LEADING,
            team=private,
        ),
    ]
    TargetRevisionFactory(kpi=private_kpis[0], changed_by=lead, reason=f"{CANARY} re-plan")
    TrajectoryPointFactory(kpi=private_kpis[0], date=today, value=45.0)
    corrected = Measurement.objects.filter(kpi=private_kpis[0]).order_by("as_of").first()
    MeasurementCorrection.objects.create(
        measurement=corrected,
        old_value=19.0,
        new_value=corrected.value,
        source=Measurement.Source.MANUAL,
        changed_by=lead,
    )

    def initiative(objective_, owner, title, **kwargs):
        return InitiativeFactory(
            objective=objective_,
            team=objective_.team,
            owner=owner,
            title=title,
            start_date=start,
            due_date=due,
            progress=20,
            budget_planned=Decimal("100000"),
            **kwargs,
        )

    sales_work = initiative(sales_goal, leader, "Partner portal")
    eng_work = initiative(eng_goal, personas["other_member"], "CI speed-up")
    private_work = initiative(
        private_goal, lead, f"{CANARY} reactor", description=f"Build the {CANARY} reactor."
    )
    private_work.contributors.add(bench)
    private_orphan = initiative(private_sub_goal, None, f"{CANARY} side quest")
    InitiativeDependency.objects.create(
        initiative=sales_work, depends_on=private_work, note=f"Needs the {CANARY} reactor"
    )
    public_milestones, private_milestones = [], []
    for work, title in ((sales_work, "Portal beta"), (eng_work, "Runner pool")):
        public_milestones.append(
            (work.pk, MilestoneFactory(initiative=work, title=title, due_date=today).pk)
        )
    for work in (private_work, private_orphan):
        overdue = MilestoneFactory(
            initiative=work, title=f"{CANARY} gate {work.pk}", due_date=today - dt.timedelta(3)
        )
        private_milestones.append((work.pk, overdue.pk))
    for work, author, words in (
        (sales_work, leader, "Portal pilot running"),
        (private_work, lead, f"{CANARY} core assembled"),
    ):
        CheckInFactory(
            initiative=work,
            author=author,
            rag=CheckIn.Rag.RED,
            summary=words,
            blockers=f"{words}: blocked" if CANARY in words else "",
            next_steps=f"{words}: next" if CANARY in words else "",
            created_at=timezone.now() - dt.timedelta(days=40),
        )
    SpendEntryFactory(
        initiative=private_work,
        date=today - dt.timedelta(days=10),
        amount=Decimal("90000"),
        category=f"{CANARY} parts",
        note=f"{CANARY} invoice",
    )
    SpendEntryFactory(initiative=sales_work, date=today - dt.timedelta(days=10))

    # Webhooks of the personas (and the office's, a control): what each receives is checked.
    WebhookFactory(name="Sales chat", owner=leader)
    WebhookFactory(name="Engineering chat", owner=personas["other_member"], team=engineering)
    WebhookFactory(name="Division feed", owner=personas["viewer"], team=division)
    WebhookFactory(name="Office feed", owner=office)

    world = World(
        today=today,
        company=company,
        division=division,
        sales=sales,
        engineering=engineering,
        private=private,
        private_sub=private_sub,
        strategy=strategy,
        theme_id=theme.pk,
        period_id=period.pk,
        public_objectives=[division_goal.pk, company_goal.pk, sales_goal.pk, eng_goal.pk],
        private_objectives=[private_goal.pk, private_sub_goal.pk, private_unowned.pk],
        public_kpis=public_kpis,
        private_kpis=private_kpis,
        public_initiatives=[sales_work.pk, eng_work.pk],
        private_initiatives=[private_work.pk, private_orphan.pk],
        public_milestones=public_milestones,
        private_milestones=private_milestones,
        private_people=[lead.pk, bench.pk],
        personas={**personas, "office": office},
    )
    _, world.tokens["token_read"] = token_create(
        user=leader, name="BI export", scopes=[ApiToken.Scope.READ], created_by=leader
    )
    return world


# --- the routes ---------------------------------------------------------------------------------
Urls = Callable[[World], list[str]]


def _ids(kind: str, pattern: str, **options) -> Urls:
    return lambda w: [pattern.format(pk=pk) for pk in w.objects(kind, **options)]


def _api_list(path: str, *queries: str) -> Urls:
    base = f"/api/v1/{path}/"
    return lambda w: [
        base,
        f"{base}?format=csv&page_size=1000",
        f"/api/v1/{path}.csv",
        *[f"{base}?{q.format(w=w)}" for q in queries],
    ]


def _api_detail(path: str, kind: str) -> Urls:
    def urls(w: World) -> list[str]:
        ids = w.objects(kind)
        return [u for pk in ids for u in (f"/api/v1/{path}/{pk}/", f"/api/v1/{path}/{pk}.csv")]

    return urls


def _first(model, **filters) -> Callable[[World], list[int]]:
    return lambda w: list(
        model.objects.filter(**filters).order_by("id").values_list("id", flat=True)
    )


def _alerts(w: World) -> list[int]:
    visible = list(
        Alert.objects.filter(team_id__in=[w.sales.pk, w.division.pk, w.company.pk])
        .order_by("id")
        .values_list("id", flat=True)[:3]
    )
    hidden = list(
        Alert.objects.filter(team_id__in=[w.private.pk, w.private_sub.pk])
        .order_by("id")
        .values_list("id", flat=True)[:2]
    )
    return visible + hidden


def _score_ids(w: World) -> list[int]:
    subjects = [
        (SubjectType.TEAM, w.division.pk),
        (SubjectType.TEAM, w.company.pk),
        (SubjectType.OBJECTIVE, w.public_objectives[0]),
        (SubjectType.OBJECTIVE, w.public_objectives[1]),
        (SubjectType.STRATEGY, w.strategy.pk),
        (SubjectType.TEAM, w.private.pk),
        (SubjectType.KPI, w.private_kpis[0].pk),
    ]
    ids = []
    for subject_type, subject_id in subjects:
        ids += list(
            GapScore.objects.filter(subject_type=subject_type, subject_id=subject_id)
            .order_by("-id")
            .values_list("id", flat=True)[:2]
        )
    return ids


def _subjects(w: World) -> list[str]:
    """Query strings naming the subjects above the private team (and private ones)."""
    pairs = [
        ("team", w.division.pk),
        ("team", w.company.pk),
        ("objective", w.public_objectives[0]),
        ("objective", w.public_objectives[1]),
        ("theme", w.theme_id),
        ("strategy", w.strategy.pk),
        ("team", w.private.pk),
        ("objective", w.private_objectives[0]),
        ("kpi", w.private_kpis[0].pk),
    ]
    return [f"subject_type={t}&subject_id={i}" for t, i in pairs]


def _scores_list(w: World) -> list[str]:
    base = _api_list("scores", "subject_type=team", "subject_type=objective")(w)
    return (
        base
        + [f"/api/v1/scores/?{q}" for q in _subjects(w)]
        + [f"/api/v1/scores/?{q}&format=csv" for q in _subjects(w)[:2]]
    )


def _scores_history(w: World) -> list[str]:
    since = (w.today - dt.timedelta(days=60)).isoformat()
    return [
        u
        for q in _subjects(w)
        for u in (
            f"/api/v1/scores/history/?{q}",
            f"/api/v1/scores/history/?{q}&as_of_from={since}",
            f"/api/v1/scores/history.csv?{q}",
        )
    ]


def _overview(path: str) -> Urls:
    def urls(w: World) -> list[str]:
        long_ago = (w.today - dt.timedelta(days=365)).isoformat()
        teams = [w.division.pk, w.company.pk, w.sales.pk, w.private.pk, w.private_sub.pk]
        return [
            f"{path}?period={w.period_id}&theme={w.theme_id}",
            *[f"{path}?team={t}&since={long_ago}" for t in teams],
            f"{path}?since={long_ago}",
        ]

    return urls


def _kpi_keys(w: World) -> list[str]:
    return [k.key for k in w.public_kpis]


def _milestone_pages(suffix: str) -> Urls:
    def urls(w: World) -> list[str]:
        pairs = w.public_milestones + w.private_milestones[:1]
        return [f"/initiatives/{i}/milestones/{m}/{suffix}" for i, m in pairs]

    return urls


def _login_pages(w: World) -> list[str]:
    return ["/accounts/login/", f"/accounts/login/?next=/objectives/{w.private_objectives[0]}/"]


ROUTES: dict[str, Urls] = {
    # pages
    "home": lambda w: ["/"],
    "healthz": lambda w: ["/healthz"],
    # sign-in, second factor, single sign-on, sessions (django-allauth)
    "account_login": _login_pages,
    "account_logout": lambda w: ["/accounts/logout/"],
    "account_inactive": lambda w: ["/accounts/inactive/"],
    "account_signup": lambda w: ["/accounts/signup/"],
    "account_reauthenticate": lambda w: ["/accounts/reauthenticate/"],
    "account_request_reauthentication_code": lambda w: ["/accounts/reauthenticate/code/"],
    "account_confirm_reauthentication_code": lambda w: ["/accounts/reauthenticate/code/confirm/"],
    "account_confirm_login_code": lambda w: ["/accounts/login/code/confirm/"],
    "account_change_password": lambda w: ["/accounts/password/change/"],
    "account_set_password": lambda w: ["/accounts/password/set/"],
    "account_reset_password": lambda w: ["/accounts/password/reset/"],
    "account_reset_password_done": lambda w: ["/accounts/password/reset/done/"],
    "account_reset_password_from_key": lambda w: [
        f"/accounts/password/reset/key/{_base36(pk)}-set-password/" for pk in w.private_people
    ],
    "account_reset_password_from_key_done": lambda w: ["/accounts/password/reset/key/done/"],
    "mfa_index": lambda w: ["/accounts/2fa/"],
    "mfa_authenticate": lambda w: ["/accounts/2fa/authenticate/"],
    "mfa_reauthenticate": lambda w: ["/accounts/2fa/reauthenticate/"],
    "mfa_activate_totp": lambda w: ["/accounts/2fa/totp/activate/"],
    "mfa_deactivate_totp": lambda w: ["/accounts/2fa/totp/deactivate/"],
    "mfa_view_recovery_codes": lambda w: ["/accounts/2fa/recovery-codes/"],
    "mfa_generate_recovery_codes": lambda w: ["/accounts/2fa/recovery-codes/generate/"],
    "mfa_download_recovery_codes": lambda w: ["/accounts/2fa/recovery-codes/download/"],
    "mfa_list_webauthn": lambda w: ["/accounts/2fa/webauthn/"],
    "mfa_add_webauthn": lambda w: ["/accounts/2fa/webauthn/add/"],
    "mfa_reauthenticate_webauthn": lambda w: ["/accounts/2fa/webauthn/reauthenticate/"],
    # Someone else's key id: a 404 like a missing one.
    "mfa_edit_webauthn": lambda w: ["/accounts/2fa/webauthn/keys/1/edit/"],
    "mfa_remove_webauthn": lambda w: ["/accounts/2fa/webauthn/keys/1/remove/"],
    "openid_connect_login": lambda w: ["/accounts/oidc/sso/login/"],
    "openid_connect_callback": lambda w: ["/accounts/oidc/sso/login/callback/"],
    "socialaccount_connections": lambda w: ["/accounts/3rdparty/"],
    "socialaccount_login_cancelled": lambda w: ["/accounts/3rdparty/login/cancelled/"],
    "socialaccount_login_error": lambda w: ["/accounts/3rdparty/login/error/"],
    "socialaccount_signup": lambda w: ["/accounts/3rdparty/signup/"],
    "usersessions_list": lambda w: ["/accounts/sessions/"],
    "strategy:overview": _overview("/overview/"),
    "strategy:review": _overview("/review/"),
    "strategy:objective-new": lambda w: [
        "/objectives/new/",
        *[f"/objectives/new/?parent={pk}" for pk in w.objects("objective")],
    ],
    "strategy:objective-detail": _ids("objective", "/objectives/{pk}/"),
    # Office only: everyone else gets 403, with or without a private person named.
    "strategy:person-hand-over": lambda w: [
        "/people/hand-over/",
        *[f"/people/hand-over/?leaving={pk}" for pk in w.private_people],
    ],
    "strategy:objective-edit": _ids("objective", "/objectives/{pk}/edit/"),
    "initiatives:my-work": lambda w: ["/my-work/"],
    "initiatives:initiative-new": lambda w: [
        "/initiatives/new/",
        *[f"/initiatives/new/?objective={pk}" for pk in w.objects("objective")],
    ],
    "initiatives:initiative-detail": _ids("initiative", "/initiatives/{pk}/"),
    "initiatives:initiative-edit": _ids("initiative", "/initiatives/{pk}/edit/"),
    "initiatives:checkin-new": _ids("initiative", "/initiatives/{pk}/check-ins/"),
    "initiatives:milestone-new": _ids("initiative", "/initiatives/{pk}/milestones/new/"),
    "initiatives:milestone-edit": _milestone_pages("edit/"),
    "initiatives:milestone-complete": _ids("milestone", "/milestones/{pk}/complete/"),
    "metrics:kpi-new": lambda w: [
        "/kpis/new/",
        *[f"/kpis/new/?objective={pk}" for pk in w.objects("objective")],
    ],
    "metrics:kpi-by-id": _ids("kpi", "/kpis/id/{pk}/"),
    "metrics:kpi-detail": lambda w: [f"/kpis/{key}/" for key in _kpi_keys(w)],
    "metrics:kpi-edit": lambda w: [f"/kpis/{key}/edit/" for key in _kpi_keys(w)],
    "metrics:measurement-new": lambda w: [f"/kpis/{key}/measurements/" for key in _kpi_keys(w)],
    "metrics:alert-list": lambda w: [
        "/alerts/",
        "/alerts/?status=all",
        "/alerts/?mine=on&status=all",
        "/alerts/?status=all&page=2",
        "/alerts/?parts=on&status=all",
        *[f"/alerts/?kind={kind}&status=all" for kind in Alert.Kind.values],
    ],
    "metrics:alert-detail": lambda w: [f"/alerts/{pk}/" for pk in _alerts(w)],
    "metrics:alert-snooze": lambda w: [f"/alerts/{pk}/snooze/" for pk in _alerts(w)],
    # Office only (the security log names everyone): everyone else gets 403.
    "security:event-list": lambda w: [
        "/security/events/",
        "/security/events/?kind=membership_added",
        *[
            f"/security/events/?person={name}"
            for name in get_user_model()
            .objects.filter(pk__in=w.private_people)
            .values_list("username", flat=True)
        ],
        "/security/events/?format=csv",
    ],
    # POSTed empty by the crawl; its messages name only teams of alerts the reader may see.
    "metrics:alert-bulk": lambda w: ["/alerts/bulk/"],
    "metrics:alert-acknowledge": lambda w: [f"/alerts/{pk}/acknowledge/" for pk in _alerts(w)],
    "metrics:alert-resolve": lambda w: [f"/alerts/{pk}/resolve/" for pk in _alerts(w)],
    # API
    "api:team-list": _api_list("teams", "parent={w.division.pk}"),
    "api:team-detail": _api_detail("teams", "team"),
    "api:person-list": _api_list("people", "team={w.division.pk}", "team={w.private.pk}"),
    "api:person-detail": lambda w: [
        f"/api/v1/people/{pk}/" for pk in [*w.private_people, w.personas["viewer"].pk]
    ],
    "api:person-hand-over": lambda w: ["/api/v1/people/hand-over/"],
    "api:period-list": _api_list("periods"),
    "api:period-detail": lambda w: [f"/api/v1/periods/{w.period_id}/"],
    "api:strategy-list": _api_list("strategies"),
    "api:strategy-detail": lambda w: [f"/api/v1/strategies/{w.strategy.pk}/"],
    "api:theme-list": _api_list("themes"),
    "api:theme-detail": lambda w: [f"/api/v1/themes/{w.theme_id}/"],
    "api:objective-list": _api_list(
        "objectives", "team={w.division.pk}", "parent={w.public_objectives[0]}"
    ),
    "api:objective-tree": lambda w: [
        "/api/v1/objectives/tree/",
        f"/api/v1/objectives/tree/?strategy={w.strategy.pk}",
        "/api/v1/objectives/tree.csv",
    ],
    "api:objective-detail": _api_detail("objectives", "objective"),
    "api:initiative-list": _api_list("initiatives", "team={w.division.pk}"),
    "api:initiative-detail": _api_detail("initiatives", "initiative"),
    "api:milestone-list": _api_list("milestones"),
    "api:milestone-detail": _api_detail("milestones", "milestone"),
    "api:checkin-list": _api_list("checkins"),
    "api:checkin-detail": lambda w: [
        f"/api/v1/checkins/{pk}/" for pk in CheckIn.objects.values_list("id", flat=True)
    ],
    "api:spendentry-list": _api_list("spend"),
    "api:spendentry-detail": lambda w: [
        f"/api/v1/spend/{pk}/"
        for pk in Initiative.objects.values_list("spend_entries__id", flat=True)
        if pk is not None
    ],
    "api:kpi-list": _api_list("kpis", "team={w.division.pk}", "status=off_track"),
    "api:kpi-detail": lambda w: [
        *[f"/api/v1/kpis/{k}/" for k in (*_kpi_keys(w), *w.objects("kpi"))],
        f"/api/v1/kpis/{w.public_kpis[0].key}.csv",
    ],
    "api:measurement-list": _api_list("measurements", "kpi={w.public_kpis[0].key}"),
    "api:measurement-ingest": lambda w: ["/api/v1/measurements/ingest/"],
    "api:measurement-detail": lambda w: [
        f"/api/v1/measurements/{pk}/"
        for pk in Measurement.objects.order_by("id").values_list("id", flat=True)
    ],
    "api:gapscore-list": _scores_list,
    "api:gapscore-history": _scores_history,
    "api:gapscore-detail": lambda w: [
        u for pk in _score_ids(w) for u in (f"/api/v1/scores/{pk}/", f"/api/v1/scores/{pk}.csv")
    ],
    "api:alert-list": _api_list("alerts", "status=open", "team={w.division.pk}"),
    "api:alert-detail": lambda w: [f"/api/v1/alerts/{pk}/" for pk in _alerts(w)],
    "api:alert-acknowledge": lambda w: [f"/api/v1/alerts/{pk}/acknowledge/" for pk in _alerts(w)],
    "api:alert-resolve": lambda w: [f"/api/v1/alerts/{pk}/resolve/" for pk in _alerts(w)],
    "api:alert-snooze": lambda w: [f"/api/v1/alerts/{pk}/snooze/" for pk in _alerts(w)],
    "api:alert-events": lambda w: [f"/api/v1/alerts/{pk}/events/" for pk in _alerts(w)],
    "api:webhook-list": _api_list("webhooks"),
    "api:webhook-detail": lambda w: ["/api/v1/webhooks/1/", "/api/v1/webhooks/2/"],
    "api:securityevent-list": _api_list("security-events", "kind=membership_added"),
    "api:securityevent-detail": lambda w: [
        f"/api/v1/security-events/{pk}/"
        for pk in SecurityEvent.objects.order_by("id").values_list("id", flat=True)[:5]
    ],
    "rest_framework:login": lambda w: ["/api/auth/login/"],
    "rest_framework:logout": lambda w: ["/api/auth/logout/"],
    "api-schema": lambda w: ["/api/schema/", "/api/schema/?format=json"],
    "api-docs": lambda w: ["/api/docs/"],
    "api-redoc": lambda w: ["/api/redoc/"],
    "api-not-found": lambda w: ["/api/v2/teams/", f"/api/v1/teams/{w.private.pk}/x/"],
}
# Never posted: they would end the persona's session (or its other sessions).
NO_POST = {"account_logout", "rest_framework:logout", "usersessions_list"}


def _base36(pk: int) -> str:
    from django.utils.http import int_to_base36

    return int_to_base36(pk)


def _route_names() -> set[str]:
    """Every route of the URL conf outside the admin, by name (the API's catch-all: by its
    own key)."""
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                if inner == "admin":
                    continue  # crawled whole by _admin_urls
                walk(entry, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif isinstance(entry, URLPattern):
                if entry.name is None:
                    assert str(entry.pattern) == "^api/", entry.pattern
                    names.add("api-not-found")
                else:
                    names.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver(), None)
    return names


def _admin_urls(w: World) -> list[str]:
    """Every admin route, path parameters filled with a private object's id."""
    from django.contrib import admin

    urls = []
    private_id = str(w.private_objectives[0])
    for entry in admin.site.get_urls():
        urls += _admin_expand(entry, "/admin/", private_id)
    return urls


def _admin_expand(entry, prefix: str, private_id: str) -> list[str]:
    text = str(entry.pattern).lstrip("^").rstrip("$")
    text = re.sub(r"<(?:\w+:)?object_id>", private_id, text)
    text = re.sub(r"<(?:\w+:)?\w+>", "1", text)
    text = re.sub(r"\(\?P<app_label>([^|)]+)[^)]*\)", r"\1", text)
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "x", text)
    if isinstance(entry, URLResolver):
        out = []
        for inner in entry.url_patterns:
            out += _admin_expand(inner, prefix + text, private_id)
        return out
    return [prefix + text]


# --- the crawl ----------------------------------------------------------------------------------
@dataclass
class Found:
    persona: str
    where: str
    excerpt: str


def _excerpts(text: str) -> list[str]:
    """The text around each occurrence of the canary."""
    lowered, out, at = text.lower(), [], 0
    while (at := lowered.find(NEEDLE, at)) != -1:
        out.append(text[max(0, at - 100) : at + 40].replace("\n", " "))
        at += len(NEEDLE)
    return out


def _check(found: list[Found], persona: str, where: str, content: bytes | str) -> None:
    text = content.decode(errors="replace") if isinstance(content, bytes) else content
    for excerpt in _excerpts(text):
        found.append(Found(persona, where, excerpt))


def _clients(w: World) -> dict[str, Client]:
    clients: dict[str, Client] = {}
    for name in ("viewer", "other_member", "sibling_leader", "office"):
        client = Client()
        client.force_login(w.personas[name])
        clients[name] = client
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {w.tokens['token_read']}")
    clients["token_read"] = token
    return clients


def _crawl(w: World, client: Client, persona: str, *, api_only: bool, admin: bool):
    """GET every URL of every route; POST (as HTMX) and PATCH an empty body to the first
    visible and the first private URL of each route: refusals and form errors must not
    leak either. Returns (leaks, number of requests)."""
    found: list[Found] = []
    requests = 0

    def send(method: str, url: str, **kwargs) -> None:
        nonlocal requests
        response = getattr(client, method)(url, **kwargs)
        requests += 1
        assert response.status_code < 500, (persona, method, url)
        _check(found, persona, f"{method.upper()} {url} ({response.status_code})", response.content)

    for name, urls in ROUTES.items():
        listed = [u for u in urls(w) if not api_only or u.startswith("/api/")]
        for url in listed:
            send("get", url)
        if name in NO_POST:
            continue
        for url in dict.fromkeys(listed[:1] + listed[-1:]):
            send("post", url, data={}, headers={"HX-Request": "true"})
            if url.startswith("/api/"):
                send("patch", url, data={}, content_type="application/json")
    if admin:
        for url in _admin_urls(w):
            send("get", url)
    return found, requests


@pytest.fixture
def world(django_capture_on_commit_callbacks) -> World:
    world = world_build()
    with django_capture_on_commit_callbacks(execute=True):
        # A day of history first (older score rows), then today's run, which notifies.
        full_recompute(
            today=world.today - dt.timedelta(days=7),
            now=timezone.now() - dt.timedelta(days=7),
            history=True,
        )
        full_recompute(today=world.today)
    # Every alert open now is notified (those opened by the history run were not), so every
    # e-mail and webhook body the alerts give is checked.
    active = Alert.objects.filter(status__in=Alert.ACTIVE_STATUSES)
    active.update(notified_at=None, notify_claimed_at=None)
    # E-mails leave through the outbox after commit.
    with django_capture_on_commit_callbacks(execute=True):
        alerts_notify(alert_ids=list(active.values_list("id", flat=True)))
    # What the noise budget held back goes out in the daily digest: checked the same way.
    with django_capture_on_commit_callbacks(execute=True):
        digests_build()
    return world


OUTSIDERS = ("viewer", "other_member", "sibling_leader", "token_read")


def _seed_is_used(world: World) -> None:
    """The controls: the private team really feeds what the outsiders read (the scores and an
    alert of the public objects above it), and the strategy office, who may see it, finds the
    canary there; so the crawl below can find it if anything lets it through."""
    division_goal = world.public_objectives[0]
    assert Alert.objects.filter(team=world.private).exists()
    assert Alert.objects.filter(
        kind=Alert.Kind.EARLY_WARNING, subject_type=SubjectType.OBJECTIVE, subject_id=division_goal
    ).exists(), "the private leading KPI must warn on the public objective"
    division_score = GapScore.objects.get(
        subject_type=SubjectType.TEAM, subject_id=world.division.pk, is_latest=True
    )
    assert f'"subject_id": {world.private.pk}' in json.dumps(division_score.components)
    office = _clients(world)["office"]
    for url in (
        f"/objectives/{division_goal}/",
        f"/api/v1/scores/?subject_type=team&subject_id={world.division.pk}",
        f"/api/v1/alerts/?subject_type=objective&subject_id={division_goal}",
        f"/objectives/{world.private_objectives[0]}/",
    ):
        assert NEEDLE in office.get(url).content.decode().lower(), url
    office_feed = WebhookDelivery.objects.filter(webhook__owner=world.personas["office"])
    assert any(NEEDLE in webhook_body(d.payload).decode().lower() for d in office_feed)


def test_the_canary_reaches_nobody_outside_the_private_team(world):
    _seed_is_used(world)
    _schema_operations_crawled(world)
    clients = _clients(world)
    found: list[Found] = []
    total = 0
    for persona in OUTSIDERS:
        leaks, requests = _crawl(
            world,
            clients[persona],
            persona,
            api_only=persona.startswith("token"),
            admin=persona == "viewer",  # the admin sends every non-staff person to its login
        )
        found += leaks
        total += requests
    # E-mails to the personas and the bodies of their webhooks.
    addresses = {world.personas[p].email: p for p in OUTSIDERS if p in world.personas}
    emails = [m for m in mail.outbox if set(m.to) & set(addresses)]
    for message in emails:
        persona = addresses[next(iter(set(message.to) & set(addresses)))]
        html = "".join(body for body, _mimetype in getattr(message, "alternatives", []))
        _check(found, persona, f"e-mail {message.subject!r}", message.subject + message.body + html)
    deliveries = list(
        WebhookDelivery.objects.select_related("webhook__owner").exclude(
            webhook__owner=world.personas["office"]
        )
    )
    for delivery in deliveries:
        body = webhook_body(delivery.payload)
        _check(found, delivery.webhook.owner.username, f"webhook {delivery.webhook}", body)
    assert not found, _report(found, total)
    assert total > 1000
    assert emails, "the personas own public alerts: they must have been e-mailed"
    assert deliveries, "the personas' webhooks must have received the public alerts"


def _report(found: list[Found], total: int) -> str:
    """Where the canary was found (each URL path once), then one example of each text around
    it (digits folded, so the same sentence on many pages is listed once)."""
    where = dict.fromkeys(f"{leak.persona}: {leak.where.split('?')[0]}" for leak in found)
    shapes: dict[str, Found] = {}
    for leak in found:
        shapes.setdefault(re.sub(r"\d+", "N", leak.excerpt[60:]), leak)
    return "\n".join(
        [
            f"{len(found)} occurrences in {total} requests, at:",
            *list(where)[:60],
            "Texts:",
            *[f"{f.persona}: {f.where}: …{f.excerpt}…" for f in list(shapes.values())[:40]],
        ]
    )


def test_every_route_is_crawled():
    """A new URL must be added to ROUTES (and so crawled) before it can ship."""
    names = _route_names()
    assert names - set(ROUTES) == set(), "routes not crawled by the canary test"
    assert set(ROUTES) - names == set(), "ROUTES names routes that no longer exist"


def test_a_route_added_without_crawling_fails(settings):
    """The guard itself: a URL conf with one more route than ROUTES knows is caught."""
    settings.ROOT_URLCONF = "tests.test_canary"
    assert _route_names() - set(ROUTES) == {"uncrawled"}


def _uncrawled(request):  # the extra view of the URL conf above; never requested
    raise NotImplementedError


urlpatterns = [
    path("", include("execsupport.urls")),
    path("uncrawled/", _uncrawled, name="uncrawled"),
]


def _schema_operations_crawled(world: World) -> None:
    """Every path of the API schema is reached by a URL of ROUTES."""
    schema = _clients(world)["office"].get("/api/schema/?format=json").json()
    crawled = [url.split("?")[0] for urls in ROUTES.values() for url in urls(world)]
    missing = []
    for api_path, operations in schema["paths"].items():
        pattern = re.compile(
            "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(api_path)) + r"(\.\w+)?/?$"
        )
        if not any(pattern.match(url) for url in crawled):
            missing.append(f"{api_path} {sorted(operations)}")
    assert not missing, missing
