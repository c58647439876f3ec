"""Derived text (score reasons, components, contributors, alert titles and messages) is
rendered for its reader: a private team's objects are never named to people outside it
(issue #12, section 1).

The organisation of ``tests/conftest.py`` plus Operations (public, under Acme) and its
private team People. Every name in People carries "CANARY" so that any leak is one substring.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail

from metrics.engine import full_recompute
from metrics.explain import alerts_render, hidden_label, scores_explain
from metrics.models import Alert, GapScore, SubjectType, Webhook, WebhookDelivery
from metrics.notifications import alert_payload, alerts_notify
from strategy.access import Access, access_for
from strategy.derived import (
    DerivedNames,
    derived_names,
    derived_neutral,
    items,
    part,
    prefixed,
    ref,
)
from strategy.models import Membership, Strategy
from tests.factories import (
    InitiativeFactory,
    KPIFactory,
    MeasurementFactory,
    MembershipFactory,
    ObjectiveFactory,
    StrategyFactory,
    TeamFactory,
    ThemeFactory,
    UserFactory,
)

TODAY = dt.date(2026, 7, 1)
CANARY = "CANARY"


def _kpi(objective, team, value: float, **kwargs):
    kpi = KPIFactory(objective=objective, team=team, **kwargs)
    for days in (60, 30, 0):
        MeasurementFactory(kpi=kpi, as_of=TODAY - dt.timedelta(days=days), value=value)
    return kpi


@pytest.fixture
def private_plan(company, team, leader, viewer):
    """Operations > People (private). The public objective "Run lean operations" has the
    private objective, a private leading KPI off track and a public lagging KPI on track."""
    operations = TeamFactory(name="Operations", slug="operations", parent=company)
    people = TeamFactory(
        name=f"People {CANARY}-TEAM", slug="people", parent=operations, is_private=True
    )
    people_lead = UserFactory(username="people-lead")
    MembershipFactory(user=people_lead, team=people, role=Membership.Role.LEADER)
    strategy = StrategyFactory(status=Strategy.Status.ACTIVE, owner=leader)
    theme = ThemeFactory(strategy=strategy, name="Operate well")
    parent = ObjectiveFactory(
        theme=theme, team=operations, title="Run lean operations", owner=leader
    )
    secret = ObjectiveFactory(
        theme=theme, team=people, parent=parent, title=f"{CANARY}-OBJ hiring plan"
    )
    secret_kpi = _kpi(secret, people, 21.0, name=f"{CANARY}-KPI attrition", key="canary-kpi")
    secret_initiative = InitiativeFactory(
        objective=secret, team=people, title=f"{CANARY}-INI reorg", progress=5
    )
    # A private team's KPI measuring the public objective (leading, off track) beside a public
    # lagging one on track: the public objective's early warning mentions both.
    secret_lead = _kpi(
        parent, people, 21.0, name=f"{CANARY}-LEAD exits", key="canary-lead", kind="leading"
    )
    public_kpi = _kpi(parent, operations, 30.0, name="Cost per order", kind="lagging")
    full_recompute(today=TODAY)
    return {
        "operations": operations,
        "people": people,
        "people_lead": people_lead,
        "parent": parent,
        "secret": secret,
        "secret_kpi": secret_kpi,
        "secret_initiative": secret_initiative,
        "secret_lead": secret_lead,
        "public_kpi": public_kpi,
        "theme": theme,
        "strategy": strategy,
    }


def _get(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# --- the reproductions of the issue ---------------------------------------------------------
def test_team_score_api_does_not_name_the_private_team_or_its_objective(
    client, private_plan, viewer
):
    """Issue #12: as viewer, GET /api/v1/scores/?subject_type=team&subject_id=<parent team>
    named the private team and its objective."""
    url = f"/api/v1/scores/?subject_type=team&subject_id={private_plan['operations'].pk}"
    body = _get(client, viewer, url)
    assert CANARY not in body
    score = json.loads(body)["results"][0]
    hidden = [c for c in score["components"]["items"] if c["key"] == "hidden"]
    assert hidden == [
        {
            "key": "hidden",
            "label": "1 part you cannot see",
            "score": None,
            "weight": pytest.approx(hidden[0]["weight"]),
            "status": None,
            "detail": "",
            "hidden": True,
            "count": 1,
        }
    ]
    assert hidden[0]["weight"] > 0
    assert "subject_id" not in hidden[0]
    # The same score for someone who may see People names them.
    office_body = _get(client, private_plan["people_lead"], url)
    assert f"{CANARY}-TEAM" in office_body


def test_parent_objective_page_does_not_list_the_private_objective_kpi_or_initiative(
    client, private_plan, viewer
):
    """Issue #12: /objectives/<parent>/ listed the private objective, its KPI and initiative."""
    url = private_plan["parent"].get_absolute_url()
    html = _get(client, viewer, url)
    assert CANARY not in html
    assert "part you cannot see" in html
    assert "Cost per order" in html  # what the viewer may see is still named
    leader_html = _get(client, private_plan["people_lead"], url)
    assert f"{CANARY}-OBJ" in leader_html
    assert f"{CANARY}-LEAD" in leader_html


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/scores/",
        "/api/v1/scores/?format=csv",
        "/api/v1/scores/history/?subject_type=objective&subject_id={parent}",
        "/api/v1/scores/history/?subject_type=objective&subject_id={parent}&format=csv",
        "/api/v1/scores/history/?subject_type=team&subject_id={operations}",
        "/api/v1/scores/history/?subject_type=strategy&subject_id={strategy}",
        "/api/v1/alerts/",
        "/api/v1/alerts/?format=csv",
        "/alerts/",
        "/alerts/?status=all",
        "/overview/",
        "/review/",
        "/objectives/{parent}/",
        "/kpis/{public_key}/",
        "/api/v1/objectives/{parent}/",
        "/api/v1/kpis/",
    ],
)
def test_no_surface_names_the_private_team_to_a_viewer(client, private_plan, viewer, url):
    url = url.format(
        parent=private_plan["parent"].pk,
        operations=private_plan["operations"].pk,
        strategy=private_plan["strategy"].pk,
        public_key=private_plan["public_kpi"].key,
    )
    assert CANARY not in _get(client, viewer, url)


