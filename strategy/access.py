"""Who may see and do what: the one place that answers it for pages, the API, tasks and commands.

Rules
-----
* The **strategy office** (superusers and members of the "Strategy office" group) sees and
  edits everything.
* Anyone with at least one team membership sees the plan: every objective, initiative and KPI
  of every team that is not private. A **private** team's content (and that of teams below it)
  is visible only to people with a role on it or above it.
* A role on a team carries down to the teams below it: the leader of a division leads its teams.
* **Leaders** edit their teams' objectives, initiatives, milestones and KPIs, and record check-ins,
  spend and measurements for them.
* **Members** update the initiatives they own or contribute to (check-ins, milestones, progress,
  spend) and record measurements for the KPIs they own. An initiative's **owner** also edits its
  description, contributors, check-in cadence and milestones (``initiative_fields_writable``,
  ``can_plan_milestones``); its dates, budget, priority and status stay with leaders.
* **Viewers** read. People with no membership see nothing.
* **People:** the office manages everyone (invites, deactivates, resets passwords, hands work
  over). A leader invites people to and manages the memberships of the teams they lead (their
  team and the teams below it), granting no role above their own, and never changes a team's
  privacy.
* **Integrations:** everyone manages their own API tokens (``strategy.services``); the office
  manages every outbound webhook, a leader the webhooks they own (acting for themselves).

``access_for(user)`` computes the person's effective roles once (two small queries) and caches
them on the user object for the rest of the request.

Why this module is long: it is the one place every rule of access is computed (the house rule:
one place per rule, asked by every page, endpoint, task, command and import). Its parts (the
effective roles, scoping a queryset, the object checks, the people rules) read the same cached
roles and the same team tree; split across modules they would be read, and could drift, apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from django.apps import apps as django_apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup, Q, QuerySet
from typing_extensions import override

from strategy.models import STRATEGY_OFFICE_GROUP, Membership, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from initiatives.models import Initiative
    from metrics.models import KPI, Alert, Webhook
    from strategy.models import Objective


class InIds(Lookup):
    """``field__in_ids=ids``: ``field__in`` for integer ids, as one array parameter on
    PostgreSQL (``= ANY(%s::bigint[])``). Scopes pass hundreds of team ids, and ``__in`` prepares and
    binds each of them separately on every query that is built (about 2 ms a query for a
    hundred ids). Registered on every field and relation by ``StrategyConfig.ready``.

    The array is sent as one literal (``'{1,2,3}'::bigint[]``), not as the ``ARRAY[1, 2, 3]``
    that psycopg2 makes of a list: for a hundred ids, 22 µs to build instead of 184 µs, and
    PostgreSQL parses one constant instead of folding a hundred (1.3 ms less of its time on
    the overview, which sends 16 such arrays)."""

    lookup_name = "in_ids"
    prepare_rhs = False
    postgresql_sql = "{lhs} = ANY(%s::{type}[])"

    @override
    def get_prep_lookup(self) -> list[int]:
        return sorted(int(value) for value in self.rhs)

    @override
    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # Typed like the column: an int[] against a bigint column is not hashed by the
            # planner, and a NOT IN over thousands of rows then compares each id in turn.
            db_type = self.lhs.output_field.db_type(connection)
            ids = "{" + ",".join(map(str, self.rhs)) + "}"  # ints: get_prep_lookup made them
            return self.postgresql_sql.format(lhs=lhs, type=db_type), [*lhs_params, ids]
        if not self.rhs:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]


class InIdSet(InIds):
    """``field__in_id_set=ids``: ``in_ids`` for the teams of an access scope, written
    ``IN (SELECT unnest(%s::bigint[]))`` on PostgreSQL.

    For ``= ANY(array)`` the planner looks each element up in the column's statistics: with a
    hundred hidden teams that is about 1 ms of planning for every scoped query, a dozen on the
    overview. A set from a subquery is estimated as a whole, and runs as a hashed semi-join or
    (negated) a hashed subplan, as fast as the array. It cannot probe an index through an OR,
    so lists of ids to fetch keep ``in_ids``."""

    lookup_name = "in_id_set"
    postgresql_sql = "{lhs} IN (SELECT unnest(%s::{type}[]))"


# What an initiative's owner may change (``Access.initiative_fields_writable``); a contributor
# only reports progress. Everything else of an initiative is its team leaders'.
INITIATIVE_OWNER_FIELDS = frozenset(
    {"description", "contributors", "checkin_cadence_days", "progress"}
)
INITIATIVE_MEMBER_FIELDS = frozenset({"progress"})
# Why a field was refused, for the form and the API.
INITIATIVE_LEADER_ONLY = "Only the leaders of the initiative's team change this."

ROLE_RANK: dict[str, int] = {
    Membership.Role.VIEWER: 1,
    Membership.Role.MEMBER: 2,
    Membership.Role.LEADER: 3,
}
_CACHE_ATTR = "_execsupport_access"


@dataclass
class Access:
    """A person's effective rights (``access_for``): the strategy office flag, the role per team
    (carried down to the teams below) and the teams whose content they may see. Computed once per
    request and cached on the user object; pages, the API, tasks and commands all ask it."""

    user_id: int | None
    is_office: bool
    # team id -> effective role (the strongest on the team or any team above it)
    roles: dict[int, str] = field(default_factory=dict)
    # ids of every team whose content this person may see (None: all of them)
    visible_team_ids: frozenset[int] | None = frozenset()
    # every other team (those hidden from this person), when known
    hidden_team_ids: frozenset[int] | None = None
    # (id, name, parent id) of the visible teams by name, when already read with the roles
    _visible_teams: list[tuple[int, str, int | None]] | None = field(
        default=None, repr=False, compare=False
    )

    # --- reading ------------------------------------------------------------------------------
    @property
    def sees_anything(self) -> bool:
        """Whether this person sees the plan at all: the strategy office, or a role on some team."""
        return self.is_office or bool(self.roles)

    def can_view_team(self, team_id: int) -> bool:
        """Whether this person may see the team's content (every team for the strategy office)."""
        return self.visible_team_ids is None or team_id in self.visible_team_ids

    def team_filter(self, lookup: str = "team_id") -> Q:
        """A ``Q`` restricting a queryset to the teams this person may see.

        Usually most teams are visible and few hidden: then "not one of the hidden teams" is
        the same set with a far shorter SQL parameter list (a large organisation has
        thousands of teams). Rows without a team stay excluded either way.
        """
        if self.visible_team_ids is None:
            return Q()
        hidden = self.hidden_team_ids
        if hidden is not None and len(hidden) < len(self.visible_team_ids):
            return Q(**{f"{lookup}__isnull": False}) & ~Q(**{f"{lookup}__in_id_set": hidden})
        return Q(**{f"{lookup}__in_id_set": self.visible_team_ids})

    def visible_teams(self) -> list[tuple[int, str, int | None]]:
        """``(id, name, parent id)`` of every team this person may see, by name: read with the
        roles (no query) unless this person sees every team."""
        if self._visible_teams is None:
            self._visible_teams = list(
                self.scope(Team.objects.all(), "id")
                .order_by("name", "id")
                .values_list("id", "name", "parent_id")
            )
        return self._visible_teams

    def can_view_alert(self, alert: Alert) -> bool:
        """An alert is seen by those who may see its subject's team; an alert without a team
        (a theme's or the strategy's, which are never private) by anyone who sees the plan."""
        if alert.team_id is None:
            return self.sees_anything
        return self.can_view_team(alert.team_id)

    def alert_filter(self) -> Q:
        """``can_view_alert`` as a ``Q`` on alerts (pages, API, notifications)."""
        if self.visible_team_ids is None:
            return Q()
        if not self.sees_anything:
            return Q(pk__in=[])
        return self.team_filter("team_id") | Q(team_id__isnull=True)

    def can_view_subject(self, subject) -> bool:
        """May this person see ``subject``, whatever its kind: the one rule behind notifying,
        @mentioning and naming someone on an object (``people_blind_to``). An alert by
        ``can_view_alert``; a review by its scope (``can_view_review``; being one of its
        participants does not count: that is what naming someone on it decides); an action
        item by its team and its meeting's review; anything with a team (objectives,
        initiatives, KPIs, milestones and check-ins through their initiative) by that team;
        the rest (themes, strategies) by anyone who sees the plan."""
        if isinstance(subject, django_apps.get_model("metrics", "Alert")):
            return self.can_view_alert(subject)
        if hasattr(subject, "scope_team_id") and hasattr(type(subject), "participants"):
            return self.can_view_review(subject)
        if hasattr(subject, "meeting_id") and hasattr(subject, "decision_id"):  # an action item
            meeting = subject.meeting if subject.meeting_id else None
            if meeting is not None and not self.can_view_review(meeting.review):
                return False
        team_id = getattr(subject, "team_id", None)
        if team_id is None and getattr(subject, "initiative_id", None) is not None:
            team_id = getattr(subject.initiative, "team_id", None)
        if team_id is None:
            return self.sees_anything
        return self.sees_anything and self.can_view_team(team_id)

    def count_hidden(self, queryset: QuerySet, lookup: str = "team_id") -> int:
        """How many rows of ``queryset`` lie in teams this person may not see (rows without a
        team count as hidden only from someone who sees nothing): what may be said of them to
        someone who cannot see them. At most two counts."""
        if self.visible_team_ids is None:
            return 0
        total = queryset.count()
        if not total or not self.sees_anything:
            return total
        return (
            total
            - queryset.filter(self.team_filter(lookup) | Q(**{f"{lookup}__isnull": True})).count()
        )

    def scope(self, queryset: QuerySet, lookup: str = "team_id") -> QuerySet:
        """``queryset`` restricted to the teams this person may see through ``lookup`` (default
        ``team_id``); unchanged for the strategy office, empty for someone who sees no team."""
        if self.visible_team_ids is None:
            return queryset
        if not self.visible_team_ids:
            return queryset.none()
        return queryset.filter(self.team_filter(lookup))

    # --- roles --------------------------------------------------------------------------------
    def role_on(self, team_id: int) -> str | None:
        """This person's effective role on the team (a ``Membership.Role`` value, carried down from
        a team above), or None."""
        return self.roles.get(team_id)

    def leads(self, team_id: int) -> bool:
        """Whether this person leads the team (a leader role on it or a team above it); always for
        the strategy office."""
        return self.is_office or self.roles.get(team_id) == Membership.Role.LEADER

    @property
    def is_leader_anywhere(self) -> bool:
        """Whether this person leads some team (or is the strategy office): who may invite, import
        and review a team."""
        return self.is_office or Membership.Role.LEADER in self.roles.values()

    @property
    def can_contribute(self) -> bool:
        """Viewers only read, even on work they are named on."""
        return self.is_office or any(
            ROLE_RANK[role] >= ROLE_RANK[Membership.Role.MEMBER] for role in self.roles.values()
        )

    @cached_property
    def contributed_initiative_ids(self) -> frozenset[int]:
        """Ids of the initiatives this person is a contributor on (one query, cached on this
        object); empty for an anonymous user."""
        if self.user_id is None:
            return frozenset()
        # Through the app registry: the initiatives app imports this module, not the reverse.
        initiative = django_apps.get_model("initiatives", "Initiative")
        return frozenset(
            initiative.contributors.through.objects.filter(user_id=self.user_id).values_list(
                "initiative_id", flat=True
            )
        )

    # --- writing ------------------------------------------------------------------------------
    def can_manage_strategy(self) -> bool:
        """Strategies, themes, periods and teams (memberships: ``can_manage_memberships``)."""
        return self.is_office

    # --- people ------------------------------------------------------------------------------
    def can_manage_people(self) -> bool:
        """Open the People page, invite people: the office and leaders (of any team)."""
        return self.is_leader_anywhere

    def can_manage_memberships(self, team_id: int) -> bool:
        """Add, change and remove memberships of this team: the office everywhere, a leader on
        the teams they lead (their team and, as roles carry down, every team below it)."""
        return self.leads(team_id)

    def can_grant_role(self, team_id: int, role: str) -> bool:
        """Give (or keep) ``role`` on this team: on a team they manage, never a role above the
        reader's own effective role there. The office grants anything."""
        if self.is_office:
            return True
        own = self.roles.get(team_id)
        if own is None or not self.can_manage_memberships(team_id):
            return False
        return ROLE_RANK.get(role, 99) <= ROLE_RANK[own]

    def can_change_membership(self, team_id: int, old_role: str | None, new_role: str) -> bool:
        """Set a person's role on a team from ``old_role`` (None: not yet a member) to
        ``new_role``; both must be within the reader's reach on that team."""
        if old_role is not None and not self.can_grant_role(team_id, old_role):
            return False
        return self.can_grant_role(team_id, new_role)

    def can_remove_membership(self, team_id: int, role: str) -> bool:
        """Remove a membership: only one the reader could have granted."""
        return self.can_grant_role(team_id, role)

    def can_change_team_privacy(self) -> bool:
        """Make a team private or public: the strategy office only (it decides who sees what
        across the organisation; a leader must not hide their team from the leaders above)."""
        return self.is_office

    def can_administer_accounts(self) -> bool:
        """Deactivate people, hand their work over, send password resets, grant the strategy
        office: the office only."""
        return self.is_office

    def can_manage_team(self, team: Team | None = None) -> bool:
        """Create, rename, move, delete a team (``None``: create one). The team tree is the
        strategy office's: a leader's role carries down the tree, so moving a team would move
        whose plan a leader sees."""
        return self.is_office

    def can_save_team(self, team: Team) -> bool:
        """The rule pages and the API both apply to a team about to be saved (new or changed):
        managing teams, and, when its privacy is set or changed, setting privacy."""
        if not self.can_manage_team(team if team.pk else None):
            return False
        changed = team.changed_fields()
        privacy_changed = bool(team.is_private) if changed is None else "is_private" in changed
        return not privacy_changed or self.can_change_team_privacy()

    def can_edit_objective(self, objective: Objective) -> bool:
        """Change the objective: leaders of its team (and the strategy office)."""
        return self.leads(objective.team_id)

    def can_create_objective_for(self, team_id: int) -> bool:
        """Create an objective for the team: its leaders (and the strategy office)."""
        return self.leads(team_id)

    def can_edit_initiative(self, initiative: Initiative) -> bool:
        """Change the initiative's definition: title, dates, budget, owner, status."""
        return self.leads(initiative.team_id)

    def can_update_initiative(self, initiative: Initiative) -> bool:
        """Post check-ins, complete milestones, report progress and spend."""
        if self.leads(initiative.team_id):
            return True
        if not self.can_contribute or not self.can_view_team(initiative.team_id):
            return False
        return (
            initiative.owner_id == self.user_id or initiative.pk in self.contributed_initiative_ids
        )

    def initiative_fields_writable(self, initiative: Initiative) -> frozenset[str] | None:
        """The fields of ``initiative`` this person may change: None for every one (its team's
        leaders, the office); its **owner**: description, contributors, check-in cadence and
        reported progress (``INITIATIVE_OWNER_FIELDS``); a contributor: progress; anyone else:
        none. Dates, budget, priority, status, team, objective and owner stay with leaders.
        The page's form and the API's serializer both apply it."""
        if self.can_edit_initiative(initiative):
            return None
        if not self.can_update_initiative(initiative):
            return frozenset()
        if initiative.owner_id is not None and initiative.owner_id == self.user_id:
            return INITIATIVE_OWNER_FIELDS
        return INITIATIVE_MEMBER_FIELDS

    def initiative_fields_refused(
        self, initiative: Initiative, changed: Iterable[str]
    ) -> list[str]:
        """Of the ``changed`` fields, those this person may not change, sorted (none: allowed)."""
        allowed = self.initiative_fields_writable(initiative)
        return [] if allowed is None else sorted(set(changed) - allowed)

    def can_open_initiative_form(self, initiative: Initiative) -> bool:
        """The initiative's edit page: its team's leaders (every field) and its owner (their
        fields; the others shown, not editable)."""
        return self.initiative_fields_writable(initiative) in (None, INITIATIVE_OWNER_FIELDS)

    def can_plan_milestones(self, initiative: Initiative) -> bool:
        """Add, change and delete an initiative's milestones: its team's leaders and its owner
        (completing one is ``can_update_initiative``)."""
        if self.can_edit_initiative(initiative):
            return True
        return (
            initiative.owner_id is not None
            and initiative.owner_id == self.user_id
            and self.can_update_initiative(initiative)
        )

    def can_edit_kpi(self, kpi: KPI) -> bool:
        """Change the KPI's definition: leaders of its team (and the strategy office)."""
        return self.leads(kpi.team_id)

    def can_record_measurement(self, kpi: KPI) -> bool:
        """Record a value: leaders of the KPI's team, and its owner if more than a viewer and still
        able to see the team."""
        if self.leads(kpi.team_id):
            return True
        return (
            self.can_contribute
            and kpi.owner_id is not None
            and kpi.owner_id == self.user_id
            and self.can_view_team(kpi.team_id)
        )

    # --- the review cycle (duck-typed on reviews.models: strategy never imports reviews) ------
    def can_view_review(self, review, *, participant_ids: Iterable[int] = ()) -> bool:
        """A review of the strategy or a theme is seen by anyone who sees the plan; of a team
        or an objective subtree by those who may see that team; its participants always see
        it (its pack is still filtered item by item)."""
        if self.is_office:
            return True
        if self.user_id is not None and self.user_id in set(participant_ids):
            return True
        team_id = review.scope_team_id
        if team_id is None:
            return self.sees_anything
        return self.sees_anything and self.can_view_team(team_id)

    def review_filter(self) -> Q:
        """``can_view_review`` as a ``Q`` on reviews (pages and API)."""
        if self.is_office:
            return Q()
        if not self.sees_anything:
            return Q(participants__id=self.user_id) if self.user_id else Q(pk__in=[])
        scoped = Q(scope__in=("strategy", "theme")) | (
            Q(scope="team") & self.team_filter("team_id")
        )
        scoped |= Q(scope="objective") & self.team_filter("objective__team_id")
        return scoped | Q(participants__id=self.user_id)

    def can_manage_review(self, review) -> bool:
        """Change the review, schedule, move or cancel its meetings, freeze packs: the strategy
        office, the review's owner, and leaders of the scope's team."""
        if self.is_office:
            return True
        if review.owner_id is not None and review.owner_id == self.user_id:
            return self.can_contribute
        team_id = review.scope_team_id
        return team_id is not None and self.leads(team_id)

    def can_create_review(self) -> bool:
        """Leaders (for their teams' scopes) and the strategy office."""
        return self.is_leader_anywhere

    def can_record_in_review(self, review, *, participant_ids: Iterable[int] = ()) -> bool:
        """Record decisions and action items and mark agenda items discussed: whoever
        manages the review, and its participants who contribute (viewers only read)."""
        if self.can_manage_review(review):
            return True
        return (
            self.can_contribute
            and self.user_id is not None
            and self.user_id in set(participant_ids)
        )

    def can_update_action_item(self, item) -> bool:
        """Close, drop or reopen an action item: its owner, the strategy office, leaders of
        its team."""
        if self.is_office or (self.user_id is not None and item.owner_id == self.user_id):
            return True
        return item.team_id is not None and self.leads(item.team_id)

    # --- capability assessments (assessment app; team None: the organisation) -----------------
    def can_view_assessment(self, team_id: int | None) -> bool:
        """A team's capability assessment is seen by who may see the team; the organisation's
        by anyone who sees the plan."""
        if team_id is None:
            return self.sees_anything
        return self.sees_anything and self.can_view_team(team_id)

    def assessment_filter(self, lookup: str = "team_id") -> Q:
        """``can_view_assessment`` as a ``Q`` on assessments (pages and API)."""
        if self.visible_team_ids is None:
            return Q()
        if not self.sees_anything:
            return Q(pk__in=[])
        return self.team_filter(lookup) | Q(**{f"{lookup}__isnull": True})

    def can_record_assessment(self, team_id: int | None) -> bool:
        """Record or change a capability assessment: the office everywhere, leaders for the
        teams they lead; the organisation's (no team) only the office."""
        if team_id is None:
            return self.is_office
        return self.leads(team_id)

    @property
    def can_record_any_assessment(self) -> bool:
        """Whether the "record an assessment" page is offered at all."""
        return self.is_leader_anywhere

    # --- integrations -------------------------------------------------------------------------
    @property
    def can_manage_webhooks(self) -> bool:
        """Outbound webhooks are set up by the strategy office and by team leaders."""
        return self.is_office or (self.user_id is not None and self.is_leader_anywhere)

    def can_manage_webhook(self, webhook: Webhook) -> bool:
        """The office manages every webhook; a leader manages the webhooks they own (a webhook
        sees through its owner's eyes, so a leader's can only receive what they may see)."""
        if self.is_office:
            return True
        return self.can_manage_webhooks and webhook.owner_id == self.user_id

    def may_make_webhook_owner(self, owner_id: int | None) -> bool:
        """Whom a webhook may act for: anyone, for the office; a leader only themselves."""
        return self.is_office or (owner_id is not None and owner_id == self.user_id)

    def webhooks_scope(self, queryset: QuerySet) -> QuerySet:
        """The webhooks this person manages (and so lists, on the page and in the API)."""
        if self.is_office:
            return queryset
        if not self.can_manage_webhooks:
            return queryset.none()
        return queryset.filter(owner_id=self.user_id)

    def can_handle_alert(self, alert: Alert) -> bool:
        """Acknowledge or resolve."""
        if self.is_office:
            return True
        if alert.owner_id is not None and alert.owner_id == self.user_id:
            return True
        return alert.team_id is not None and self.leads(alert.team_id)

    def can_comment_on(self, subject) -> bool:
        """Comment on an objective, initiative, KPI or alert: whoever may see it and is more
        than a viewer somewhere (viewers read)."""
        if isinstance(subject, django_apps.get_model("metrics", "Alert")):
            visible = self.can_view_alert(subject)
        else:
            visible = self.sees_anything and self.can_view_team(subject.team_id)
        return visible and self.can_contribute

    def can_remove_comment(self, author_id: int | None) -> bool:
        """Delete a comment: its author or the strategy office."""
        return self.is_office or (author_id is not None and author_id == self.user_id)


