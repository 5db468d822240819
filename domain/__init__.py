"""FitNudge's pure rules: schedules in a time zone, streaks, plans, the notification gate and copy.

Nothing in this package does I/O or imports a framework; it depends on the standard library only,
so the API, the workers and the database layer can all call it and the tests need no services.
"""