def test_alert_about_a_public_objective_names_private_kpis_only_to_those_who_may_see_them(
    client, private_plan, viewer
):
    alert = Alert.objects.get(kind="early_warning", subject_id=private_plan["parent"].pk)
    assert CANARY not in alert.title + alert.message  # stored naming nothing
    body = json.loads(_get(client, viewer, f"/api/v1/alerts/{alert.pk}/"))
    assert body["title"] == "Leading indicator warns: objective “Run lean operations”"
    assert "off track (a part you cannot see)" in body["message"]
    assert "(KPI “Cost per order”)" in body["message"]
    assert body["details"] == {
        "leading_kpi_ids": [],
        "lagging_kpi_ids": [private_plan["public_kpi"].pk],
    }
    lead = json.loads(_get(client, private_plan["people_lead"], f"/api/v1/alerts/{alert.pk}/"))
    assert f"KPI “{CANARY}-LEAD exits”" in lead["message"]
    assert lead["details"]["leading_kpi_ids"] == [private_plan["secret_lead"].pk]


def test_my_work_alerts_name_only_what_their_owner_may_see(client, private_plan, leader):
    html = _get(client, leader, "/my-work/")
    assert "Leading indicator warns" in html  # the leader of Sales owns the early warning
    assert "KPI “Cost per order”" in html
    assert CANARY not in html


def test_alert_email_is_rendered_for_its_recipient(
    private_plan, leader, django_capture_on_commit_callbacks
):
    """The leader of Sales owns the public objective: the early warning mailed to them names
    the public KPI, never the private one."""
    alert = Alert.objects.get(kind="early_warning", subject_id=private_plan["parent"].pk)
    assert alert.owner == leader
    Alert.objects.update(notified_at=None, notify_claimed_at=None)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        alerts_notify(alert_ids=[alert.pk])
    assert len(mail.outbox) == 1
    text = mail.outbox[0].subject + mail.outbox[0].body
    assert CANARY not in text
    assert "KPI “Cost per order”" in text
    assert "objective “Run lean operations”" in mail.outbox[0].subject


