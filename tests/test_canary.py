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
import io
import json
import os
import re
import zipfile
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
    Webhook,
    WebhookDelivery,
)
from metrics.notifications import alerts_notify, webhook_body
from security.models import SecurityEvent
from strategy.models import (
    STRATEGY_OFFICE_GROUP,
    ApiToken,
    Membership,
    Objective,
    Strategy,
    Team,
)
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
    reviews: dict[str, list[int]] = field(default_factory=dict)  # public ids first, then private
    comments: list[int] = field(default_factory=list)  # public ones first, then private
    assessments: list[int] = field(default_factory=list)  # public ones first, then private
    surveys: dict[str, list[int]] = field(default_factory=dict)
    support: dict[str, list[int]] = field(default_factory=dict)  # public ids first, then private

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

    # Conversation: on public work, and on private work (the canary in the text).
    from activity.comments import comment_post

    comments = [
        comment_post(subject=sales_work, author=leader, body="Portal pilot looks good").pk,
        comment_post(subject=private_work, author=lead, body=f"{CANARY} reactor runs hot").pk,
        comment_post(subject=private_goal, author=lead, body=f"{CANARY} goal talk").pk,
    ]

    world = World(
        comments=comments,
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
    # A private person's token: its name must not reach the integrations page of anyone else.
    token_create(user=lead, name=f"{CANARY} sync", scopes=[ApiToken.Scope.READ], created_by=lead)
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


def _first_version(model, pk: int) -> int:
    return model.history.filter(id=pk).earliest().history_id


def _review_meetings(suffix: str) -> Urls:
    return lambda w: [f"/reviews/meetings/{pk}/{suffix}" for pk in w.reviews["meeting"]]


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


def _browse(path: str) -> Urls:
    """A browse list, plain, filtered to each team (the private ones too: their id alone must
    find nothing for those outside), to each private person as owner, sorted by score."""

    def urls(w: World) -> list[str]:
        teams = [w.division.pk, w.company.pk, w.sales.pk, w.private.pk, w.private_sub.pk]
        return [
            path,
            f"{path}?period={w.period_id}&theme={w.theme_id}&sort=-score",
            *[f"{path}?team={t}" for t in teams],
            *[f"{path}?owner={pk}" for pk in w.private_people],
        ]

    return urls


def _search(w: World) -> list[str]:
    """Searches for words of every name and title there is, private ones included."""
    # Not the canary itself: the page repeats what was typed.
    words = [NEEDLE[:5], "moonshot", "prototype", "unowned bet", "plan", "a", "e"]
    return ["/search/", *[f"/search/?q={word.replace(' ', '+')}" for word in words]]


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


def _people(pattern: str) -> Urls:
    def urls(w: World) -> list[str]:
        visible = [w.personas["viewer"].pk, w.personas["other_member"].pk]
        return [pattern.format(pk=pk) for pk in [*visible, *w.private_people]]

    return urls


def _office_webhooks(w: World) -> list[int]:
    return list(
        Webhook.objects.filter(owner=w.personas["office"])
        .order_by("id")
        .values_list("id", flat=True)
    )


def _login_pages(w: World) -> list[str]:
    return ["/accounts/login/", f"/accounts/login/?next=/objectives/{w.private_objectives[0]}/"]


def _uidb64(pk: int) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(pk))


