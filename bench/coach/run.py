"""The AI coach at a peak: 200 users chatting at once with a model that takes 800 ms a call (the stub).

    python -m bench.coach.run [--users 200] [--latency-ms 800] [--window 10] [--chat-every 3]

Processes as deployed: the web app (uvicorn, WEB_CONCURRENCY 2), the worker supervisor
(WORKER_PROCESSES 2 × `--worker-threads`), the OpenAI stub in a process of its own answering every
request after `--latency-ms`; a scratch database on the server of DATABASE_URL (created, migrated,
dropped), `--users` premium users with 3 goals each. No call budget (OPENAI_CALLS_PER_MINUTE=0) and
OPENAI_MAX_CONCURRENCY 200, so the model's latency is the only wait the model adds.

1. **SSE**: every user opens POST /ai-coach/chat at once; time to first token (the first `chunk`
   event) and to the `end` event, from the request's start, p50/p99.
2. **Async**: every user sends POST /ai-coach/chat/async at once; turn completion = the stored
   reply's created_at − the user message's created_at (read from the database, so no polling adds
   load), p50/p99, and how many got the fallback.
3. **Other routes**: GET /api/v1/home/dashboard under wrk (`--connections`) for `--window` seconds,
   alone, then while every user sends a message every `--chat-every` seconds: p50/p99 of both runs.
   (A turn is two model calls: the reply, then the title of a new conversation.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.api.run import (
    ensure_wrk,
    issue_tokens,
    migrated_scratch_database,
    run_wrk,
    start_server,
    stop_server,
)
from bench.api.seed import seed
from bench.api.wrk_scripts import write_script
from bench.stats import percentile
from domain.coach import FALLBACK_REPLY
from sandbox.openai.testing import stub_process
from tests.support.processes import procfile_command, running

COACH = "/api/v1/ai-coach"
WRK_THREADS = 2


def summary(values: list[float]) -> str:
    if not values:
        return "no values"
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    return f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(values):.0f} ms"


async def one_stream(
    client: httpx.AsyncClient, token: str, message: str
) -> tuple[float, float, float, bool] | None:
    """(ms to the `start` event, to the first chunk, to the end, whether it ended with `end`); None when
    refused."""
    started = time.perf_counter()
    accepted: float | None = None
    first: float | None = None
    ended = False
    async with client.stream(
        "POST", f"{COACH}/chat", json={"message": message}, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        if response.status_code != 200:
            return None
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[len("data: ") :])
            if event["type"] == "start":
                accepted = (time.perf_counter() - started) * 1000
            if event["type"] == "chunk" and first is None:
                first = (time.perf_counter() - started) * 1000
            if event["type"] in ("end", "error"):
                ended = event["type"] == "end"
                break
    total = (time.perf_counter() - started) * 1000
    return (accepted or total), (first if first is not None else total), total, ended


async def sse_scenario(base: str, tokens: list[str]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, trust_env=False) as client:
        results = await asyncio.gather(
            *(one_stream(client, token, "How do I keep my evening walk going?") for token in tokens)
        )
    answered = [r for r in results if r is not None]
    return {
        "start_ms": [r[0] for r in answered],
        "first_token_ms": [r[1] for r in answered],
        "end_ms": [r[2] for r in answered],
        "ended": sum(r[3] for r in answered),
        "refused": len(results) - len(answered),
    }


async def send_async(client: httpx.AsyncClient, token: str, message: str) -> str | None:
    """The pending message's id; None when the API refused the message or the connection broke."""
    try:
        response = await client.post(
            f"{COACH}/chat/async",
            json={"message": message, "force_new": True},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    message_id: str = response.json()["user_message_id"]
    return message_id


async def completions(dsn: str, message_ids: list[str], timeout_s: float = 120) -> list[tuple[float, bool]]:
    """Wait until every message is answered or failed; (ms from message to reply, fallback?) each."""
    connection = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            waiting = await connection.fetchval(
                "SELECT count(*) FROM ai_coach_messages WHERE id = ANY($1::uuid[]) AND status = 'pending'",
                message_ids,
            )
            if waiting == 0:
                break
            await asyncio.sleep(0.5)
        rows = await connection.fetch(
            """
            SELECT extract(epoch FROM reply.created_at - asked.created_at) * 1000 AS ms,
                   reply.content = $2 AS fallback
            FROM ai_coach_messages asked
            JOIN ai_coach_messages reply
              ON reply.conversation_id = asked.conversation_id AND reply.position = asked.position + 1
            WHERE asked.id = ANY($1::uuid[])
            """,
            message_ids,
            FALLBACK_REPLY,
        )
        return [(float(row["ms"]), bool(row["fallback"])) for row in rows]
    finally:
        await connection.close()


async def async_scenario(base: str, dsn: str, tokens: list[str]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, trust_env=False) as client:
        started = time.perf_counter()

        async def timed(token: str) -> tuple[str | None, float]:
            message_id = await send_async(client, token, "Help me sleep earlier")
            return message_id, (time.perf_counter() - started) * 1000

        answers = await asyncio.gather(*(timed(token) for token in tokens))
    sent = [message_id for message_id, _ in answers]
    ids = [message_id for message_id in sent if message_id is not None]
    done = await completions(dsn, ids)
    return {
        "sent": len(ids),
        "refused": len(sent) - len(ids),
        "accepted_ms": [ms for _, ms in answers],
        "answered": len(done),
        "ms": [d[0] for d in done],
        "fallbacks": sum(d[1] for d in done),
    }


async def chatting(base: str, tokens: list[str], every_s: float, window_s: float) -> list[str | None]:
    """Every user sends a message every `every_s` seconds (staggered) for `window_s` seconds."""
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    sent: list[str | None] = []
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, trust_env=False) as client:

        async def user(index: int, token: str) -> None:
            await asyncio.sleep(every_s * index / len(tokens))
            stop = time.monotonic() + window_s
            while time.monotonic() < stop:
                sent.append(await send_async(client, token, "Still going, how am I doing?"))
                await asyncio.sleep(every_s)

        await asyncio.gather(*(user(i, token) for i, token in enumerate(tokens)))
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=800)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--chat-every", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--worker-threads", type=int, default=100)
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    wrk = ensure_wrk()
    with (
        migrated_scratch_database("fitnudge_bench_coach") as scratch,
        stub_process(latency_ms=args.latency_ms) as stub,
        tempfile.TemporaryDirectory() as scratch_dir,
    ):
        seeded = asyncio.run(seed(scratch.dsn, args.users * 2, 3))
        asyncio.run(_premium(scratch.dsn))
        ids = [user_id for user_id, _ in seeded]
        tokens = issue_tokens(ids)
        chatters = [tokens[i] for i in ids[: args.users]]
        readers = ids[args.users :]
        env = {
            **scratch.env,
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": stub.base_url,
            "OPENAI_CALLS_PER_MINUTE": "0",
            "OPENAI_MAX_CONCURRENCY": "200",
            "WEB_CONCURRENCY": str(args.web_processes),
            "WORKER_PROCESSES": "2",
            "WORKER_THREADS": str(args.worker_threads),
            # Four processes share the server with whatever else runs there: 40 connections at most.
            "DB_POOL_SIZE": "10",
            "PUBLIC_API_URL": f"http://127.0.0.1:{args.port}",
        }
        base = f"http://127.0.0.1:{args.port}"
        server = start_server("api.app:create_app", args.port, env)
        log = Path(scratch_dir) / "worker.log"
        try:
            with running(procfile_command("worker"), env=env, log=log):
                time.sleep(3)  # the worker processes boot
                sse = asyncio.run(sse_scenario(base, chatters))
                turns = asyncio.run(async_scenario(base, scratch.dsn, chatters))
                script = write_script(
                    Path(scratch_dir),
                    "home",
                    [f"GET\t/api/v1/home/dashboard\t{tokens[user_id]}\t" for user_id in readers],
                    WRK_THREADS,
                )
                url = f"{base}/api/v1/home/dashboard"
                run_wrk(wrk, "warm-up", url, script, args.connections, 3)
                alone = run_wrk(wrk, "home alone", url, script, args.connections, args.window)
                under: dict[str, Any] = {}

                def load() -> None:
                    under["sent"] = asyncio.run(chatting(base, chatters, args.chat_every, args.window))

                chat_thread = threading.Thread(target=load)
                chat_thread.start()
                busy = run_wrk(wrk, "home while chatting", url, script, args.connections, args.window)
                chat_thread.join()
                chat_turns = asyncio.run(
                    completions(scratch.dsn, [m for m in under["sent"] if m is not None])
                )
        finally:
            stop_server(server)
    refused_chats = under["sent"].count(None)
    print(
        f"coach bench: {args.users} users, model latency {args.latency_ms:.0f} ms, "
        f"web processes {args.web_processes}, worker threads 2 x {args.worker_threads}"
    )
    print(
        f"SSE /chat: start (accepted) {summary(sse['start_ms'])}; "
        f"first token {summary(sse['first_token_ms'])}; "
        f"end {summary(sse['end_ms'])}; "
        f"{sse['ended']}/{args.users} ended, {sse['refused']} refused"
    )
    print(
        f"async /chat/async, all at once: {turns['answered']}/{turns['sent']} answered "
        f"({turns['refused']} refused), accepted {summary(turns['accepted_ms'])}, "
        f"completion {summary(turns['ms'])}, fallbacks {turns['fallbacks']}"
    )
    print(
        f"GET /home/dashboard ({args.connections} connections): alone {alone.requests_per_second:.0f} req/s "
        f"p50 {alone.p50_ms:.1f} ms p99 {alone.p99_ms:.1f} ms, {alone.non_2xx} non-2xx; "
        f"while chatting {busy.requests_per_second:.0f} req/s "
        f"p50 {busy.p50_ms:.1f} ms p99 {busy.p99_ms:.1f} ms, {busy.non_2xx} non-2xx "
        f"(p99 ratio {busy.p99_ms / alone.p99_ms:.2f})"
    )
    chat_ms = [c[0] for c in chat_turns]
    print(
        f"  turns during that window: {len(under['sent'])} sent ({refused_chats} refused), "
        f"completion {summary(chat_ms)}, fallbacks {sum(c[1] for c in chat_turns)}"
    )


async def _premium(dsn: str) -> None:
    """Premium users (100 coach messages a day), so the chatting window never meets the free limit."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("UPDATE users SET plan = 'premium'")
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