def test_webhook_payload_is_rendered_for_the_given_reader(private_plan, viewer):
    alert = Alert.objects.get(kind="early_warning", subject_id=private_plan["parent"].pk)
    outside = alert_payload(alert, access=access_for(viewer))
    assert CANARY not in json.dumps(outside)
    assert "a part you cannot see" in outside["message"]
    inside = alert_payload(alert, access=access_for(private_plan["people_lead"]))
    assert f"{CANARY}-LEAD" in inside["message"]
    neutral = alert_payload(alert, access=None)
    assert CANARY not in json.dumps(neutral)
    assert "Run lean" not in json.dumps(neutral)


def test_webhook_deliveries_are_rendered_for_their_owner(private_plan, viewer):
    Webhook.objects.create(
        name="ops", url="http://127.0.0.1:9/", secret="s" * 16, created_by=viewer, owner=viewer
    )
    Alert.objects.update(notified_at=None)
    alerts_notify(alert_ids=list(Alert.objects.values_list("id", flat=True)))
    payloads = json.dumps(
        list(WebhookDelivery.objects.values_list("payload", flat=True)), ensure_ascii=False
    )
    assert "objective “Run lean operations”" in payloads  # the viewer may see it
    assert CANARY not in payloads


def test_stored_text_columns_name_no_object(private_plan):
    """What a reader may get without rendering (badge tooltips, admin, old clients) is
    name-free: every name lives in references."""
    stored = json.dumps(
        list(GapScore.objects.values_list("reason", "components", "contributors"))
        + list(Alert.objects.values_list("title", "message"))
    )
    for name in ("Run lean operations", "Cost per order", "Operations", "Operate well"):
        assert name not in stored
    assert CANARY not in stored.replace('"key": "kpi:', "")


# --- the renderer ---------------------------------------------------------------------------
SEES_ALL = Access(user_id=None, is_office=True, visible_team_ids=None)


def _names(access: Access, found: dict) -> DerivedNames:
    names = DerivedNames(access)
    for key, (label, team) in found.items():
        names.known(key, name=label, team_id=team, url=f"/x/{key[1]}/")
    return names


WHY = part(
    "Health {score:.0f}/100; behind mainly because of {why}.",
    score=61.4,
    why=items(
        [
            part("{0} (-{pts:.0f} points)", about=("objective", 1), **{"0": ref("objective", 1), "pts": 12.2}),
            part("{0} (-{pts:.0f} points)", about=("kpi", 2), **{"0": ref("kpi", 2), "pts": 7.0}),
            part("{0} (-{pts:.0f} points)", about=("kpi", 3), **{"0": ref("kpi", 3), "pts": 3.0}),
        ]
    ),
)  # fmt: skip


@pytest.mark.parametrize(
    ("parts", "visible", "text"),
    [
        ("Plain {text} with braces", {1, 2, 3}, "Plain {text} with braces"),
        (part("{a} & {b:.1f}", a="<x>", b=2.25), set(), "<x> & 2.2"),
        (ref("objective", 1), {1}, "objective “Grow”"),
        (ref("objective", 1), set(), "a part you cannot see"),
        (ref("kpi", 9), {1, 2, 3}, "a part you cannot see"),  # gone: never resolved
        (WHY, {1, 2, 3}, "Health 61/100; behind mainly because of objective “Grow” (-12 points), "
         "KPI “NPS” (-7 points) and KPI “Churn” (-3 points)."),
        (WHY, {1}, "Health 61/100; behind mainly because of objective “Grow” (-12 points) and "
         "2 parts you cannot see."),
        (WHY, {2}, "Health 61/100; behind mainly because of KPI “NPS” (-7 points) and 2 parts "
         "you cannot see."),
        (WHY, set(), "Health 61/100; behind mainly because of 3 parts you cannot see."),
        (prefixed("On hold. ", part("{0} slips", **{"0": ref("kpi", 2)})), {2}, "On hold. KPI “NPS” slips"),
        (part("{0}: {d}", about=("kpi", 3), **{"0": ref("kpi", 3), "d": "40 % below"}), {2},
         "a part you cannot see"),
        (part("{broken", x=1), {1}, "{broken"),
        (None, set(), ""),
    ],
)  # fmt: skip
def test_renderer_table(parts, visible, text):
    teams = {1: 10, 2: 20, 3: 30}
    access = Access(
        user_id=1,
        is_office=False,
        roles={10: "viewer"},
        visible_team_ids=frozenset(teams[i] for i in visible),
        hidden_team_ids=frozenset(t for i, t in teams.items() if i not in visible),
    )
    names = _names(
        access,
        {("objective", 1): ("Grow", 10), ("kpi", 2): ("NPS", 20), ("kpi", 3): ("Churn", 30)},
    )
    assert names.text(parts) == text


