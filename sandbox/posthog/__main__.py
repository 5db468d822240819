"""`python -m sandbox.posthog --host 127.0.0.1 --port 0` → prints `LISTENING http://127.0.0.1:<port>`."""

from __future__ import annotations

import argparse

from ..json_http import serve_until_interrupted
from .server import PostHogServer


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.posthog", description="Local PostHog capture API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = PostHogServer((args.host, args.port))
    return serve_until_interrupted(server, server.base_url)


if __name__ == "__main__":
    raise SystemExit(main())