def user_is_strategy_office(user: User | AnonymousUser) -> bool:
    """Whether the user is in the strategy office: an active superuser or member of the "Strategy
    office" group (``STRATEGY_OFFICE_GROUP``; one query)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=STRATEGY_OFFICE_GROUP).exists()


def access_for(user: User | AnonymousUser) -> Access:
    """The person's effective rights, computed once per user object."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        access = Access(user_id=None, is_office=False)
    elif user_is_strategy_office(user):
        access = Access(user_id=user.pk, is_office=True, visible_team_ids=None)
    else:
        access = _access_from_memberships(user)
    if not isinstance(user, AnonymousUser):
        setattr(user, _CACHE_ATTR, access)
    return access


def accesses_for(*, users: Iterable[User]) -> dict[int, Access]:
    """``access_for`` of many people at once, by user id: at most three queries whatever their
    number (office groups, memberships, teams), for notifications that check each recipient.
    Each user object also gets its access cached, as ``access_for`` does."""
    users = [user for user in users if user is not None]
    result: dict[int, Access] = {}
    todo = []
    for user in users:
        cached = getattr(user, _CACHE_ATTR, None)
        if cached is not None:
            result[user.pk] = cached
        elif not user.is_active:
            result[user.pk] = Access(user_id=None, is_office=False)
        elif user.is_superuser:
            result[user.pk] = Access(user_id=user.pk, is_office=True, visible_team_ids=None)
        else:
            todo.append(user)
    if todo:
        ids = [user.pk for user in todo]
        office = set(
            type(todo[0])
            .groups.through.objects.filter(user_id__in=ids, group__name=STRATEGY_OFFICE_GROUP)
            .values_list("user_id", flat=True)
        )
        direct: dict[int, dict[int, str]] = {}
        for user_id, team_id, role in Membership.objects.filter(user_id__in=ids).values_list(
            "user_id", "team_id", "role"
        ):
            direct.setdefault(user_id, {})[team_id] = role
        tree = TeamTree(_teams()) if any(pk in direct for pk in ids if pk not in office) else None
        for user in todo:
            if user.pk in office:
                result[user.pk] = Access(user_id=user.pk, is_office=True, visible_team_ids=None)
            elif tree is None:
                result[user.pk] = Access(user_id=user.pk, is_office=False)
            else:
                result[user.pk] = tree.access(user.pk, direct.get(user.pk, {}))
    for user in users:
        setattr(user, _CACHE_ATTR, result[user.pk])
    return result