def test_html_escapes_and_links_only_visible_objects():
    access = Access(
        user_id=1, is_office=False, roles={10: "viewer"}, visible_team_ids=frozenset({10})
    )
    names = _names(access, {("objective", 1): ("<b>Grow</b>", 10), ("kpi", 2): ("NPS", 20)})
    html = names.html(part("{a} {b} {c}", a=ref("objective", 1), b=ref("kpi", 2), c="<i>"))
    assert html == (
        '<a href="/x/1/">objective “&lt;b&gt;Grow&lt;/b&gt;”</a> a part you cannot see &lt;i&gt;'
    )


def test_neutral_form_names_nothing_and_drops_figures_of_parts_about_objects():
    assert derived_neutral(WHY) == "Health 61/100; behind mainly because of 3 parts."
    assert derived_neutral(ref("kpi", 2, neutral="this KPI")) == "this KPI"


def test_references_of_a_page_resolve_in_one_query(private_plan, django_assert_num_queries):
    scores = list(GapScore.objects.filter(is_latest=True))
    assert len(scores) > 8
    viewer_access = Access(
        user_id=None,
        is_office=False,
        roles={private_plan["operations"].pk: "viewer"},
        visible_team_ids=frozenset({private_plan["operations"].pk}),
        hidden_team_ids=frozenset({private_plan["people"].pk}),
    )
    with django_assert_num_queries(1):  # the labels of every reference, one UNION query
        scores_explain(scores=scores, access=viewer_access)
    alerts = list(Alert.objects.all())
    with django_assert_num_queries(1):
        alerts_render(alerts=alerts, access=viewer_access)
    with django_assert_num_queries(0):  # nothing to resolve: no query
        derived_names(access=SEES_ALL, parts=["plain"])


def test_components_hide_private_parts_as_one_row_with_their_weight(private_plan, viewer):
    score = GapScore.objects.get(
        subject_type=SubjectType.OBJECTIVE, subject_id=private_plan["parent"].pk, is_latest=True
    )
    scores_explain(scores=[score], access=access_for(viewer))
    rows = score.explained.components
    hidden = [r for r in rows if r.get("hidden")]
    assert len(hidden) == 1
    assert hidden[0]["label"] == hidden_label(2)
    assert hidden[0]["count"] == 2  # the private objective and the private KPI
    shown = sum(r["weight"] for r in rows if not r.get("hidden"))
    assert shown + hidden[0]["weight"] == pytest.approx(1.0)
    private = {("objective", private_plan["secret"].pk), ("kpi", private_plan["secret_lead"].pk)}
    assert not {(r.get("subject_type"), r.get("subject_id")) for r in rows} & private
    contributors = score.explained.contributors
    assert not {(r.get("subject_type"), r.get("subject_id")) for r in contributors} & private
    assert CANARY not in json.dumps(score.explained.contributors, default=str)
    assert CANARY not in score.explained.reason


