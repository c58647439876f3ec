"""The REST API, version 1: ``/api/v1/``. The schema is at ``/api/schema/``."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from activity.api import CommentViewSet, HistoryViewSet
from assessment.api import (
    CalibrationViewSet,
    CapabilityAssessmentViewSet,
    CapabilityEvidenceViewSet,
)
from metrics.api import (
    AlertViewSet,
    GapScoreViewSet,
    KPIViewSet,
    MeasurementViewSet,
    MeViewSet,
    WebhookViewSet,
)
from reviews.api import (
    ActionItemViewSet,
    DecisionViewSet,
    MeetingViewSet,
    PackViewSet,
    ReviewViewSet,
)
from security.api import SecurityEventViewSet
from sheets.api import PlanImportViewSet
from support.api import AssessmentReportViewSet, BarrierViewSet, SupportMeasureViewSet
from surveys.api import RoundViewSet, SurveyViewSet
from workspace.initiative_api import (
    CheckInViewSet,
    InitiativeViewSet,
    MilestoneViewSet,
    SpendEntryViewSet,
)
from workspace.people_api import MembershipViewSet, PersonViewSet, TeamViewSet
from workspace.strategy_api import ObjectiveViewSet, PeriodViewSet, StrategyViewSet, ThemeViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("teams", TeamViewSet, basename="team")
router.register("people", PersonViewSet, basename="person")
router.register("memberships", MembershipViewSet, basename="membership")
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
router.register("comments", CommentViewSet, basename="comment")
router.register("history", HistoryViewSet, basename="history")
router.register("me", MeViewSet, basename="me")
router.register("security-events", SecurityEventViewSet, basename="securityevent")
router.register("reviews", ReviewViewSet, basename="review")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("packs", PackViewSet, basename="pack")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("action-items", ActionItemViewSet, basename="actionitem")
router.register("plan-import", PlanImportViewSet, basename="plan-import")
router.register(
    "capability-assessments", CapabilityAssessmentViewSet, basename="capabilityassessment"
)
router.register("capability-evidence", CapabilityEvidenceViewSet, basename="capability-evidence")
router.register("calibration", CalibrationViewSet, basename="calibration")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("survey-rounds", RoundViewSet, basename="surveyround")
router.register("assessment-reports", AssessmentReportViewSet, basename="assessmentreport")
router.register("barriers", BarrierViewSet, basename="barrier")
router.register("support-measures", SupportMeasureViewSet, basename="supportmeasure")

app_name = "api"
urlpatterns = router.urls
