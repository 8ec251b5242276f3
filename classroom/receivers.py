"""Where the classroom hears of changes its dashboard shows: attempts and check runs (from the
challenges app's writes), learners joining or leaving, challenges assigned, removed or changed.

Connected when the app is ready (apps.py). A receiver that fails must not fail the write it
hears of (a learner's check, a worker's provisioning): it runs in a savepoint of its own and
logs; the pages then catch up at the next change, and a reload always shows the truth.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from challenges.models import Attempt, Challenge, CheckRun
from challenges.signals import attempt_changed
from classroom.live import versions
from classroom.models import Assignment, Membership

logger = logging.getLogger(__name__)


def attempt_seen(attempt: Attempt) -> None:
    """An attempt changed: move the version of its cell in every classroom that shows it."""
    try:
        with transaction.atomic():
            versions.cell_changed(learner_id=attempt.learner_id, challenge_id=attempt.challenge_id)
    except DatabaseError:
        logger.exception("could not record the change of attempt %s for the classroom's pages", attempt.pk)


@receiver(attempt_changed)
def _attempt_changed(sender: object, attempt: Attempt, **kwargs: Any) -> None:
    attempt_seen(attempt)


@receiver(post_save, sender=Attempt)
@receiver(post_delete, sender=Attempt)
def _attempt_saved(sender: object, instance: Attempt, **kwargs: Any) -> None:
    # Deleted too (staff in the admin, a learner's account removed): the cell then shows what
    # the learner's other attempts add up to, and an open dashboard hears of it.
    attempt_seen(instance)


@receiver(post_delete, sender=CheckRun)
def _check_run_deleted(sender: object, instance: CheckRun, **kwargs: Any) -> None:
    # What the cell's checks add up to changed. Deleted with its attempt, the attempt's own
    # receiver moves the cell once it is gone.
    attempt = Attempt.objects.filter(pk=instance.attempt_id).only("id", "learner_id", "challenge_id").first()
    if attempt is not None:
        attempt_seen(attempt)


@receiver([post_save, post_delete], sender=Membership)
@receiver([post_save, post_delete], sender=Assignment)
def _layout_changed(sender: object, instance: Membership | Assignment, **kwargs: Any) -> None:
    # Deleting a classroom cascades here too, once its row is gone: nothing to move then.
    versions.classroom_changed(classroom_ids=[instance.classroom_id], layout=True)


@receiver(post_save, sender=Challenge)
def _challenge_saved(sender: object, instance: Challenge, created: bool, **kwargs: Any) -> None:
    # New content (a title, an estimate: when a cell turns stuck) redraws the grids that show it,
    # and their cells' records are made whole again (dashboard.cells).
    if not created:
        classroom_ids = Assignment.objects.filter(challenge=instance).values_list("classroom_id", flat=True)
        versions.classroom_changed(classroom_ids=list(classroom_ids), layout=True)
