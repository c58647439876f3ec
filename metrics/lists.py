"""Browse lists of objectives, initiatives and KPIs: filtered, sorted and counted as the reader
may see them (selectors).

The filter state is the URL's query string, read by a django-filter ``FilterSet`` per list:

* ``period``, ``theme``: ids (a KPI or initiative by its objective's);
* ``team``: id, the team and every team below it;
* ``owner``: a person's id (only people the reader may see are offered, ``people_choosable``);
* ``status``: the lifecycle status (objectives, initiatives) or ``active``/``inactive`` (KPIs);
* ``health``: the latest score's status (``GapScore.Status``), or ``unscored``;
* ``kind`` (KPIs): ``leading`` / ``lagging``; ``quality`` (KPIs): the latest data quality's
  confidence (``good`` … ``none``) or ``stale``;
* ``priority`` (objectives, initiatives), ``q``: words in the title (or a KPI's key or name);
* ``sort``: a column name, ``-`` in front for descending (``-gap``); scores and gaps not yet
  computed sort last either way.

``objectives_list`` / ``initiatives_list`` / ``kpis_list`` return the exact queryset a list page
pages through (scoped by ``strategy.access``, filtered, ordered), so an export of "what the
filters show" reads the same rows. ``*_filter`` return the filter set itself (its form renders
the filters; unknown or invalid values are ignored and shown as errors).

Why this module is long: the four lists (objectives, initiatives, KPIs, alerts) share one
filter machinery (the choices offered to the reader, the team subtree, the sort that keeps
empty values last, the latest score's health and data quality); each list's filter set is a
few lines on top of it, and split apart they would be harder to keep alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import django_filters
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import OrderBy
from typing_extensions import override

from initiatives.models import Initiative, Milestone
from metrics.models import KPI, Alert, GapScore, SubjectType
from strategy.models import Objective, Period, Priority, Strategy, Theme
from strategy.people import people_choosable, person_name
from strategy.selectors import OverviewFilters

if TYPE_CHECKING:
    from strategy.access import Access

UNSCORED = "unscored"
HEALTH_CHOICES = [*GapScore.Status.choices, (UNSCORED, "Not scored yet")]
QUALITY_CHOICES = [
    ("good", "Good data"),
    ("fair", "Fair data"),
    ("poor", "Poor data"),
    ("none", "No data"),
    ("stale", "Not measured lately"),
]


def _latest(subject_type: str, field: str) -> Subquery:
    """The latest score's ``field`` of each row (one probe of the latest-score index)."""
    return Subquery(
        GapScore.objects.filter(
            subject_type=subject_type, subject_id=OuterRef("pk"), is_latest=True
        ).values(field)[:1]
    )


def _scored(qs: QuerySet, subject_type: str) -> QuerySet:
    """Rows annotated with their latest score (``score_value``), gap (``score_gap``) and status
    (``health``); a row not scored yet has ``None`` for each."""
    return qs.annotate(
        score_value=_latest(subject_type, "score"),
        score_gap=_latest(subject_type, "gap"),
        health=_latest(subject_type, "status"),
    )


class SortFilter(django_filters.OrderingFilter):
    """``?sort=<column>`` / ``?sort=-<column>``: one column, empty values last in both
    directions, then by id so that pages never repeat or skip a row."""

    @override
    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "pk")

    @override
    def get_ordering_value(self, param: str) -> OrderBy:
        descending = param.startswith("-")
        field = self.param_map[param[1:] if descending else param]
        if descending:
            return F(field).desc(nulls_last=True)
        return F(field).asc(nulls_last=True)