def _manage(plural: str, page: str, ids: Callable[[World], list[int]]) -> Urls:
    if page == "list":
        return lambda w: [f"/manage/{plural}/"]
    if page == "new":
        return lambda w: [f"/manage/{plural}/new/"]
    return lambda w: [f"/manage/{plural}/{pk}/{page}/" for pk in ids(w)]


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
    "strategy:objective-list": _browse("/objectives/"),
    "strategy:initiative-list": _browse("/initiatives/"),
    "strategy:kpi-list": _browse("/kpis/"),
    "strategy:search": _search,
    # Office only: everyone else gets 403, with or without a private person named.
    "strategy:person-hand-over": lambda w: [
        "/people/hand-over/",
        *[f"/people/hand-over/?leaving={pk}" for pk in w.private_people],
    ],
    "strategy:objective-edit": _ids("objective", "/objectives/{pk}/edit/"),
    # People: a private team's people are a 404 to leaders outside it (office-only actions a
    # 403 to everyone else); memberships of a team the sibling leader does not lead (403) and
    # of the private team (404); an invitation link that is not one (404).
    "strategy:people": lambda w: [
        "/people/",
        *[f"/people/?team={pk}" for pk in w.objects("team")],
        "/people/?q=a&role=member&active=yes",
    ],
    "strategy:person-invite": lambda w: ["/people/invite/"],
    "strategy:person-detail": _people("/people/{pk}/"),
    "strategy:person-invitation-resend": _people("/people/{pk}/resend/"),
    "strategy:person-membership-save": _people("/people/{pk}/memberships/"),
    "strategy:person-deactivate": _people("/people/{pk}/deactivate/"),
    "strategy:person-password-reset": _people("/people/{pk}/password-reset/"),
    "strategy:membership-delete": lambda w: [
        f"/memberships/{pk}/delete/"
        for pk in Membership.objects.filter(
            user__in=[w.personas["other_member"].pk, *w.private_people]
        )
        .order_by("team__is_private", "pk")
        .values_list("pk", flat=True)
    ],
    "strategy:team-members": _ids("team", "/teams/{pk}/members/"),
    "strategy:invitation-accept": lambda w: ["/invitations/not-an-invitation/"],
    # First run and the plan's structure: office only (everyone else 403), the private team's
    # edit and delete pages included. The setup link: a made-up one (400, names nobody).
    "strategy:setup": lambda w: ["/setup/"],
    "strategy:setup-skip": lambda w: ["/setup/skip/"],
    "strategy:setup-link": lambda w: [
        *[f"/setup/link/{_uidb64(pk)}/abc-0123456789abcdef/" for pk in w.private_people]
    ],
    "strategy:manage-period-year": lambda w: ["/manage/periods/year/"],
    **{
        f"strategy:manage-{kind}-{page}": _manage(plural, page, ids)
        for kind, plural, ids in (
            ("strategy", "strategies", lambda w: [w.strategy.pk]),
            ("period", "periods", lambda w: [w.period_id]),
            ("theme", "themes", lambda w: [w.theme_id]),
            ("team", "teams", lambda w: w.objects("team")),
        )
        for page in ("list", "new", "edit", "delete")
    },
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
    # The history of each kind with a private sibling; restore is office only (403 otherwise).
    "activity:history": lambda w: [
        f"/history/{kind}/{pk}/"
        for kind in ("objective", "initiative", "kpi", "milestone", "team")
        for pk in w.objects(kind)
    ],
    "sheets:history-csv": lambda w: [
        f"/history/{kind}/{pk}/export.csv"
        for kind in ("objective", "initiative", "kpi", "team")
        for pk in w.objects(kind)
    ],
    "sheets:history-xlsx": lambda w: [
        f"/history/{kind}/{pk}/export.xlsx"
        for kind in ("objective", "team")
        for pk in w.objects(kind)
    ],
    "api:history-detail": lambda w: [
        f"/api/v1/history/{kind}-{pk}/"
        for kind in ("objective", "initiative", "kpi", "milestone", "team")
        for pk in w.objects(kind)
    ],
    "activity:activity": lambda w: [
        *[
            f"/activity/{kind}/{pk}/"
            for kind in ("objective", "initiative", "kpi")
            for pk in w.objects(kind)
        ],
        *[f"/activity/alert/{pk}/" for pk in _alerts(w)],
    ],
    # POST only (the crawl posts them empty): refused, or a comment that names nothing private.
    "activity:comment-new": lambda w: [
        f"/activity/{kind}/{pk}/comments/"
        for kind in ("objective", "initiative", "kpi")
        for pk in w.objects(kind)
    ],
    "activity:comment-edit": lambda w: [f"/comments/{pk}/edit/" for pk in w.comments],
    "activity:comment-delete": lambda w: [f"/comments/{pk}/delete/" for pk in w.comments],
    "activity:whats-new": lambda w: ["/whats-new/", "/whats-new/?days=90"],
    "activity:history-restore": lambda w: [
        f"/history/objective/{pk}/restore/{_first_version(Objective, pk)}/"
        for pk in w.objects("objective")
    ],
    "metrics:alert-snooze": lambda w: [f"/alerts/{pk}/snooze/" for pk in _alerts(w)],
    # Spreadsheets (sheets/): the import page (office and leaders), templates, exports; the
    # .xlsx answers are read unzipped (_text_of).
    "sheets:plan-import": lambda w: ["/plan/import/"],
    "sheets:plan-template": lambda w: ["/plan/import/template.xlsx"],
    "sheets:plan-template-sheet": lambda w: [
        "/plan/import/template/objectives.csv",
        "/plan/import/template/checkins.csv",
    ],
    "sheets:plan-export": lambda w: ["/plan/export.xlsx"],
    **{
        f"sheets:{kind}-export-{fmt}": (
            lambda w, kind=kind, fmt=fmt: [
                f"/{kind}/export.{fmt}",
                f"/{kind}/export.{fmt}?team={w.division.pk}&sort=-gap",
                f"/{kind}/export.{fmt}?team={w.private.pk}",
                f"/{kind}/export.{fmt}?status=all&parts=on",
            ]
        )
        for kind in ("objectives", "initiatives", "kpis", "alerts")
        for fmt in ("csv", "xlsx")
    },
    # The history of what a list shows (its Excel export's History sheet) as a second CSV.
    **{
        f"sheets:{kind}-history-csv": (
            lambda w, kind=kind: [
                f"/{kind}/history.csv",
                f"/{kind}/history.csv?team={w.private.pk}",
                f"/{kind}/history.csv?status=all",
            ]
        )
        for kind in ("objectives", "initiatives", "kpis")
    },
    **{
        f"sheets:kpi-measurements-{fmt}": (
            lambda w, fmt=fmt: [
                f"/kpis/{key}/measurements.{fmt}"
                for key in [*_kpi_keys(w), *(k.key for k in w.private_kpis[:1])]
            ]
        )
        for fmt in ("csv", "xlsx")
    },
    **{
        f"sheets:initiative-checkins-{fmt}": _ids(
            "initiative", f"/initiatives/{{pk}}/check-ins.{fmt}"
        )
        for fmt in ("csv", "xlsx")
    },
    **{
        f"sheets:spend-{fmt}": _ids("initiative", f"/initiatives/{{pk}}/spend.{fmt}")
        for fmt in ("csv", "xlsx")
    },
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
    # Form helpers: the person pickers' search (never a hidden person, asked by the canary's
    # name too) and the KPI key proposal (a slug of the name sent).
    "strategy:people-choose": lambda w: [
        "/people/choose/",
        f"/people/choose/?q={CANARY}",
        "/people/choose/?q=a",
    ],
    "metrics:kpi-key-proposal": lambda w: ["/kpi-keys/proposal/?name=Revenue"],
    # Integrations: one's own tokens; webhooks of leaders (their own) and the office (all).
    # Posted paths name only others' tokens and webhooks (the crawl must not revoke the token
    # it uses, nor delete the webhooks whose deliveries it checks): 404 for everyone outside.
    "security:integrations": lambda w: ["/integrations/"],
    "security:token-new": lambda w: ["/integrations/tokens/new/"],
    "security:token-revoke": lambda w: [
        f"/integrations/tokens/{key}/revoke/"
        for key in ApiToken.objects.exclude(user__in=w.personas.values()).values_list(
            "token_key", flat=True
        )
    ],
    "security:webhook-new": lambda w: ["/integrations/webhooks/new/"],
    "security:webhook-detail": lambda w: [
        f"/integrations/webhooks/{pk}/"
        for pk in Webhook.objects.order_by("id").values_list("id", flat=True)
    ],
    "security:webhook-delete": lambda w: [
        f"/integrations/webhooks/{pk}/delete/" for pk in _office_webhooks(w)
    ],
    "security:delivery-retry": lambda w: [
        f"/integrations/webhooks/{hook}/deliveries/{pk}/retry/"
        for hook, pk in WebhookDelivery.objects.filter(webhook_id__in=_office_webhooks(w))
        .order_by("id")
        .values_list("webhook_id", "id")[:3]
    ],
    # POSTed empty by the crawl; its messages name only teams of alerts the reader may see.
    "metrics:alert-bulk": lambda w: ["/alerts/bulk/"],
    "metrics:alert-acknowledge": lambda w: [f"/alerts/{pk}/acknowledge/" for pk in _alerts(w)],
    "metrics:alert-resolve": lambda w: [f"/alerts/{pk}/resolve/" for pk in _alerts(w)],
    "metrics:notification-preferences": lambda w: ["/account/notifications/"],
    # the review cycle: public ids first, then the private team's
    "reviews:review-list": lambda w: ["/reviews/"],
    "reviews:review-detail": lambda w: [f"/reviews/{pk}/" for pk in w.reviews["review"]],
    "reviews:meeting-new": lambda w: [f"/reviews/{pk}/meetings/" for pk in w.reviews["review"]],
    "reviews:meeting": lambda w: [f"/reviews/meetings/{pk}/" for pk in w.reviews["meeting"]],
    "reviews:meeting-freeze": _review_meetings("freeze/"),
    "reviews:meeting-move": _review_meetings("move/"),
    "reviews:meeting-cancel": _review_meetings("cancel/"),
    "reviews:meeting-discussed": _review_meetings("discussed/"),
    "reviews:meeting-minutes": _review_meetings("minutes/"),
    "reviews:decision-new": _review_meetings("decisions/"),
    "reviews:action-item-new": _review_meetings("action-items/"),
    "reviews:action-item-status": lambda w: [
        f"/reviews/action-items/{pk}/status/" for pk in w.reviews["action"]
    ],
    "reviews:action-item-to-initiative": lambda w: [
        f"/reviews/action-items/{pk}/to-initiative/" for pk in w.reviews["action"]
    ],
    "reviews:pack": lambda w: [f"/reviews/packs/{pk}/" for pk in w.reviews["pack"]],
    "reviews:pack-pdf": lambda w: [f"/reviews/packs/{pk}/pdf/" for pk in w.reviews["pack"]],
    "api:capabilityassessment-list": _api_list("capability-assessments"),
    "api:capabilityassessment-detail": lambda w: [
        f"/api/v1/capability-assessments/{pk}/" for pk in w.assessments
    ],
    "api:capability-evidence-list": lambda w: [
        f"/api/v1/capability-evidence/{q}"
        for q in ("", f"?team={w.division.pk}", f"?team={w.private.pk}")
    ],
    "api:calibration-list": lambda w: [
        f"/api/v1/calibration/{q}" for q in ("", f"?team={w.division.pk}", f"?team={w.private.pk}")
    ],
    "assessment:assessment-list": lambda w: ["/assessment/"],
    "assessment:assessment-new": lambda w: ["/assessment/new/"],
    "assessment:assessment-detail": lambda w: [f"/assessment/{pk}/" for pk in w.assessments],
    "assessment:assessment-edit": lambda w: [f"/assessment/{pk}/edit/" for pk in w.assessments],
    "assessment:evidence-rows": lambda w: [
        f"/assessment/evidence/{code}/{query}"
        for code in _evidence_codes()
        for query in ("", f"?team={w.division.pk}", f"?team={w.private.pk}")
    ],
    "assessment:calibration": lambda w: [
        "/assessment/calibration/",
        f"/assessment/calibration/?team={w.division.pk}",
        f"/assessment/calibration/?team={w.private.pk}",
    ],
    "reviews:pack-changes-csv": lambda w: [
        f"/reviews/packs/{pk}/changes.csv" for pk in w.reviews["pack"]
    ],
    "reviews:pack-changes-xlsx": lambda w: [
        f"/reviews/packs/{pk}/changes.xlsx" for pk in w.reviews["pack"]
    ],
    "reviews:action-items-csv": lambda w: [
        f"/reviews/{pk}/action-items.csv" for pk in w.reviews["review"]
    ],
    "reviews:action-items-xlsx": lambda w: [
        f"/reviews/{pk}/action-items.xlsx" for pk in w.reviews["review"]
    ],
    "surveys:list": lambda w: ["/surveys/"],
    "surveys:detail": lambda w: [f"/surveys/{pk}/" for pk in w.surveys["survey"]],
    "surveys:round": lambda w: [f"/surveys/rounds/{pk}/" for pk in w.surveys["round"]],
    "surveys:answer": lambda w: [f"/surveys/rounds/{pk}/answer/" for pk in w.surveys["round"]],
    "surveys:close": lambda w: [f"/surveys/rounds/{pk}/close/" for pk in w.surveys["round"]],
    "surveys:reopen": lambda w: [f"/surveys/rounds/{pk}/reopen/" for pk in w.surveys["round"]],
    "surveys:answer-link": lambda w: ["/surveys/answer/not-a-token/"],
    "api:review-list": _api_list("reviews"),
    "api:review-detail": lambda w: [f"/api/v1/reviews/{pk}/" for pk in w.reviews["review"]],
    "api:meeting-list": _api_list("meetings", "review={w.reviews[review][0]}"),
    "api:meeting-detail": lambda w: [f"/api/v1/meetings/{pk}/" for pk in w.reviews["meeting"]],
    "api:pack-list": _api_list("packs"),
    "api:pack-detail": lambda w: [f"/api/v1/packs/{pk}/" for pk in w.reviews["pack"]],
    "api:pack-diff": lambda w: [f"/api/v1/packs/{pk}/diff/" for pk in w.reviews["pack"]],
    "api:pack-pdf": lambda w: [f"/api/v1/packs/{pk}/pdf/" for pk in w.reviews["pack"]],
    "api:decision-list": _api_list("decisions"),
    "api:decision-detail": lambda w: [
        f"/api/v1/decisions/{pk}/" for pk in w.reviews.get("decision", [])
    ],
    "support:plan": lambda w: ["/support/"],
    "support:report-list": lambda w: ["/support/assessments/"],
    "support:report": lambda w: [f"/support/assessments/{pk}/" for pk in w.support["report"]],
    "support:report-pdf": lambda w: [
        f"/support/assessments/{pk}/pdf/" for pk in w.support["report"]
    ],
    "support:report-notes": lambda w: [
        f"/support/assessments/{pk}/notes/" for pk in w.support["report"]
    ],
    "support:report-freeze": lambda w: [
        f"/support/assessments/{pk}/freeze/" for pk in w.support["report"]
    ],
    "support:measure-new": lambda w: [
        f"/support/barriers/{pk}/measures/new/" for pk in w.support["barrier"]
    ],
    "api:assessmentreport-list": _api_list("assessment-reports"),
    "api:assessmentreport-detail": lambda w: [
        f"/api/v1/assessment-reports/{pk}/" for pk in w.support["report"]
    ],
    "api:barrier-list": _api_list("barriers"),
    "api:barrier-detail": lambda w: [f"/api/v1/barriers/{pk}/" for pk in w.support["barrier"]],
    "api:supportmeasure-list": _api_list("support-measures"),
    "api:supportmeasure-detail": lambda w: [
        f"/api/v1/support-measures/{pk}/" for pk in w.support["measure"]
    ],
    "api:actionitem-list": _api_list("action-items"),
    "api:actionitem-detail": lambda w: [
        f"/api/v1/action-items/{pk}/" for pk in w.reviews["action"]
    ],
    "api:actionitem-to-initiative": lambda w: [
        f"/api/v1/action-items/{pk}/to-initiative/" for pk in w.reviews["action"]
    ],
    # API
    "api:team-list": _api_list("teams", "parent={w.division.pk}"),
    "api:team-detail": _api_detail("teams", "team"),
    "api:person-list": _api_list("people", "team={w.division.pk}", "team={w.private.pk}"),
    "api:person-detail": lambda w: [
        f"/api/v1/people/{pk}/" for pk in [*w.private_people, w.personas["viewer"].pk]
    ],
    "api:person-hand-over": lambda w: ["/api/v1/people/hand-over/"],
    "api:person-invite": lambda w: ["/api/v1/people/invite/"],
    "api:membership-list": _api_list(
        "memberships", "team={w.division.pk}", "team={w.private.pk}", "role=leader"
    ),
    # Memberships of a team the sibling leader does not lead (patched: 403) and of the private
    # team (404).
    "api:membership-detail": lambda w: [
        f"/api/v1/memberships/{pk}/"
        for pk in Membership.objects.filter(
            user__in=[w.personas["other_member"].pk, *w.private_people]
        )
        .order_by("team__is_private", "pk")
        .values_list("pk", flat=True)
    ],
    "api:plan-import-list": lambda w: ["/api/v1/plan-import/"],
    "api:survey-list": _api_list("surveys"),
    "api:survey-detail": lambda w: [f"/api/v1/surveys/{pk}/" for pk in w.surveys["survey"]],
    "api:surveyround-list": _api_list("survey-rounds"),
    "api:surveyround-detail": lambda w: [
        f"/api/v1/survey-rounds/{pk}/" for pk in w.surveys["round"]
    ],
    "api:surveyround-results": lambda w: [
        u
        for pk in w.surveys["round"]
        for u in (f"/api/v1/survey-rounds/{pk}/results/", f"/api/v1/survey-rounds/{pk}/results.csv")
    ],
    "api:surveyround-answer": lambda w: [
        f"/api/v1/survey-rounds/{pk}/answer/" for pk in w.surveys["round"]
    ],
    "api:surveyround-close": lambda w: [
        f"/api/v1/survey-rounds/{pk}/close/" for pk in w.surveys["round"]
    ],
    "api:surveyround-reopen": lambda w: [
        f"/api/v1/survey-rounds/{pk}/reopen/" for pk in w.surveys["round"]
    ],
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
    "api:comment-list": _api_list(
        "comments", "subject_type=initiative&subject_id={w.private_initiatives[0]}"
    ),
    "api:comment-detail": lambda w: [
        u for pk in w.comments for u in (f"/api/v1/comments/{pk}/", f"/api/v1/comments/{pk}.csv")
    ],
    "api:webhook-detail": lambda w: ["/api/v1/webhooks/1/", "/api/v1/webhooks/2/"],
    "api:me-notification-preferences": lambda w: ["/api/v1/me/notification-preferences/"],
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


