"""Fault drills (issue 12): the real worker and scheduler processes, the Expo sandbox at 600/s, a fault
mid fan-out; each drill reports lost, duplicated (the ambiguous class apart) and time to recover.
`python -m bench.drills --help`."""
