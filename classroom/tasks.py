"""Celery tasks of the classroom: closing the assessments' sittings whose time is up.

Thin, as the challenges' tasks are: the work and its claims are in the services, and the beat
sends this every sweep, so a sitting whose closer died is closed by the next one.
"""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask


@shared_task(base=DjangoTask, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def close_sittings() -> int:
    from classroom.assessments import services

    return sum(services.sitting_close(sitting=sitting) for sitting in services.due_sittings())