def people_blind_to(*, people: Iterable[User | None], subject) -> list[User]:
    """Of ``people``, in order, those who may not see ``subject`` (``Access.can_view_subject``):
    the one rule for naming someone on an object. Nobody is made the owner, assignee,
    contributor or participant of something they cannot see, nor @mentioned on it
    (``activity.comments``). At most three queries for all of them (``accesses_for``)."""
    named = [person for person in people if person is not None]
    if not named:
        return []
    accesses = accesses_for(users=named)
    return [person for person in named if not accesses[person.pk].can_view_subject(subject)]


def people_names(people: Iterable[User]) -> str:
    """People as a message names them ("Ann Lee, Bo Chen": full name, else username)."""
    return ", ".join(person.get_full_name() or person.get_username() for person in people)


def assignees_check(*, field: str, people: Iterable[User | None], subject, role: str) -> None:
    """Refuse to name on ``subject`` anyone who may not see it (``people_blind_to``):
    ``ValidationError`` on ``field`` ("Bo Chen cannot see this objective, so cannot own it.
    ..."), the same message in forms, the API, imports and services. ``role``: what they
    would do ("own it", "take part in it"). The person naming them sees ``subject``, so it may
    be called by its kind; which team hides it is not said."""
    from django.core.exceptions import ValidationError

    blind = people_blind_to(people=people, subject=subject)
    if not blind:
        return
    what = getattr(subject._meta, "verbose_name", "item")
    if hasattr(subject, "scope_team_id"):
        what = f"{what}'s scope"
    raise ValidationError(
        {
            field: ValidationError(
                f"{people_names(blind)} cannot see this {what}, so cannot {role}. Choose "
                "someone who can, or ask the strategy office to give them a role on its team.",
                code="cannot_see",
            )
        }
    )


