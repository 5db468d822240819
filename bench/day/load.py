"""The app's traffic over the compressed day: what each user does, when, and an open-loop player.

The plan is read from the seeded (and compressed) database, so it follows the same day the
scheduler sees: a user checks in a minute or two of compressed time after their reminder when it
falls before their day ends (else some time before the end), opens the app after their morning
notice and once more at a random moment, and partnered users look at their partners' goals. The
player sends every request at its planned instant whatever the server's pace (open loop: a slow
server makes requests wait, it does not slow the arrivals), so a latency counts from the planned
instant, as the user waits from their tap.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import httpx

from bench.day.population import Window

CHECKIN_SHARE = 0.75
# Player processes, and requests in flight in each (a small pool: httpx's pool is slow with hundreds).
PLAYERS = 2
IN_FLIGHT = 64
REQUEST_TIMEOUT_S = 30.0

# (seconds after the window's start, route label, method, path, user, JSON body or None)
PLAN_SQL = """
WITH window_ AS (SELECT $1::timestamptz AS opens, $3::timestamptz AS closes),
answered AS (
    SELECT c.user_id, c.goal_id, c.missed_due_at, s.next_fire_at
    FROM check_ins c JOIN reminder_slots s ON s.goal_id = c.goal_id
    WHERE c.status = 'pending' AND c.missed_due_at IS NOT NULL AND random() < $2::float8
)
SELECT extract(epoch FROM
         CASE WHEN next_fire_at + interval '90 seconds' < missed_due_at
              THEN next_fire_at + (10 + random() * 80) * interval '1 second'
              ELSE opens + random() * (missed_due_at - opens - interval '5 seconds') END - opens) AS at,
       'POST /check-ins' AS route, user_id, goal_id
FROM answered, window_
UNION ALL
SELECT extract(epoch FROM next_morning_motivation_at + random() * interval '90 seconds' - opens),
       'GET /home/dashboard', id, NULL
FROM users, window_ WHERE next_morning_motivation_at IS NOT NULL
UNION ALL
SELECT extract(epoch FROM random() * (closes - opens)), 'GET /home/dashboard', id, NULL FROM users, window_
UNION ALL
SELECT extract(epoch FROM random() * (closes - opens)), 'GET /partners', member, NULL
FROM accountability_partners, window_
CROSS JOIN LATERAL (VALUES (user_id), (partner_user_id)) AS members(member)
WHERE status = 'accepted'
"""

PATHS = {
    "POST /check-ins": ("POST", "/api/v1/check-ins"),
    "GET /home/dashboard": ("GET", "/api/v1/home/dashboard"),
    "GET /partners": ("GET", "/api/v1/partners?include_today_goals=true"),
}


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    at_s: float  # after the window's start
    route: str
    user_id: str
    body: str | None


@dataclass(slots=True)
class Outcomes:
    """Every answer: (seconds after the start it came, route, status (0: none), ms from the planned
    instant); plain tuples, so a player process can hand them back."""

    answers: list[tuple[float, str, int, float]] = field(default_factory=list)
    # How late a player itself sent (its own lag, not the server's), worst case.
    worst_send_lateness_s: float = 0.0

    @classmethod
    def merged(cls, parts: list[Outcomes]) -> Outcomes:
        return cls(
            [answer for part in parts for answer in part.answers],
            max((part.worst_send_lateness_s for part in parts), default=0.0),
        )

    @property
    def routes(self) -> list[str]:
        return sorted({route for _, route, _, _ in self.answers})

    def latencies_ms(self, route: str) -> list[float]:
        return [latency for _, answered_route, _, latency in self.answers if answered_route == route]

    def statuses(self, route: str) -> dict[int, int]:
        return dict(sorted(Counter(status for _, r, status, _ in self.answers if r == route).items()))

    def count(self, *, server_errors: bool) -> int:
        """Answers ≥ 500 or none at all (server_errors), else every answer that is not 2xx."""

        def counted(status: int) -> bool:
            return status >= 500 or status == 0 if server_errors else not 200 <= status < 300

        return sum(1 for _, _, status, _ in self.answers if counted(status))


async def plan(dsn: str, window: Window) -> list[PlannedRequest]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(PLAN_SQL, window.start, CHECKIN_SHARE, window.end)
    finally:
        await connection.close()
    planned = [
        PlannedRequest(
            float(row["at"]),
            row["route"],
            str(row["user_id"]),
            json.dumps({"goal_id": str(row["goal_id"]), "completed": True}) if row["goal_id"] else None,
        )
        for row in rows
    ]
    planned.sort(key=lambda request: request.at_s)
    return planned


async def play(
    base_url: str, planned: list[PlannedRequest], tokens: dict[str, str], window: Window
) -> Outcomes:
    """Send every planned request at its instant (real time: `window.start` + at_s), from PLAYERS
    processes of their own: one asyncio process fell seconds behind its own schedule at the peak."""
    shares = [planned[index::PLAYERS] for index in range(PLAYERS)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(PLAYERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool,
                    _play_share,
                    base_url,
                    share,
                    {request.user_id: tokens[request.user_id] for request in share},
                    window,
                )
                for share in shares
            )
        )
    return Outcomes.merged(list(parts))


def _play_share(
    base_url: str, share: list[PlannedRequest], tokens: dict[str, str], window: Window
) -> Outcomes:
    return asyncio.run(_play(base_url, share, tokens, window))


async def _play(
    base_url: str, planned: list[PlannedRequest], tokens: dict[str, str], window: Window
) -> Outcomes:
    outcomes = Outcomes()
    gate = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    # The window's start in this process's monotonic clock.
    origin = time.monotonic() + (window.start - datetime.now(UTC)).total_seconds()

    async def send(client: httpx.AsyncClient, request: PlannedRequest) -> None:
        method, path = PATHS[request.route]
        async with gate:
            try:
                response = await client.request(
                    method,
                    path,
                    content=request.body,
                    headers={
                        "Authorization": f"Bearer {tokens[request.user_id]}",
                        **({"Content-Type": "application/json"} if request.body else {}),
                    },
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
        answered_s = time.monotonic() - origin
        outcomes.answers.append((answered_s, request.route, status, (answered_s - request.at_s) * 1000))

    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT_S, limits=limits, trust_env=False
    ) as client:
        tasks: set[asyncio.Task[None]] = set()
        for request in planned:
            delay = origin + request.at_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                outcomes.worst_send_lateness_s = max(outcomes.worst_send_lateness_s, -delay)
            task = asyncio.create_task(send(client, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return outcomes
