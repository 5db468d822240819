"""Addresses of the push actors, import-light so the API and producers can enqueue without importing
the actors (api and workers never import each other).

Producers enqueue `PUSH_DELIVER` (no arguments) after committing delivery rows; the message only says
"there is due work", the rows themselves are the source of truth.
"""

from __future__ import annotations

from workers.enqueue import ActorAddress

PUSH_QUEUE = "push"

PUSH_DELIVER = ActorAddress("push.deliver", PUSH_QUEUE)
PUSH_RECEIPTS = ActorAddress("push.receipts", PUSH_QUEUE)
PUSH_SWEEP = ActorAddress("push.sweep", PUSH_QUEUE)
PUSH_PRUNE = ActorAddress("push.prune", PUSH_QUEUE)
