"""The quiet-hours window, with an exclusive end (§3.10, trap 23).

``start <= t < end`` when start is earlier than end; when start is later than end the window wraps
past midnight (22:00–08:00 covers 22:00 … 23:59 and 00:00 … 07:59). ``start == end`` is an empty
window, not a 24-hour one: an exclusive end equal to the start leaves nothing inside, and a user who
sets both pickers to the same time most likely did not mean "never send me anything" (the master
switch exists for that).
"""

from datetime import time

__all__ = ["in_quiet_hours"]


def in_quiet_hours(local_time: time, start: time, end: time) -> bool:
    """Whether the user's local time of day lies in the window [start, end)."""
    moment = local_time.replace(tzinfo=None)
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end
