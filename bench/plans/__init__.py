"""Query plans of the hot statements on a year of history (`python -m bench.plans.explain`).

Figures go to BENCHMARKS.md ("Query plans at scale").
"""