class _ListFilterSet(django_filters.FilterSet):
    """What the three lists share: the reader's scope, the choices they may pick from, and the
    team (with its sub-teams), owner, health and period/theme filters."""

    subject_type: str = ""
    # lookups of the period and theme of a row (a KPI's or initiative's: its objective's)
    period_lookups: tuple[str, ...] = ("period_id",)
    theme_lookups: tuple[str, ...] = ("theme_id",)
    search_fields: tuple[str, ...] = ("title",)
    default_sort: str = "title"
    #: placeholders of choice filters that differ from the shared ones (``_ANY``), by name
    empty_labels: dict[str, str] = {}

    q = django_filters.CharFilter(method="filter_q", label="Words")
    period = django_filters.ChoiceFilter(method="filter_period", label="Period")
    theme = django_filters.ChoiceFilter(method="filter_theme", label="Theme")
    team = django_filters.ChoiceFilter(method="filter_team", label="Team")
    owner = django_filters.ChoiceFilter(field_name="owner_id", label="Owner")
    health = django_filters.ChoiceFilter(
        choices=HEALTH_CHOICES, method="filter_health", label="Health"
    )

    def __init__(self, data: Mapping | None = None, *, access: Access, queryset: QuerySet):
        self.access = access
        super().__init__(data or None, queryset=self._base(queryset, access))
        self._teams = _offer_choices(self, access)

    def _base(self, queryset: QuerySet, access: Access) -> QuerySet:
        return _scored(access.scope(queryset), self.subject_type)

    @property
    def qs(self) -> QuerySet:
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by(self.default_sort, "pk")
        return qs

    def queryset_without(self, name: str) -> QuerySet:
        """The filtered queryset, leaving out one filter (for that filter's counts)."""
        qs = self.queryset.all()
        if self.is_bound and self.form.is_valid():
            for filter_name, declared in self.filters.items():
                if filter_name in (name, "sort"):
                    continue
                qs = declared.filter(qs, self.form.cleaned_data.get(filter_name))
        return qs

    def health_counts(self) -> dict[str, int]:
        """How many rows of each health status the other filters leave (one query)."""
        qs = self.queryset_without("health").order_by()
        counts = qs.aggregate(
            **{value: Count("pk", filter=Q(health=value)) for value, _ in GapScore.Status.choices},
            **{UNSCORED: Count("pk", filter=Q(health__isnull=True))},
        )
        return counts

    # --- filters ------------------------------------------------------------------------------
    def filter_q(self, queryset, name, value):
        condition = Q()
        for word in value.split()[:8]:
            part = Q()
            for field in self.search_fields:
                part |= Q(**{f"{field}__icontains": word})
            condition &= part
        return queryset.filter(condition)

    def filter_period(self, queryset, name, value):
        return queryset.filter(_any_of(self.period_lookups, int(value)))

    def filter_theme(self, queryset, name, value):
        return queryset.filter(_any_of(self.theme_lookups, int(value)))

    def filter_team(self, queryset, name, value):
        return queryset.filter(team_id__in_ids=_subtree(self._teams, int(value)))

    def filter_health(self, queryset, name, value):
        if value == UNSCORED:
            return queryset.filter(health__isnull=True)
        return queryset.filter(health=value)


def _offer_choices(filterset: django_filters.FilterSet, access: Access) -> list:
    """Fill the period, theme, team and owner choices of ``filterset`` with what the reader may
    pick (teams they may see, people ``people_choosable`` offers; a query each for periods,
    themes and people, teams come with ``access``) and name each "any" choice. Returns the
    visible teams (id, name, parent id)."""
    teams = access.visible_teams()
    filterset.filters["team"].extra["choices"] = [(pk, name) for pk, name, _ in teams]
    filterset.filters["period"].extra["choices"] = list(
        Period.objects.order_by("-start_date", "name").values_list("id", "name")
    )
    filterset.filters["theme"].extra["choices"] = list(
        Theme.objects.order_by("strategy__name", "order", "name").values_list("id", "name")
    )
    filterset.filters["owner"].extra["choices"] = [
        (pk, person_name(first_name=first, last_name=last, username=username))
        for pk, first, last, username in people_choosable(access=access).values_list(
            "id", "first_name", "last_name", "username"
        )
    ]
    for name, declared in filterset.filters.items():
        if isinstance(declared, django_filters.ChoiceFilter) and name != "sort":
            # A list's own placeholder (its empty_labels) wins: "kind" is leading/lagging for
            # KPIs but plan/support for initiatives.
            empty = getattr(filterset, "empty_labels", {}).get(name) or _ANY.get(name, "Any")
            declared.extra["empty_label"] = empty
    return teams


_ANY = {
    "period": "All periods",
    "theme": "All themes",
    "team": "All teams",
    "owner": "Anyone",
    "health": "Any health",
    "status": "Any status",
    "priority": "Any priority",
    "kind": "Leading or lagging",
    "quality": "Any data quality",
}


def _any_of(lookups: tuple[str, ...], value: Any) -> Q:
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{lookup: value})
    return condition


