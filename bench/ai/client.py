"""The model client against the OpenAI stub: how many texts a second one process gets at the model's
latency, as a ratio to what the stub itself serves at the same concurrency.

    python -m bench.ai.client [--latency-ms 300] [--concurrency 50] [--seconds 10]

The stub runs in a process of its own (`stub_process`), answering every request after `--latency-ms`.
Ceiling: `--concurrency` raw HTTP/1.1 keep-alive connections, each sending the same completion request
in a loop (no SDK, no Redis): what the stub and the loopback allow. Measured: `--concurrency` callers
of `OpenAiTextModel.complete` in one process with OPENAI_MAX_CONCURRENCY at the same figure, the
shared budget on (a limit it never reaches, so its Redis INCR is paid) and the usage counters on:
everything a worker pays per text. Prints texts/s, the ratio, p50/p99 of a text's duration, and the
client's CPU per text. Ideal is concurrency / latency (50 / 0.3 s = 167/s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from dataclasses import replace
from urllib.parse import urlsplit

import redis.asyncio as aioredis

from sandbox.openai.testing import stub_process
from services.ai.client import build_text_model
from services.ai.model import AiFeature, ChatPrompt
from settings import Settings

PROMPT = ChatPrompt(
    feature=AiFeature.REMINDER,
    system='Write a reminder. Answer only {"title": "<4-6 words naming the goal>", "body": "<15-20 words>"}',
    user="Name: Ada. Goal: run 5 km. Streak: 4 days; 5 of the last 7 days done. Time: evening. " * 4,
    temperature=0.95,
    max_tokens=150,
    json_output=True,
)


def raw_request(base_url: str) -> tuple[str, int, bytes]:
    parts = urlsplit(base_url)
    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": PROMPT.system},
                {"role": "user", "content": PROMPT.user},
            ],
            "temperature": PROMPT.temperature,
            "max_completion_tokens": PROMPT.max_tokens,
            "response_format": {"type": "json_object"},
        }
    ).encode()
    head = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Authorization: Bearer sk-bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return parts.hostname or "127.0.0.1", parts.port or 80, head.encode() + body


async def ceiling(base_url: str, concurrency: int, seconds: float) -> float:
    host, port, request = raw_request(base_url)
    done = 0
    end = time.monotonic() + seconds

    async def connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, port)
        while time.monotonic() < end:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            done += 1
        writer.close()
        await writer.wait_closed()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return done / (time.monotonic() - started)


async def client(base_url: str, concurrency: int, seconds: float) -> dict[str, float]:
    settings = Settings()
    prefix = f"bench-ai-{uuid.uuid4().hex[:8]}"
    redis = aioredis.Redis.from_url(settings.redis_url)
    model = build_text_model(
        replace(
            settings,
            openai_api_key="sk-bench",
            openai_base_url=base_url,
            openai_max_concurrency=concurrency,
            openai_calls_per_minute=10_000_000,
            redis_key_prefix=prefix,
        ),
        redis,
    )
    durations: list[float] = []
    failed = 0
    end = time.monotonic() + seconds

    async def caller() -> None:
        nonlocal failed
        while time.monotonic() < end:
            started = time.monotonic()
            text = await model.complete(PROMPT)
            durations.append(time.monotonic() - started)
            failed += text is None

    try:
        await model.complete(PROMPT)  # connection set-up is not what is measured
        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    finally:
        await model.aclose()
        keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    quantiles = statistics.quantiles(durations, n=100)
    return {
        "texts_per_s": round(len(durations) / elapsed, 1),
        "none": failed,
        "p50_ms": round(quantiles[49] * 1000),
        "p99_ms": round(quantiles[98] * 1000),
        "client_cpu_ms_per_text": round(cpu / len(durations) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    os.environ.setdefault("APP_ENV", "dev")
    with stub_process(latency_ms=args.latency_ms) as stub:
        # One after the other: side by side they would compete for the two cores.
        ceiling_rate = asyncio.run(ceiling(stub.base_url, args.concurrency, args.seconds))
        measured = asyncio.run(client(stub.base_url, args.concurrency, args.seconds))
    print(
        json.dumps(
            {
                "latency_ms": args.latency_ms,
                "concurrency": args.concurrency,
                "ideal_per_s": round(args.concurrency / (args.latency_ms / 1000), 1),
                "ceiling_per_s": round(ceiling_rate, 1),
                **measured,
                "ratio_to_ceiling": round(measured["texts_per_s"] / ceiling_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
