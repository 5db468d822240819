"""Badge evaluation benchmarks."""
