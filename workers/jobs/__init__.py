"""Periodic jobs: one module per area, each listing its plain job functions in `PERIODIC_JOBS`."""
