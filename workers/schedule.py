"""Entry point of the scheduler process: `periodiq workers.schedule`.

Each periodic job carries its cron in `periodic_job(name, cron)` (workers/periodic_jobs.py). Cron
expressions are UTC (docs/domain.md §4); periodiq reads the process's local clock, so the scheduler pins
its zone to UTC here instead of trusting the host's.
"""

import os
import time

os.environ["TZ"] = "UTC"
time.tzset()

from workers.registry import *  # noqa: E402, F403  (registers every actor, periodic ones included)
