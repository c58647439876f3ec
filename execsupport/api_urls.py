"""The REST API, version 1: ``/api/v1/``. The schema is at ``/api/schema/``."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from initiatives.api import CheckInViewSet, InitiativeViewSet, MilestoneViewSet, SpendEntryViewSet
from metrics.api import (
    AlertViewSet,
    GapScoreViewSet,
    KPIViewSet,
    MeasurementViewSet,
    WebhookViewSet,
)
from security.api import SecurityEventViewSet
from strategy.api import (
    ObjectiveViewSet,
    PeriodViewSet,
    PersonViewSet,
    StrategyViewSet,
    TeamViewSet,
    ThemeViewSet,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("teams", TeamViewSet, basename="team")
router.register("people", PersonViewSet, basename="person")
router.register("periods", PeriodViewSet, basename="period")
router.register("strategies", StrategyViewSet, basename="strategy")
router.register("themes", ThemeViewSet, basename="theme")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("checkins", CheckInViewSet, basename="checkin")
router.register("spend", SpendEntryViewSet, basename="spendentry")
router.register("kpis", KPIViewSet, basename="kpi")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("scores", GapScoreViewSet, basename="gapscore")
router.register("alerts", AlertViewSet, basename="alert")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("security-events", SecurityEventViewSet, basename="securityevent")

app_name = "api"
urlpatterns = router.urls