def assignees_added_check(
    *, field: str, current: set[int], wanted: set[int], all_again: bool, subject, role: str
) -> None:
    """``assignees_check`` for the people of a many-to-many (contributors, participants):
    ``current`` and ``wanted`` are user ids before and after the save; only those added are
    checked, or all of ``wanted`` when ``all_again`` (what decides who may see ``subject``
    changed, e.g. its team or scope). One query for the people, none when nobody is added."""
    from django.contrib.auth import get_user_model

    checked = wanted if all_again else wanted - current
    if checked:
        assignees_check(
            field=field,
            people=get_user_model().objects.filter(pk__in=checked).order_by("pk"),
            subject=subject,
            role=role,
        )


def assignee_changed(instance, *names: str) -> bool:
    """Whether a save of ``instance`` names someone anew: a new object, or one of ``names``
    (the person fields, and what decides who may see it, e.g. ``team``) changed since it was
    read (``changed_fields``; unknown: assumed changed)."""
    if instance.pk is None or instance._state.adding:
        return True
    changed_fields = getattr(instance, "changed_fields", None)
    changed = changed_fields() if changed_fields is not None else None
    return changed is None or any(name in changed for name in names)


def _teams() -> list[tuple[int, str, int | None, bool]]:
    return list(
        Team.objects.order_by("name", "id").values_list("id", "name", "parent_id", "is_private")
    )


