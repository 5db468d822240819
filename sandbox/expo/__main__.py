"""`python -m sandbox.expo --host 127.0.0.1 --port 0` → prints `LISTENING http://127.0.0.1:<port>`."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence

from .app import SandboxApp
from .config import ENV_PREFIX, FIELD_KINDS, ConfigError, load_config
from .server import base_url_for, bind_socket, build_server
from .state import SandboxState


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.expo",
        description="Local Expo-push-compatible sandbox. Every option can also be set as "
        f"{ENV_PREFIX}<OPTION_NAME> (flags win), and changed at runtime via POST /__sandbox/config.",
    )
    parser.add_argument("--host", default=os.environ.get(ENV_PREFIX + "HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get(ENV_PREFIX + "PORT", "0")))
    parser.add_argument("--log-level", default=os.environ.get(ENV_PREFIX + "LOG_LEVEL", "warning"))
    for name, kind in FIELD_KINDS.items():
        flag = "--" + name.replace("_", "-")
        if kind == "bool":
            parser.add_argument(flag, dest=name, nargs="?", const="true", default=None, metavar="BOOL")
        else:
            parser.add_argument(flag, dest=name, default=None, metavar=kind.upper())
    return parser


def tune_gc_for_throughput() -> None:
    """Own-process only (never done by the in-thread test helper, which must not touch the host's GC).

    The receipt store, duplicate window and token cache are a few huge containers. With default
    thresholds, full collections come every few hundred requests and each one walks those containers,
    which cost about a fifth of the send path's CPU. Cycles are rare here (request data is trees), so
    collecting much less often is safe; freezing start-up objects keeps them out of every collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cli_values = {name: getattr(args, name) for name in FIELD_KINDS if getattr(args, name) is not None}
    try:
        config = load_config(cli_values)
    except ConfigError as exc:
        print(f"expo-sandbox: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
    sock = bind_socket(args.host, args.port)
    url = base_url_for(sock)

    def announce() -> None:
        # Parents (start_sandbox_process, benchmark scripts) block on this exact line.
        print(f"LISTENING {url}", flush=True)

    server = build_server(SandboxApp(SandboxState(config)), announce, log_level=args.log_level.lower())
    tune_gc_for_throughput()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
