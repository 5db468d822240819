"""Reminder texts written ahead (workers/jobs/reminder_texts.py) and used at fire time
(workers/jobs/reminders.py), against the OpenAI stub: what is claimed and when, what is never asked
for, and that the send path uses the stored text or the template and never waits for the model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection

from db.reminder_slots import rebuild_goal_slots
from db.reminder_texts import PreparedText, store_prepared_texts
from db.tables import device_tokens, goals, notification_preferences, reminder_slots
from domain.notification_copy.reminders import reminder_template
from sandbox.openai.testing import StubHandle
from services.ai.client import build_text_model
from settings import Settings
from tests.api.auth_support import MakeUser
from tests.jobs.scheduling_support import add_checkin, add_goal, add_user, answer_checkin, notices
from tests.support.ai_stub import settings_with_stub
from tests.support.queues import QueueProbe, probed_queue
from tests.support.rows import utc
from tests.support.savepoint_database import SavepointDatabase
from workers.jobs.reminder_texts import WRITE_CHUNK, prepare_reminder_texts, write_text_chunk
from workers.jobs.reminders import CHUNK_SIZE as SEND_CHUNK_SIZE
from workers.jobs.reminders import SEND_CHUNK, notify_due_reminders, send_reminder_chunk, tick_reminders
from workers.periodic_jobs import JobContext

# 18:00 in New York on 2025-06-10 (EDT); the texts are prepared an hour before.
DUE = utc("2025-06-10T22:00")
PREPARE = DUE - timedelta(hours=1)
BUILT = DUE - timedelta(hours=12)
TODAY = date(2025, 6, 10)
ZONE = "America/New_York"


@pytest.fixture
async def ai_context(
    database: SavepointDatabase, settings: Settings, openai_stub: StubHandle, redis: Redis
) -> AsyncIterator[JobContext]:
    """A job context whose model is the stub; one attempt per text, so faults do not wait on backoff."""
    stub_settings = settings_with_stub(settings, openai_stub, openai_max_attempts=1)
    model = build_text_model(stub_settings, redis)
    yield JobContext(database, redis, stub_settings, model)
    await model.aclose()


@pytest.fixture
async def texts_queue(redis: Redis, settings: Settings) -> AsyncIterator[QueueProbe]:
    """The text chunk queue, emptied before and after the test."""
    async with probed_queue(redis, settings, WRITE_CHUNK.queue_name) as probe:
        yield probe


async def take_chunks(texts_queue: QueueProbe) -> list[tuple[list[UUID], datetime]]:
    """The queued chunk messages (then removed, as a worker would)."""
    payloads = await texts_queue.messages()
    await texts_queue.clear()
    assert {payload["actor_name"] for payload in payloads} <= {WRITE_CHUNK.actor_name}
    return [
        ([UUID(slot_id) for slot_id in payload["args"][0]], datetime.fromisoformat(payload["args"][1]))
        for payload in payloads
    ]


async def prepare_and_write(
    context: JobContext, texts_queue: QueueProbe, now: datetime = PREPARE
) -> dict[str, int]:
    """One preparation run and every chunk it sent, run at once; the counts of both."""
    counts: dict[str, int] = dict(await prepare_reminder_texts(context, now))
    for slot_ids, claimed_at in await take_chunks(texts_queue):
        for key, value in (await write_text_chunk(context, slot_ids, claimed_at=claimed_at, now=now)).items():
            counts[key] = counts.get(key, 0) + value
    return counts


async def slot_text(connection: AsyncConnection, goal_id: UUID) -> Any:
    result = await connection.execute(
        sa.select(
            reminder_slots.c.text_title,
            reminder_slots.c.text_body,
            reminder_slots.c.text_fire_at,
            reminder_slots.c.text_claimed_at,
        ).where(reminder_slots.c.goal_id == goal_id)
    )
    return result.one()


def stub_texts(stub: StubHandle) -> list[str]:
    """The user message of every request the stub received."""
    return [request["body"]["messages"][1]["content"] for request in stub.requests()]


def template_for(goal_title: str, name: str) -> Any:
    return reminder_template("supportive", goal_title, name, variant=TODAY.toordinal() + 18)


async def user_name(connection: AsyncConnection, user_id: UUID) -> str:
    return str(
        (await connection.execute(sa.text("SELECT name FROM users WHERE id = :id"), {"id": user_id})).scalar()
    )


# --- preparation: the window, once, the lease ------------------------------------------------------


async def test_preparation_claims_only_the_slots_firing_within_the_window_and_only_once(
    connection: AsyncConnection,
    ai_context: JobContext,
    redis: Redis,
    texts_queue: QueueProbe,
    openai_stub: StubHandle,
) -> None:
    # Given reminders at 17:00 (due as the run starts), 17:30, 19:00 (the window's end) and 19:30
    user_id = await add_user(connection, timezone=ZONE)
    goal_ids = {
        at: await add_goal(connection, user_id, now=BUILT, reminder_times=[at], title=f"Goal {at}")
        for at in ("17:00", "17:30", "19:00", "19:30")
    }
    assert ai_context.settings.reminder_text_lookahead_minutes == 120

    # When the preparation runs at 17:00 with its chunks, and again a minute and half an hour later
    first = await prepare_and_write(ai_context, texts_queue)
    again = await prepare_and_write(ai_context, texts_queue, PREPARE + timedelta(minutes=1))
    later = await prepare_and_write(ai_context, texts_queue, PREPARE + timedelta(minutes=30))

    # Then 17:30 and 19:00 got one text each, asked for once; 19:30 comes into the window later
    assert (first["claimed"], first["chunks"], first["generated"], first["stored"]) == (2, 1, 2, 2)
    assert again["claimed"] == 0
    assert later["claimed"] == 1  # 19:30, now within two hours
    asked = stub_texts(openai_stub)
    assert len(asked) == 3
    assert sorted(text.split("\n")[1] for text in asked) == [
        "Goal: Goal 17:30",
        "Goal: Goal 19:00",
        "Goal: Goal 19:30",
    ]
    for at in ("17:30", "19:00"):
        stored = await slot_text(connection, goal_ids[at])
        assert stored.text_title
        assert stored.text_body
        assert stored.text_claimed_at is None
    assert (await slot_text(connection, goal_ids["17:00"])).text_fire_at is None


async def test_a_lost_chunk_message_is_claimed_again_after_the_lease(
    connection: AsyncConnection, ai_context: JobContext, redis: Redis, texts_queue: QueueProbe
) -> None:
    # Given a reminder at 18:00 claimed at 17:00 whose chunk message was lost
    await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    assert (await prepare_reminder_texts(ai_context, PREPARE))["claimed"] == 1
    await take_chunks(texts_queue)

    # When the preparation runs within the lease and after it
    during = await prepare_reminder_texts(ai_context, PREPARE + timedelta(minutes=10))
    after = await prepare_and_write(ai_context, texts_queue, PREPARE + timedelta(minutes=16))

    # Then only the later run claims it again, and its chunk writes the text
    assert (during["claimed"], after["claimed"], after["stored"]) == (0, 1, 1)


async def test_a_superseded_chunk_does_nothing(
    connection: AsyncConnection,
    ai_context: JobContext,
    redis: Redis,
    texts_queue: QueueProbe,
    openai_stub: StubHandle,
) -> None:
    # Given a claim whose message came late, after the slot was claimed again
    await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    await prepare_reminder_texts(ai_context, PREPARE)
    [(slot_ids, first_claim)] = await take_chunks(texts_queue)
    await prepare_reminder_texts(ai_context, PREPARE + timedelta(minutes=16))

    # When the old message finally runs
    counts = await write_text_chunk(
        ai_context, slot_ids, claimed_at=first_claim, now=PREPARE + timedelta(minutes=17)
    )

    # Then it finds its slot taken and asks for nothing
    assert (counts["candidates"], counts["not_held"]) == (0, 1)
    assert openai_stub.requests() == []


async def test_a_text_is_stored_only_on_a_slot_still_on_the_claimed_occurrence_and_not_about_to_fire(
    connection: AsyncConnection, ai_context: JobContext, redis: Redis, texts_queue: QueueProbe
) -> None:
    # Given two reminders at 18:00 claimed at 17:00; one then moves to 18:30 (rebuilt while generating)
    moved_goal = await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    await prepare_reminder_texts(ai_context, PREPARE)
    [(slot_ids, claimed_at)] = await take_chunks(texts_queue)
    await connection.execute(
        sa.update(reminder_slots)
        .where(reminder_slots.c.goal_id == moved_goal)
        .values(next_fire_at=DUE + timedelta(minutes=30))
    )
    texts = [PreparedText(slot_id, "Title", "Body") for slot_id in slot_ids]

    # When the texts are stored within 15 s of 18:00, then earlier
    too_late = await store_prepared_texts(connection, texts, claimed_at=claimed_at, not_firing_before=DUE)
    in_time = await store_prepared_texts(
        connection, texts, claimed_at=claimed_at, not_firing_before=DUE - timedelta(minutes=1)
    )

    # Then nothing is written about to fire, and in time only the slot still on its occurrence
    assert (too_late, in_time) == (0, 1)
    assert (await slot_text(connection, moved_goal)).text_title is None


async def test_preparation_is_paced_to_the_texts_per_minute(
    connection: AsyncConnection, ai_context: JobContext, redis: Redis, texts_queue: QueueProbe
) -> None:
    # Given 7 reminders at 18:00 and a pace of 3 texts a minute
    for _ in range(7):
        await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    paced = JobContext(
        ai_context.database,
        ai_context.redis,
        replace(ai_context.settings, reminder_texts_per_minute=3),
        ai_context.ai,
    )

    # When the preparation runs three minutes in a row
    claimed = [
        (await prepare_reminder_texts(paced, PREPARE + timedelta(minutes=minute)))["claimed"]
        for minute in range(3)
    ]

    # Then each run claimed at most 3
    assert claimed == [3, 3, 1]


async def test_without_a_model_nothing_is_claimed(
    connection: AsyncConnection, database: SavepointDatabase, settings: Settings, redis: Redis
) -> None:
    await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    counts = await prepare_reminder_texts(JobContext(database, redis, settings), PREPARE)
    assert counts == {"no_model": 1}
    assert (await connection.execute(sa.select(reminder_slots.c.text_fire_at))).scalar() is None


# --- nothing generated for a push the gates would skip ---------------------------------------------


async def test_nothing_is_generated_for_a_push_the_gates_would_skip(
    connection: AsyncConnection,
    ai_context: JobContext,
    redis: Redis,
    texts_queue: QueueProbe,
    openai_stub: StubHandle,
) -> None:
    # Given reminders at 18:00 for: notifications off, ai_motivation switch off, quiet hours covering
    # 18:00, no active device, a goal paused without its slot rebuilt, a goal answered already, and one
    # user whose push goes out
    async def user_with(title: str, **preferences: Any) -> tuple[UUID, UUID]:
        user_id = await add_user(connection, timezone=ZONE)
        if preferences:
            await connection.execute(
                sa.insert(notification_preferences).values(user_id=user_id, **preferences)
            )
        return user_id, await add_goal(connection, user_id, now=BUILT, title=title)

    await user_with("Disabled", enabled=False)
    await user_with("Switched off", ai_motivation=False)
    await user_with(
        "Quiet", quiet_hours_enabled=True, quiet_hours_start=time(17, 0), quiet_hours_end=time(7, 0)
    )
    no_device_user, _ = await user_with("No device")
    await connection.execute(
        sa.update(device_tokens).where(device_tokens.c.user_id == no_device_user).values(is_active=False)
    )
    _, paused_goal = await user_with("Paused")
    await connection.execute(sa.update(goals).where(goals.c.id == paused_goal).values(status="paused"))
    answered_user, answered_goal = await user_with("Answered")
    await answer_checkin(connection, await add_checkin(connection, answered_user, answered_goal, TODAY))
    await user_with(
        "Sendable", quiet_hours_enabled=True, quiet_hours_start=time(22, 0), quiet_hours_end=time(7, 0)
    )

    # When the texts are prepared
    counts = await prepare_and_write(ai_context, texts_queue)

    # Then only the sendable reminder was asked for; the others are handled without a text
    assert [text.split("\n")[1] for text in stub_texts(openai_stub)] == ["Goal: Sendable"]
    assert (counts["claimed"], counts["generated"], counts["stored"]) == (7, 1, 7)
    assert (counts["skipped_gated"], counts["skipped_not_scheduled"], counts["skipped_answered"]) == (4, 1, 1)
    assert (await prepare_reminder_texts(ai_context, PREPARE + timedelta(minutes=20)))["claimed"] == 0


async def test_the_prompt_carries_the_reminders_inputs(
    connection: AsyncConnection,
    ai_context: JobContext,
    redis: Redis,
    texts_queue: QueueProbe,
    openai_stub: StubHandle,
) -> None:
    # Given a goal created on June 1 (June 10 is its day 10), no streak, 5 completions in the last 7 days
    user_id = await add_user(connection, timezone=ZONE, name="Ada Lovelace", motivation_style="calm")
    goal_id = await add_goal(connection, user_id, now=BUILT, title="Swim")
    await connection.execute(
        sa.update(goals)
        .where(goals.c.id == goal_id)
        .values(why_statement="for my back", total_completions=6, created_at=utc("2025-06-01T16:00"))
    )
    for day in (3, 6, 7, 8, 9, 2):  # June 2 is 8 days back: outside the 7
        await add_checkin(connection, user_id, goal_id, date(2025, 6, day), status="completed")

    # When its text is prepared
    await prepare_and_write(ai_context, texts_queue)

    # Then the request is the §3.12 reminder request, with the inputs in the prompt
    [request] = openai_stub.requests()
    body = request["body"]
    assert (body["temperature"], body["max_completion_tokens"]) == (0.95, 150)
    assert body["response_format"] == {"type": "json_object"}
    system, user = (message["content"] for message in body["messages"])
    assert "mindful" in system
    assert "evening" in system
    assert user.startswith("Name: Ada\nGoal: Swim\nWhy it matters to them: for my back\n")
    assert "Progress: day 10 of this goal, 5/7 days done in the last week" in user


async def send_then_crash(context: JobContext, slot_id: UUID) -> None:
    """A send chunk that writes its notice and dies before committing."""
    async with context.database.transaction() as tx:
        await notify_due_reminders(tx, [slot_id], now=DUE, stale_after=context.stale_after)
        raise RuntimeError("worker died")


# --- fire time: the stored text, a retried chunk, the template --------------------------------------


async def test_the_stored_text_is_sent_at_fire_time_and_again_by_a_retried_chunk(
    connection: AsyncConnection, ai_context: JobContext, redis: Redis, texts_queue: QueueProbe
) -> None:
    # Given a reminder at 18:00 whose text was prepared at 17:00
    user_id = await add_user(connection, timezone=ZONE)
    goal_id = await add_goal(connection, user_id, now=BUILT)
    await prepare_and_write(ai_context, texts_queue)
    stored = await slot_text(connection, goal_id)
    slot_id = (await connection.execute(sa.select(reminder_slots.c.id))).scalar_one()

    # When its send chunk fails after writing (rolled back, as a worker crash would), then is retried
    with pytest.raises(RuntimeError):
        await send_then_crash(ai_context, slot_id)
    assert await notices(connection) == []
    counts = await send_reminder_chunk(ai_context, [slot_id], DUE)

    # Then the retry sent the stored text
    [notice] = await notices(connection)
    assert (notice.title, notice.body) == (stored.text_title, stored.text_body)
    assert counts["prepared_text"] == 1


async def test_the_template_is_sent_when_no_text_is_ready_or_it_belongs_to_another_occurrence(
    connection: AsyncConnection, ai_context: JobContext
) -> None:
    # Given one reminder without a text and one whose text was written for yesterday's 18:00
    fresh_user = await add_user(connection, timezone=ZONE)
    await add_goal(connection, fresh_user, now=BUILT, title="Fresh")
    old_user = await add_user(connection, timezone=ZONE)
    old_goal = await add_goal(connection, old_user, now=BUILT, title="Old")
    await connection.execute(
        sa.update(reminder_slots)
        .where(reminder_slots.c.goal_id == old_goal)
        .values(
            text_title="Yesterday's title", text_body="Yesterday's body", text_fire_at=DUE - timedelta(days=1)
        )
    )

    # When the tick runs at 18:00
    counts = await tick_reminders(ai_context, DUE)

    # Then both got their template
    assert (counts["notified"], counts["prepared_text"]) == (2, 0)
    sent = {(notice.title, notice.body) for notice in await notices(connection)}
    assert sent == {
        tuple(template_for("Fresh", await user_name(connection, fresh_user))),
        tuple(template_for("Old", await user_name(connection, old_user))),
    }


async def test_rebuilt_slots_do_not_carry_a_text_to_another_occurrence(
    connection: AsyncConnection, ai_context: JobContext, redis: Redis, texts_queue: QueueProbe
) -> None:
    # Given a reminder at 18:00 with its text, whose goal's slots are then rebuilt (a schedule edit)
    user_id = await add_user(connection, timezone=ZONE)
    goal_id = await add_goal(connection, user_id, now=BUILT)
    await prepare_and_write(ai_context, texts_queue)
    await rebuild_goal_slots(connection, [goal_id], now=PREPARE + timedelta(minutes=5))

    # When it fires
    await tick_reminders(ai_context, DUE)

    # Then the template went out
    [notice] = await notices(connection)
    assert (notice.title, notice.body) == tuple(
        template_for("Morning run", await user_name(connection, user_id))
    )


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed", "empty"])
async def test_a_failed_generation_leaves_no_text_and_the_push_goes_out_with_the_template(
    connection: AsyncConnection,
    ai_context: JobContext,
    redis: Redis,
    texts_queue: QueueProbe,
    openai_stub: StubHandle,
    fault: str,
) -> None:
    # Given a reminder at 18:00 and a model that fails
    user_id = await add_user(connection, timezone=ZONE)
    goal_id = await add_goal(connection, user_id, now=BUILT)
    openai_stub.configure(fault=fault, retry_after=0)

    # When its text is prepared
    counts = await prepare_and_write(ai_context, texts_queue)

    # Then no text is stored and the claim is kept for a retry after the lease
    assert (counts["failed"], counts["stored"]) == (1, 0)
    stored = await slot_text(connection, goal_id)
    assert (stored.text_title, stored.text_body) == (None, None)
    assert stored.text_claimed_at == PREPARE
    assert (await prepare_reminder_texts(ai_context, PREPARE + timedelta(minutes=16)))["claimed"] == 1

    # And at 18:00 the template is sent
    await tick_reminders(ai_context, DUE)
    [notice] = await notices(connection)
    assert (notice.title, notice.body) == tuple(
        template_for("Morning run", await user_name(connection, user_id))
    )


async def test_the_herd_path_sends_on_time_with_the_stub_slowed_to_5_s_per_call(
    connection: AsyncConnection,
    database: SavepointDatabase,
    ai_context: JobContext,
    redis: Redis,
    openai_stub: StubHandle,
) -> None:
    # Given more reminders due at 18:00 than one chunk holds, none with a text, and a model at 5 s a call
    for _ in range(SEND_CHUNK_SIZE + 1):
        await add_goal(connection, await add_user(connection, timezone=ZONE), now=BUILT)
    openai_stub.configure(latency_ms=5_000)

    # When the tick claims them and every send chunk runs
    async with probed_queue(redis, ai_context.settings, SEND_CHUNK.queue_name) as reminders_queue:
        counts = await tick_reminders(ai_context, DUE)
        chunk_messages = await reminders_queue.messages()
    for message in chunk_messages:
        slot_ids, tick_now = message["args"]
        await send_reminder_chunk(
            ai_context, [UUID(slot_id) for slot_id in slot_ids], datetime.fromisoformat(tick_now)
        )

    # Then every reminder went out with its template and the model was never asked
    assert counts["chunks"] == 2
    assert len(await notices(connection)) == SEND_CHUNK_SIZE + 1
    assert openai_stub.requests() == []


# --- a title edit drops the prepared text -----------------------------------------------------------


async def test_a_title_edit_drops_the_prepared_text(
    connection: AsyncConnection, client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    # Given a goal whose 18:00 reminder has a prepared text
    user = await make_user(timezone=ZONE)
    goal_id = await add_goal(connection, user.id, now=BUILT)
    fire_at = (await slot_text(connection, goal_id)).text_fire_at
    await connection.execute(
        sa.update(reminder_slots)
        .where(reminder_slots.c.goal_id == goal_id)
        .values(text_title="Old title", text_body="Old body", text_fire_at=reminder_slots.c.next_fire_at)
    )
    assert fire_at is None

    # When its title changes
    response = await client.put(
        f"/api/v1/goals/{goal_id}", json={"title": "Evening swim"}, headers=user.headers
    )

    # Then the text is gone (the next preparation writes a new one)
    assert response.status_code == 200, response.text
    stored = await slot_text(connection, goal_id)
    assert (stored.text_title, stored.text_body, stored.text_fire_at) == (None, None, None)