def _access_from_memberships(user: User) -> Access:
    direct = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
    if not direct:
        return Access(user_id=user.pk, is_office=False)
    return TeamTree(_teams()).access(user.pk, direct)


class TeamTree:
    """The organisation's teams, walked once for the access of many people (``accesses_for``).

    ``teams``: (id, name, parent id, is private) rows in name order. A team is *hidden* when it
    or a team above it is private; a team no root reaches (a cycle that slipped past
    validation) is never visible. Someone's role on a team is the highest of their direct roles
    on it and on the teams above it; they see every team they have a role on and every team
    that is not hidden. Building costs one walk of the tree; each person then costs the size
    of the subtrees under their direct roles, plus one pass to list their teams in order."""

    def __init__(self, teams: list[tuple[int, str, int | None, bool]]) -> None:
        self.teams = teams
        self.children: dict[int | None, list[int]] = {}
        private: set[int] = set()
        for team_id, _name, parent_id, is_private in teams:
            self.children.setdefault(parent_id, []).append(team_id)
            if is_private:
                private.add(team_id)
        self.reached: set[int] = set()
        self.open: set[int] = set()  # reached and not hidden: seen by everyone with a role
        todo: list[tuple[int, bool]] = [(root, False) for root in self.children.get(None, [])]
        while todo:
            team_id, hidden = todo.pop()
            if team_id in self.reached:
                continue
            self.reached.add(team_id)
            hidden = hidden or team_id in private
            if not hidden:
                self.open.add(team_id)
            todo.extend((child, hidden) for child in self.children.get(team_id, ()))
        self.open_ids = frozenset(self.open)
        self.ids = frozenset(row[0] for row in teams)
        self.open_hidden = self.ids - self.open
        self.open_rows = [row[:3] for row in teams if row[0] in self.open]

    def access(self, user_id: int, direct: dict[int, str]) -> Access:
        """The access of someone with these direct roles (team id -> role)."""
        if not direct:
            return Access(user_id=user_id, is_office=False)
        roles: dict[int, str] = {}
        for top, own in direct.items():
            if top not in self.reached:
                continue
            todo, seen = [top], set()
            while todo:
                team_id = todo.pop()
                if team_id in seen:
                    continue
                seen.add(team_id)
                held = roles.get(team_id)
                if held is None or ROLE_RANK[own] > ROLE_RANK[held]:
                    roles[team_id] = own
                todo.extend(self.children.get(team_id, ()))
        if roles.keys() <= self.open:  # most people: no role on a hidden team
            visible, hidden = self.open_ids, self.open_hidden
            rows = list(self.open_rows)
        else:
            visible = frozenset(self.open | roles.keys())
            hidden = self.ids - visible
            rows = [row[:3] for row in self.teams if row[0] in visible]
        return Access(
            user_id=user_id,
            is_office=False,
            roles=roles,
            visible_team_ids=visible,
            hidden_team_ids=hidden,
            _visible_teams=rows,
        )