def _subtree(teams: list[tuple[int, str, int | None]], root_id: int) -> set[int]:
    """The team and every team below it among ``teams`` (id, name, parent id); a team the
    reader may not see keeps its id alone, and then the scoped list finds nothing."""
    children: dict[int | None, list[int]] = {}
    for pk, _name, parent_id in teams:
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [root_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


class ObjectiveListFilter(_ListFilterSet):
    """The objectives list's filters and sort (see the module docstring)."""

    subject_type = SubjectType.OBJECTIVE
    search_fields = ("title", "description")
    status = django_filters.ChoiceFilter(choices=Objective.Status.choices, label="Status")
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label="Priority")
    sort = SortFilter(
        fields=(
            ("title", "title"),
            ("theme__name", "theme"),
            ("team__name", "team"),
            ("period__start_date", "period"),
            ("owner__last_name", "owner"),
            ("status", "status"),
            ("priority", "priority"),
            ("due_date", "due"),
            ("score_value", "score"),
            ("score_gap", "gap"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Objective
        fields: list[str] = []


class InitiativeListFilter(_ListFilterSet):
    """The initiatives list's filters and sort (see the module docstring)."""

    subject_type = SubjectType.INITIATIVE
    period_lookups = ("objective__period_id",)
    theme_lookups = ("objective__theme_id",)
    search_fields = ("title", "description")
    status = django_filters.ChoiceFilter(choices=Initiative.Status.choices, label="Status")
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label="Priority")
    kind = django_filters.ChoiceFilter(choices=Initiative.Kind.choices, label="Kind")
    empty_labels = {"kind": "Plan or support"}
    sort = SortFilter(
        fields=(
            ("title", "title"),
            ("objective__title", "objective"),
            ("team__name", "team"),
            ("owner__last_name", "owner"),
            ("status", "status"),
            ("priority", "priority"),
            ("progress", "progress"),
            ("due_date", "due"),
            ("score_value", "score"),
            ("score_gap", "gap"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Initiative
        fields: list[str] = []


class KPIListFilter(_ListFilterSet):
    """The KPI list's filters and sort (see the module docstring)."""

    subject_type = SubjectType.KPI
    period_lookups = ("objective__period_id", "initiative__objective__period_id")
    theme_lookups = ("objective__theme_id", "initiative__objective__theme_id")
    search_fields = ("name", "key", "description")
    default_sort = "name"
    status = django_filters.ChoiceFilter(
        choices=[("active", "Active"), ("inactive", "Inactive")],
        method="filter_status",
        label="Status",
    )
    kind = django_filters.ChoiceFilter(choices=KPI.Kind.choices, label="Kind")
    quality = django_filters.ChoiceFilter(
        choices=QUALITY_CHOICES, method="filter_quality", label="Data quality"
    )
    sort = SortFilter(
        fields=(
            ("name", "name"),
            ("key", "key"),
            ("team__name", "team"),
            ("owner__last_name", "owner"),
            ("kind", "kind"),
            ("target_date", "target"),
            ("score_value", "score"),
            ("score_gap", "gap"),
        ),
        label="Sort by",
    )

    class Meta:
        model = KPI
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        """``status``: active or inactive KPIs (``is_active``)."""
        return queryset.filter(is_active=value == "active")

    def filter_quality(self, queryset, name, value):
        """``quality``: KPIs whose latest score's data is stale (``stale``) or of that
        confidence."""
        scores = GapScore.objects.filter(subject_type=SubjectType.KPI, is_latest=True)
        if value == "stale":
            scores = scores.filter(data_quality__stale=True)
        else:
            scores = scores.filter(data_quality__confidence=value)
        return queryset.filter(pk__in=scores.values("subject_id"))


class AlertListFilter(django_filters.FilterSet):
    """The alerts inbox's filters beyond its own form (``metrics.forms.AlertFilterForm``: status,
    severity, kind, only mine, every part), from the same machinery as the lists: ``team``
    (with its sub-teams), ``owner``, ``theme`` and ``period`` (alerts about the work of that
    theme or period, ``alert_subjects_filter``) and ``sort``."""

    period = django_filters.ChoiceFilter(method="filter_subjects", label="Period")
    theme = django_filters.ChoiceFilter(method="filter_subjects", label="Theme")
    team = django_filters.ChoiceFilter(method="filter_team", label="Team")
    owner = django_filters.ChoiceFilter(field_name="owner_id", label="Owner")
    sort = SortFilter(
        fields=(
            ("severity", "severity"),
            ("opened_at", "opened"),
            ("last_seen_at", "seen"),
            ("kind", "kind"),
            ("status", "status"),
            ("team__name", "team"),
            ("owner__last_name", "owner"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Alert
        fields: list[str] = []

    def __init__(self, data: Mapping | None = None, *, access: Access, queryset: QuerySet):
        self.access = access
        super().__init__(data or None, queryset=queryset)
        self._teams = _offer_choices(self, access)

    def filter_team(self, queryset, name, value):
        """``team``: alerts of that team or a team below it (among the teams offered to the
        reader)."""
        return queryset.filter(team_id__in_ids=_subtree(self._teams, int(value)))

    def filter_subjects(self, queryset, name, value):
        """``theme`` / ``period``: alerts about the work of that theme or period
        (``alert_subjects_filter``)."""
        # A theme belongs to one strategy and a period spans them: no strategy to name.
        chosen: dict[str, Any] = {f"{name}_id": int(value)}  # theme_id or period_id
        filters = OverviewFilters(**chosen)
        return queryset.filter(alert_subjects_filter(filters, None))


def objectives_filter(*, access: Access, params: Mapping) -> ObjectiveListFilter:
    """The objectives list's filter set for these query parameters (``request.GET``)."""
    return ObjectiveListFilter(
        params,
        access=access,
        queryset=Objective.objects.select_related("theme", "team", "period", "owner"),
    )


def objectives_list(*, access: Access, params: Mapping) -> QuerySet[Objective]:
    """The objectives the reader may see, filtered and ordered by ``params`` (the list page's
    query string), each with ``score_value``, ``score_gap`` and ``health`` (latest score; None
    when not scored yet) and its theme, team, period and owner joined. Not evaluated."""
    return objectives_filter(access=access, params=params).qs


def initiatives_filter(*, access: Access, params: Mapping) -> InitiativeListFilter:
    """The initiatives list's filter set for these query parameters."""
    return InitiativeListFilter(
        params,
        access=access,
        queryset=Initiative.objects.select_related("objective", "team", "owner"),
    )


def initiatives_list(*, access: Access, params: Mapping) -> QuerySet[Initiative]:
    """The initiatives the reader may see, filtered and ordered by ``params``, annotated and
    joined like ``objectives_list`` (objective, team, owner). Not evaluated."""
    return initiatives_filter(access=access, params=params).qs


def kpis_filter(*, access: Access, params: Mapping) -> KPIListFilter:
    """The KPI list's filter set for these query parameters."""
    return KPIListFilter(
        params,
        access=access,
        queryset=KPI.objects.select_related("team", "owner", "objective", "initiative"),
    )


def kpis_list(*, access: Access, params: Mapping) -> QuerySet[KPI]:
    """The KPIs the reader may see, filtered and ordered by ``params``, annotated like
    ``objectives_list`` (team, owner, objective, initiative joined). Not evaluated."""
    return kpis_filter(access=access, params=params).qs


def alert_subjects_filter(filters: OverviewFilters, strategy: Strategy | None) -> Q | None:
    """With a theme or period chosen, the alerts about its work: its objectives, their
    initiatives, milestones and KPIs, and the theme itself (a period has none of its own);
    ``None`` without either filter. Subqueries: no query of its own."""
    if filters.theme_id is None and filters.period_id is None:
        return None
    objectives = Objective.objects.filter(strategy=strategy) if strategy else Objective.objects
    if filters.theme_id is not None:
        objectives = objectives.filter(theme_id=filters.theme_id)
    if filters.period_id is not None:
        objectives = objectives.filter(period_id=filters.period_id)
    ids = objectives.values("pk")
    subjects = (
        Q(subject_type=SubjectType.OBJECTIVE, subject_id__in=ids)
        | Q(
            subject_type=SubjectType.INITIATIVE,
            subject_id__in=Initiative.objects.filter(objective__in=ids).values("pk"),
        )
        | Q(
            subject_type=SubjectType.MILESTONE,
            subject_id__in=Milestone.objects.filter(initiative__objective__in=ids).values("pk"),
        )
        | Q(
            subject_type=SubjectType.KPI,
            subject_id__in=KPI.objects.filter(
                Q(objective__in=ids) | Q(initiative__objective__in=ids)
            ).values("pk"),
        )
    )
    if filters.theme_id is not None and filters.period_id is None:
        subjects |= Q(subject_type=SubjectType.THEME, subject_id=filters.theme_id)
    return subjects
