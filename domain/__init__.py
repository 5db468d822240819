"""FitNudge's pure rules: no I/O, no framework imports, standard library only.

The API, the workers and the database layer call these; the tests need no services.

* ``errors`` – domain exceptions (code + detail); the API maps each class to a status.
* ``local_time`` – IANA zones, "HH:MM", local today / Monday / weekday (0 = Sunday), DST-safe wall time → UTC.
* ``schedule`` – scheduled days and due instants: reminders, check-in prompt and follow-up, morning.
* ``streaks`` – the one streak rule: incremental upkeep, full recompute, weekly progress, milestones.
* ``goal_rules`` – goal title, schedule and reminder-time validation; schedule lock; goal caps.
* ``plans`` – effective plan, feature presence and limits, seed rows of both plans.
* ``quiet_hours`` / ``notification_gate`` / ``notification_types`` – the push gate and its catalogue.
* ``nudges`` – nudge types, daily limits, emoji names, notice type.
* ``motivation_style`` – the tone of generated texts and how users are addressed.
* ``notification_copy`` – titles, bodies and data payloads of every produced notice; check-in replies.
* ``dedupe_keys`` – the dedupe key of each timed or once-a-day notice.
"""
