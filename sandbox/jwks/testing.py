"""The JWKS server on a thread of the test process:

with running_jwks_server() as server:
    token = server.keys.sign({"iss": "https://accounts.google.com", "aud": "…", "sub": "1"})
    settings = replace(settings, google_jwks_url=server.jwks_url)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from .keys import SigningKeys
from .server import KEYS_PATH, JwksServer


class RunningJwksServer:
    def __init__(self, server: JwksServer) -> None:
        self.keys = server.keys
        self.base_url = server.base_url
        self.jwks_url = server.base_url + KEYS_PATH


@contextlib.contextmanager
def running_jwks_server(keys: SigningKeys | None = None) -> Iterator[RunningJwksServer]:
    server = JwksServer(("127.0.0.1", 0), keys or SigningKeys())
    thread = threading.Thread(target=server.serve_forever, name="jwks-sandbox", daemon=True)
    thread.start()
    try:
        yield RunningJwksServer(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
