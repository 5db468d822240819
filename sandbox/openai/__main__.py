"""`python -m sandbox.openai --host 127.0.0.1 --port 0` → prints `LISTENING http://127.0.0.1:<port>/v1`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .app import StubApp
from .server import base_url_for, bind_socket, build_server, stub_base_url
from .state import StubState


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.openai",
        description="Local OpenAI-compatible chat-completions stub; faults and latency are set at "
        "runtime through PUT /__stub/config and POST /__stub/script.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="how long every answer takes (until reconfigured)"
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if args.latency_ms < 0:
        parser.error("--latency-ms must be >= 0")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    sock = bind_socket(args.host, args.port)
    url = stub_base_url(base_url_for(sock))

    def announce() -> None:
        # Parents (tools/dev_run.py, benchmarks) block on this exact line.
        print(f"LISTENING {url}", flush=True)

    server = build_server(StubApp(StubState(args.latency_ms)), announce, log_level=args.log_level.lower())
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
