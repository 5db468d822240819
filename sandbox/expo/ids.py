"""Time-ordered (UUID v7-style) receipt ids, as seen in Expo responses since 2025."""

from __future__ import annotations

import os
import random

_MASK_48 = (1 << 48) - 1


class TicketIdFactory:
    # Ids only need to be unique, never reproducible, so this RNG is seeded from the OS and kept apart
    # from the seeded fault-injection RNG (otherwise two sandboxes with the same seed would collide).
    def __init__(self) -> None:
        self._rng = random.Random(os.urandom(16))

    def new_ids(self, now_s: float, count: int) -> list[str]:
        """`count` distinct ids sharing one millisecond timestamp.

        Layout: 48-bit ms timestamp, version 7, then 26 random bits shared by the batch and 48 random
        bits per id. Sharing the middle groups lets a whole batch be built with one hex conversion and
        one concatenation per id: per-id formatting was the costliest step of a 100-recipient send.
        """
        rng = self._rng
        stamp = f"{int(now_s * 1000) & _MASK_48:012x}"
        shared = rng.getrandbits(26)
        rand_a, variant, rand_b = shared >> 14, 0x8 | ((shared >> 12) & 0x3), shared & 0xFFF
        prefix = f"{stamp[:8]}-{stamp[8:]}-7{rand_a:03x}-{variant:x}{rand_b:03x}-"
        while True:
            ids = [prefix + tail for tail in rng.randbytes(6 * count).hex(" ", 6).split()]
            # A 48-bit collision inside one batch is ~1e-11 likely; checking costs ~2 µs, so just check.
            if count < 2 or len(set(ids)) == count:
                return ids
