"""Scheduling benchmarks (thundering herd, idle tick, day boundary), each on its own scratch database.

Run one with `.venv/bin/python -m bench.scheduling.<name>`; PostgreSQL and Redis come from DATABASE_URL
and REDIS_URL as everywhere else. Figures go to BENCHMARKS.md ("Scheduling").
"""
