"""`python -m sandbox.smtp --smtp-port 8025 --http-port 8026` → prints
`LISTENING smtp://127.0.0.1:<port> http://127.0.0.1:<port>` once both accept connections."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from .server import Sink, bind_socket


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.smtp", description="Local SMTP sink with a JSON view."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    sink = Sink(
        bind_socket(args.host, args.smtp_port),
        bind_socket(args.host, args.http_port),
        log_level=args.log_level,
    )
    smtp_host, smtp_port = sink.smtp_address

    def announce() -> None:
        # Parents (tools/dev_run.py) block on this exact line.
        print(f"LISTENING smtp://{smtp_host}:{smtp_port} {sink.http_url}", flush=True)

    try:
        asyncio.run(sink.serve(announce))
    finally:
        sink.smtp_sock.close()
        sink.http_sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
