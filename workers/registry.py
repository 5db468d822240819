"""Every actor module, imported once: the entry point of `dramatiq` (worker) and `periodiq` (scheduler),
and what `python -m workers.run_job` imports to find every periodic job."""

from workers import challenge_notices, checkin_replies, heartbeat
from workers.exports import actors as export_actors
from workers.jobs import (
    achievements,
    challenges,
    checkin_prompts,
    daily_checkins,
    daily_motivations,
    insights,
    job_markers,
    morning_motivations,
    reengagement,
    reminder_texts,
    reminders,
    weekly_recaps,
)
from workers.jobs import partner_inactivity as partner_inactivity_jobs
from workers.jobs import refresh_tokens as refresh_token_jobs
from workers.jobs import social_cleanup as social_cleanup_jobs
from workers.jobs import subscriptions as billing_jobs
from workers.mail import actors as mail_actors
from workers.push import actors as push_actors

__all__ = [
    "achievements",
    "billing_jobs",
    "challenge_notices",
    "challenges",
    "checkin_prompts",
    "checkin_replies",
    "daily_checkins",
    "daily_motivations",
    "export_actors",
    "heartbeat",
    "insights",
    "job_markers",
    "mail_actors",
    "morning_motivations",
    "partner_inactivity_jobs",
    "push_actors",
    "reengagement",
    "refresh_token_jobs",
    "reminder_texts",
    "reminders",
    "social_cleanup_jobs",
    "weekly_recaps",
]