def _text_of(content: bytes | str) -> str:
    """A response as text; an .xlsx workbook (a zip) as the text of all its parts; a PDF as
    the text extracted from its pages (its streams are compressed)."""
    if isinstance(content, str):
        return content
    if content.startswith(b"%PDF-"):
        from pypdf import PdfReader

        return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(n).decode(errors="replace") for n in book.namelist())
    return content.decode(errors="replace")


def _check(found: list[Found], persona: str, where: str, content: bytes | str) -> None:
    text = _text_of(content)
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
        if method == "get" and response.status_code == 202 and "/packs/" in url:
            # A pack's PDF is laid out by a worker from the HTML rendered for this reader
            # (reviews.pdf): the job just started or reused holds what it will print.
            from reviews.models import PackPdf

            job = PackPdf.objects.order_by("-requested_at", "-id").first()
            _check(found, persona, f"PDF job of {url}", job.html)

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
    _reviews_seed(world)
    _assessments_seed(world)
    _surveys_seed(world)
    _support_seed(world)
    return world


def _evidence_codes() -> list[str]:
    from assessment.evidence import FIGURES

    return sorted(FIGURES)


def _assessments_seed(w: World) -> None:
    """Capability assessments of the organisation, of Sales and of the private team (its notes
    carry the canary); the private team's check-ins get blocker tags and a leader's answer, so
    the evidence pages have private rows to leave out."""
    from activity.models import Comment
    from assessment.models import CAPABILITIES, CapabilityAssessment

    office = w.personas["office"]

    def assess(team, notes: str) -> int:
        return CapabilityAssessment.objects.create(
            strategy=w.strategy,
            team=team,
            assessor=office,
            assessed_on=w.today,
            **{f"{c}_score": 3 for c in CAPABILITIES},
            **{f"{c}_notes": notes for c in CAPABILITIES},
        ).pk

    public = [assess(None, "Organisation view"), assess(w.sales, "Sales view")]
    private = assess(w.private, f"{CANARY} capability notes")
    CheckIn.objects.filter(initiative_id__in=w.private_initiatives).update(
        blocker_tags="skills", blockers=f"{CANARY} blocker"
    )
    for pk in w.private_initiatives:
        Comment.objects.create(
            subject_type="initiative", subject_id=pk, author=office, body=f"{CANARY} answer"
        )
    w.assessments = [*public, private]


