"""Periodic jobs: one module per area, each declaring its jobs with `periodic_job`."""
