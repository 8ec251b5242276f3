"""What this app tells whoever builds on it, without knowing them (the classroom listens).

`attempt_changed` is sent right after a write that changes what others see of an attempt — its
status, a finished check run, a hint — inside the writer's transaction when it has one. The
classroom's dashboard keeps its per-classroom version with it (classroom/live/versions.py), so
a poll learns what changed from one indexed read instead of rebuilding its grid. `Attempt.changed`
sends it; rows created with the ORM send Django's own `post_save`, which the listener takes too.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `attempt`: the Attempt that changed (its learner_id and challenge_id name the cell).
attempt_changed = Signal()