def _surveys_seed(w: World) -> None:
    """A pulse survey sent to Sales and to the private team: the private team's name must not
    appear on its pages for those who cannot see it."""
    from strategy.access import access_for
    from surveys.services import round_send, survey_create

    office = w.personas["office"]
    survey = survey_create(
        access=access_for(office), user=office, strategy=w.strategy, template="execution_pulse"
    )
    round_ = round_send(
        access=access_for(office),
        user=office,
        survey=survey,
        label="Pulse",
        opens_on=w.today - dt.timedelta(days=1),
        closes_on=w.today + dt.timedelta(days=6),
        team_ids=[w.sales.pk, w.private.pk],
    )
    w.surveys = {"survey": [survey.pk], "round": [round_.pk]}


def _support_seed(w: World) -> None:
    """The support loop over the world: the private team assessed weakest on tools (so the
    frozen report's top barrier names it among the affected teams), a support measure of the
    private team (tested there) and a public one whose test includes the private team, and
    this period's draft assessment (live) that opens with what changed."""
    from assessment.models import CapabilityAssessment
    from support.models import AssessmentReport
    from support.services import report_create, report_freeze, support_measure_create

    office = w.personas["office"]
    strong = {f"{c}_score": 5 for c in ("structure", "leadership", "tools", "talent", "agility")}
    for team, tools in ((w.private, 1), (w.private_sub, 1), (w.sales, 4)):
        CapabilityAssessment.objects.create(
            strategy=w.strategy,
            team=team,
            assessed_on=w.today - dt.timedelta(days=40),
            **{**strong, "tools_score": tools},
        )
    first = report_create(
        strategy=w.strategy, period=PeriodFactory(name="Canary past"), title="Past", by=office
    )
    report_freeze(report=first, by=office, today=w.today - dt.timedelta(days=30))
    barrier = first.barriers.get(capability="tools")
    assert w.private.pk in barrier.team_ids
    measures = []
    for team, objective_id, title, tests in (
        (w.sales, w.public_objectives[-1], "Shared pipeline board", [w.sales, w.private]),
        (w.private, w.private_objectives[0], f"{CANARY} coaching", [w.private, w.private_sub]),
    ):
        initiative = Initiative(
            objective_id=objective_id,
            team=team,
            owner=office,
            title=title,
            description=f"{title} pilot",
            start_date=w.today - dt.timedelta(days=20),
            due_date=w.today + dt.timedelta(days=40),
            status=Initiative.Status.ACTIVE,
        )
        measures.append(
            support_measure_create(
                barrier=barrier,
                initiative=initiative,
                category="enabling_technology",
                capability="tools",
                test_teams=tests,
                test_start=w.today - dt.timedelta(days=20),
                test_end=w.today + dt.timedelta(days=20),
                adoption="kpi",
                kpi=w.private_kpis[0],
            )
        )
    draft = report_create(
        strategy=w.strategy, period=PeriodFactory(name="Canary now"), title="Now", by=office
    )
    w.support = {
        "report": [first.pk, draft.pk],
        "barrier": [barrier.pk],
        "measure": [m.pk for m in measures],
    }
    assert AssessmentReport.objects.count() == 2


