"""`python -m sandbox.jwks --host 127.0.0.1 --port 0` → prints `LISTENING http://127.0.0.1:<port>`."""

from __future__ import annotations

import argparse

from ..json_http import serve_until_interrupted
from .keys import SigningKeys
from .server import JwksServer


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.jwks", description="Local JWKS and ID-token signer."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = JwksServer((args.host, args.port), SigningKeys())
    return serve_until_interrupted(server, server.base_url)


if __name__ == "__main__":
    raise SystemExit(main())
