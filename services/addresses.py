"""Addresses of the actors that code outside workers/ sends to, so api/ and services/ can enqueue
without importing any actor module (api and workers never import each other).

`PUSH_DELIVER` takes no arguments: it only says "there is due work"; the delivery rows themselves are
the source of truth.
"""

from __future__ import annotations

from services.messages import ActorAddress

PUSH_QUEUE = "push"

PUSH_DELIVER = ActorAddress("push.deliver", PUSH_QUEUE)

MAIL_QUEUE = "mail"

# Takes the outgoing_mail row's id (as text); the row is the source of truth, the message a nudge.
MAIL_SEND = ActorAddress("mail.send", MAIL_QUEUE)

EXPORTS_QUEUE = "exports"

# Takes the data_exports row's id (as text); the row is the source of truth, the message a nudge.
EXPORTS_BUILD = ActorAddress("exports.build", EXPORTS_QUEUE)

# Actors that call the language model: a queue of their own, so a slow model never holds up push or mail.
AI_QUEUE = "ai"

# Takes the check-in id, its owner's id, the answer's responded_at (ISO) and the streak the reply talks
# about: replaces the template reply with the model's while the row still holds that answer.
CHECKIN_REPLY = ActorAddress("checkins.write_reply", AI_QUEUE)

# Takes a goal id and the claim id of its pattern_insights row (as text): a generation the request
# left unfinished (past its budget). The row's claim is the source of truth, the message a nudge.
INSIGHTS_FINISH = ActorAddress("insights.finish", AI_QUEUE)

# The coach's replies: a queue of their own, since the app looks for the reply once, 30 s after sending
# (docs client-behaviour §7.3), and must not wait behind batch AI texts on the `ai` queue.
COACH_QUEUE = "coach"

# Takes the pending user message's id (as text); the message row is the source of truth (its status and
# claim), the message a nudge: the coach sweeper answers or fails any message left waiting.
COACH_REPLY = ActorAddress("coach.reply", COACH_QUEUE)

# Challenge notices to many participants (services/challenge_notices.py): a queue of their own, so a
# creator teardown's thousands of chunks never hold up the periodic jobs on `default`. Takes a
# ChallengeNotice payload and up to 50 recipients; per-recipient dedupe keys make a retry harmless.
CHALLENGE_NOTICES_QUEUE = "challenge_notices"
CHALLENGE_NOTIFY_CHUNK = ActorAddress("challenges.notify_chunk", CHALLENGE_NOTICES_QUEUE)