def _reviews_seed(w: World) -> None:
    """The review cycle over the world: a strategy review whose two packs (the second after a
    private KPI moved) hold the private team's items, a review of the private team itself, a
    decision concerning a private and a public KPI, and action items on both sides."""
    from reviews.models import Meeting, Review
    from reviews.services import action_item_create, decision_record, pack_freeze

    office, viewer = w.personas["office"], w.personas["viewer"]
    now = timezone.now()
    public = Review.objects.create(
        name="Monthly business review", strategy=w.strategy, owner=office
    )
    public.participants.set([office, viewer, w.personas["sibling_leader"], *w.private_people])
    first = Meeting.objects.create(review=public, starts_at=now - dt.timedelta(days=30))
    pack_freeze(meeting=first, now=now - dt.timedelta(days=30))
    private_kpi = w.private_kpis[0]
    Measurement.objects.filter(kpi=private_kpi).update(value=5.0)
    decision = decision_record(
        meeting=first,
        text="Shift budget to the pilot",
        decided_by=office,
        recorded_by=office,
        kpi_ids=[private_kpi.pk, w.public_kpis[0].pk],
        objective_ids=[w.private_objectives[0], w.public_objectives[0]],
    )
    action_item_create(
        title="Write the pilot plan",
        owner=viewer,
        due_date=w.today,
        created_by=office,
        meeting=first,
        team_id=w.sales.pk,
    )
    second = Meeting.objects.create(review=public, starts_at=now)
    pack_freeze(meeting=second, now=now)
    hidden = Review.objects.create(
        name=f"{CANARY} weekly",
        strategy=w.strategy,
        scope=Review.Scope.TEAM,
        team=w.private,
        owner=office,
    )
    hidden.participants.set(w.private_people)
    private_meeting = Meeting.objects.create(review=hidden, starts_at=now)
    private_pack, _ = pack_freeze(meeting=private_meeting, now=now)
    private_item = action_item_create(
        title=f"{CANARY} follow-up",
        owner=get_user_model().objects.get(pk=w.private_people[0]),
        due_date=w.today,
        created_by=office,
        meeting=private_meeting,
        team_id=w.private.pk,
    )
    public_item = first.action_items.get()
    w.reviews = {
        "review": [public.pk, hidden.pk],
        "meeting": [first.pk, second.pk, private_meeting.pk],
        "pack": [first.pack.pk, second.pack.pk, private_pack.pk],
        "action": [public_item.pk, private_item.pk],
        "decision": [decision.pk],
    }


def _pdf_renders() -> bool:
    """WeasyPrint loads here, or this is CI (where a missing library must fail)."""
    from execsupport.pdf import PdfUnavailable, weasyprint_module

    try:
        weasyprint_module()
    except PdfUnavailable:
        return os.environ.get("CI") == "true"
    return True


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
        f"/reviews/packs/{world.reviews['pack'][1]}/",
        *([f"/reviews/packs/{world.reviews['pack'][1]}/pdf/"] if _pdf_renders() else []),
        f"/reviews/meetings/{world.reviews['meeting'][0]}/",
        "/plan/export.xlsx",
        f"/kpis/{world.private_kpis[0].key}/measurements.xlsx",
    ):
        response = office.get(url)
        if response.status_code == 202:  # a pack's PDF, made by the worker (called here)
            from reviews.models import PackPdf
            from reviews.pdf import pack_pdf_render

            job = PackPdf.objects.order_by("-requested_at", "-id").first()
            assert pack_pdf_render(job_id=job.pk) == "done"
            response = office.get(url)
        assert NEEDLE in _text_of(response.content).lower(), url
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
