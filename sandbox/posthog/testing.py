"""The PostHog stand-in on a thread of the test process: `with running_posthog() as posthog: …`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from .server import PostHogServer


@contextlib.contextmanager
def running_posthog() -> Iterator[PostHogServer]:
    server = PostHogServer(("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, name="posthog-sandbox", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
