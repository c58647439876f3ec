"""API of the support app, read-only: assessment reports (rendered for the reader), their
barriers, and the support plan's measures with their tracking. Rules: ``support.selectors``
(``strategy.access``). Writes happen on the pages (a support measure's initiative is also an
initiative of the initiatives API)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.response import Response
from typing_extensions import override

from execsupport.viewsets import BaseFilterSet, IdFilter
from metrics.viewsets import ReadOnlyAccessViewSet
from support import selectors
from support.models import AssessmentReport, Barrier, SupportMeasure
from support.report import barrier_views, report_read
from support.serializers import (
    BarrierSerializer,
    ReportSerializer,
    ReportSummarySerializer,
    SupportMeasureSerializer,
)


class ReportFilter(BaseFilterSet):
    """Filters of the report list: ``strategy``, ``period`` (ids) and ``status``."""

    strategy = IdFilter(field_name="strategy_id")
    period = IdFilter(field_name="period_id")

    class Meta:
        model = AssessmentReport
        fields = ["status"]


class AssessmentReportViewSet(ReadOnlyAccessViewSet):
    """Assessment reports (anyone with a role): a report's content is rendered for you (teams
    and objectives you may not see are counted, not named; survey-based parts only for those
    who see every team). A draft is computed live."""

    queryset = AssessmentReport.objects.all()
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    scope_lookup = None
    ordering_fields = ["as_of", "created_at"]
    ordering = ["-created_at", "-id"]

    @override
    def get_queryset(self):
        return selectors.reports_visible(access=self.access).select_related("strategy", "period")

    @override
    def get_serializer_class(self):
        return ReportSummarySerializer if self.action == "list" else ReportSerializer

    @override
    def decorate(self, objects: list) -> list:
        if self.action != "retrieve":
            return objects
        for report in objects:
            data = selectors.report_data(report, today=timezone.localdate())
            barriers = (
                selectors.barriers_with_measures(report=report, access=self.access)
                if report.is_frozen
                else None
            )
            report.view = report_read(
                data=data,
                access=self.access,
                strategy=report.strategy,
                barriers=barriers,
                live_sections=False,
            )
        return objects


class BarrierFilter(BaseFilterSet):
    """Filters of the barrier list: ``report`` (id) and ``capability``."""

    report = IdFilter(field_name="report_id")

    class Meta:
        model = Barrier
        fields = ["capability"]


class BarrierViewSet(ReadOnlyAccessViewSet):
    """The ranked barriers of frozen reports, rendered for you like the report's."""

    queryset = Barrier.objects.all()
    serializer_class = BarrierSerializer
    filterset_class = BarrierFilter
    scope_lookup = None
    ordering_fields = ["rank"]
    ordering = ["report_id", "rank"]

    @override
    def get_queryset(self):
        return (
            Barrier.objects.filter(report__in=selectors.reports_visible(access=self.access))
            .select_related("report__strategy")
            .prefetch_related(
                selectors.measures_prefetch(access=self.access),
            )
        )

    @override
    def decorate(self, objects: list) -> list:
        return barrier_views(barriers=objects, access=self.access)

    @override
    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.decorate([self.get_object()])[0]).data)


class MeasureFilter(BaseFilterSet):
    """Filters of the measure list: ``barrier``, ``initiative`` (ids), category, capability and
    adoption."""

    barrier = IdFilter(field_name="barrier_id")
    initiative = IdFilter(field_name="initiative_id")

    class Meta:
        model = SupportMeasure
        fields = ["category", "capability", "adoption"]


class SupportMeasureViewSet(ReadOnlyAccessViewSet):
    """The support plan: measures (initiatives of the support kind) whose initiative's team you
    may see, with the first test, the adoption measure and the tracking: the movement of each
    targeted figure from the barrier's assessment to the next one (or now), the test's teams
    against the others (a before/after comparison, not a causal estimate)."""

    queryset = SupportMeasure.objects.all()
    serializer_class = SupportMeasureSerializer
    filterset_class = MeasureFilter
    scope_lookup = "initiative__team_id"
    ordering_fields = ["test_start", "created_at"]
    ordering = ["id"]

    @override
    def decorate(self, objects: list) -> list:
        views = selectors.plan_read(
            access=self.access, today=timezone.localdate(), measure_ids=[m.pk for m in objects]
        )
        self._views = {view.measure.pk: view for view in views}
        return [self._views[m.pk].measure for m in objects]

    @override
    def get_serializer_context(self):
        context = dict(super().get_serializer_context())
        context["views"] = getattr(self, "_views", {})
        return context