# --- the demo of the issue: seed_demo --seed 7, team "People" (private) under "Operations" ----
@pytest.mark.django_db
def test_seed_demo_private_team_people_is_never_named_to_the_viewer(client, settings):
    """Issue #12's reproduction on the demo: as ``viewer``, the scores of Operations and the
    pages above People named People's objectives, KPIs and initiatives."""
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from initiatives.models import Initiative, Milestone
    from metrics.models import KPI
    from strategy.models import Objective, Team

    settings.DEBUG = True  # seed_demo refuses DEBUG=false (production) without a flag
    call_command(
        "seed_demo", "--seed=7", "--today=2026-11-27", "--history-weeks=1", "--no-progress",
        stdout=io.StringIO(),
    )  # fmt: skip
    people = Team.objects.get(name="People", is_private=True)
    operations = people.parent
    assert operations.name == "Operations"
    private = {
        *Objective.objects.filter(team=people).values_list("title", flat=True),
        *KPI.objects.filter(team=people).values_list("name", flat=True),
        *KPI.objects.filter(team=people).values_list("key", flat=True),
        *Initiative.objects.filter(team=people).values_list("title", flat=True),
        *Milestone.objects.filter(initiative__team=people).values_list("title", flat=True),
    }
    public = {
        *Objective.objects.exclude(team=people).values_list("title", flat=True),
        *KPI.objects.exclude(team=people).values_list("name", flat=True),
        *Initiative.objects.exclude(team=people).values_list("title", flat=True),
    }
    private -= public  # a name shared with a visible object may show, for that object
    assert len(private) >= 5
    # The public objectives that People's objectives, KPIs and initiatives roll up into.
    parents = set(
        Objective.objects.filter(children__team=people).exclude(team=people).values_list("pk", flat=True)
    ) | set(
        Objective.objects.filter(kpis__team=people).exclude(team=people).values_list("pk", flat=True)
    )  # fmt: skip
    viewer = get_user_model().objects.get(username="viewer")
    assert not access_for(viewer).can_view_team(people.pk)
    urls = [
        f"/api/v1/scores/?subject_type=team&subject_id={operations.pk}",
        f"/api/v1/scores/history/?subject_type=team&subject_id={operations.pk}",
        f"/api/v1/scores/?subject_type=team&subject_id={operations.parent_id}",
        "/api/v1/scores/?format=csv&page_size=500",
        "/api/v1/alerts/?page_size=500",
        "/alerts/?status=all",
        "/overview/",
        f"/overview/?team={operations.pk}",
        "/review/",
        *(f"/objectives/{pk}/" for pk in parents),
        *(f"/api/v1/scores/history/?subject_type=objective&subject_id={pk}" for pk in parents),
    ]
    client.force_login(viewer)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        leaked = sorted(name for name in private if name in body)
        assert not leaked, (url, leaked)
    # The Operations score still explains itself to the viewer, without names.
    score = client.get(urls[0]).json()["results"][0]
    assert [c["label"] for c in score["components"]["items"] if c["key"] == "hidden"] == [
        "1 part you cannot see"
    ]


def test_references_of_every_subject_type_resolve_together(private_plan, django_assert_num_queries):
    """One UNION over every subject table (typed columns: PostgreSQL refuses a UNION whose
    first branches leave a column untyped)."""
    from tests.factories import MilestoneFactory

    milestone = MilestoneFactory(initiative=private_plan["secret_initiative"], title="M1")
    keys = [
        ("kpi", private_plan["public_kpi"].pk),
        ("initiative", private_plan["secret_initiative"].pk),
        ("milestone", milestone.pk),
        ("objective", private_plan["parent"].pk),
        ("team", private_plan["operations"].pk),
        ("theme", private_plan["theme"].pk),
        ("strategy", private_plan["strategy"].pk),
    ]
    parts = [ref(*key) for key in keys]
    with django_assert_num_queries(1):
        names = derived_names(access=SEES_ALL, parts=parts)
    assert [names.text(p) for p in parts] == [
        "KPI “Cost per order”",
        f"initiative “{CANARY}-INI reorg”",
        "milestone “M1”",
        "objective “Run lean operations”",
        "team “Operations”",
        "theme “Operate well”",
        f"strategy “{private_plan['strategy'].name}”",
    ]
    assert names.get(("milestone", milestone.pk))[1] == (
        f"/initiatives/{private_plan['secret_initiative'].pk}/"
    )
