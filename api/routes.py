"""Every resource's controllers under /api/v1. One line per resource; keep it sorted."""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

from api.achievements.controller import AchievementsController
from api.ai_coach.controller import AICoachController
from api.ai_coach.stream import AICoachStreamController
from api.analytics.controller import AnalyticsController
from api.app_config.controller import AppConfigController, AppVersionController
from api.auth.controller import AuthController
from api.blog.admin import BlogAdminController
from api.blog.controller import BlogController
from api.challenge_scores.controller import ChallengeScoresController
from api.challenges.controller import ChallengesController
from api.checkins.controller import CheckInsController
from api.daily_motivations.controller import DailyMotivationController
from api.data_export.controller import DataExportController
from api.devices.controller import DeviceController
from api.goals.controller import GoalController
from api.home.controller import HomeController
from api.insights.controller import GoalInsightsController
from api.notification_preferences.controller import NotificationPreferencesController
from api.notifications.controller import NotificationHistoryController
from api.nudges.controller import NudgeController
from api.onboarding.controller import OnboardingController
from api.partners.controller import PartnersController
from api.recaps.controller import RecapsController
from api.subscription_plans.controller import SubscriptionPlansController
from api.subscriptions.controller import SubscriptionController
from api.users.controller import UsersController
from api.webhooks.controller import RevenueCatWebhookController

API_PREFIX = "/api/v1"

RESOURCE_HANDLERS: list[ControllerRouterHandler] = [
    AchievementsController,
    AICoachController,
    AICoachStreamController,
    AnalyticsController,
    AppConfigController,
    AppVersionController,
    AuthController,
    BlogAdminController,
    BlogController,
    ChallengeScoresController,
    ChallengesController,
    CheckInsController,
    DailyMotivationController,
    DataExportController,
    DeviceController,
    GoalController,
    GoalInsightsController,
    HomeController,
    NotificationHistoryController,
    NotificationPreferencesController,
    NudgeController,
    OnboardingController,
    PartnersController,
    RecapsController,
    RevenueCatWebhookController,
    SubscriptionController,
    SubscriptionPlansController,
    UsersController,
]


def api_router() -> Router:
    return Router(path=API_PREFIX, route_handlers=RESOURCE_HANDLERS)
