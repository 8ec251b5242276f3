"""Check runs: one press of Check each, its results as the validators returned them, and how it
reached a worker. A model of the challenges app, found by Django through challenges.models."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from challenges.records import CheckTally
from validators import ObjectiveResult


class CheckRun(models.Model):
    """One press of Check: the per-objective results, as the validators returned them."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        ERROR = "error", "Error"

    attempt = models.ForeignKey("challenges.Attempt", on_delete=models.CASCADE, related_name="check_runs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    passed = models.BooleanField(default=False)
    passed_count = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    # [{"key", "title", "passed", "message", "details"}]
    results = models.JSONField(default=list)
    # The keys of the objectives a finished run found failing, in the challenge's order: stored
    # once, when the run finishes, so that the dashboard counts failures in SQL instead of
    # decoding every run's results on every poll.
    failed_objectives = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why it could not run, written for the learner.")
    error_detail = models.TextField(blank=True, help_text="What the cluster said, for staff.")
    # Delivery, as on Attempt: the time by which its task must have run it (None: no task carries
    # it), and how often the sweep sent it again because that time passed.
    task_deadline = models.DateTimeField(null=True, blank=True)
    resent = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"check #{self.pk} of attempt {self.attempt_id}: {self.passed_count}/{self.total}"

    @property
    def is_pending(self) -> bool:
        return self.state == CheckRun.State.PENDING

    @property
    def is_done(self) -> bool:
        return self.state == CheckRun.State.DONE

    @property
    def has_error(self) -> bool:
        return self.state == CheckRun.State.ERROR

    @property
    def is_kept(self) -> bool:
        """Pending while the broker could not take its task (or its worker stopped)."""
        return self.is_pending and (self.task_deadline is None or self.task_deadline < timezone.now())

    def finish(self, results: Sequence[ObjectiveResult]) -> bool:
        """Store the validators' results, once: False when the run had finished already (a second
        delivery of its task). The keys of the failing objectives are stored with them."""
        rows = [json.loads(json.dumps(asdict(result), default=str)) for result in results]
        passed_count = sum(1 for result in results if result.passed)
        # One transaction: the tally and what follows attempt_changed commit with the run.
        with transaction.atomic():
            changed = CheckRun.objects.filter(pk=self.pk, state=CheckRun.State.PENDING).update(
                state=CheckRun.State.DONE,
                passed=bool(results) and passed_count == len(results),
                passed_count=passed_count,
                total=len(results),
                results=rows,
                failed_objectives=[result.key for result in results if not result.passed],
                finished_at=timezone.now(),
                task_deadline=None,
            )
            if changed:
                self.refresh_from_db()
                CheckTally.count(self)
                self.attempt.changed()
        return bool(changed)

    def fail(self, reason: str, detail: str = "") -> bool:
        """End a pending run in error; False when it had finished already."""
        changed = CheckRun.objects.filter(pk=self.pk, state=CheckRun.State.PENDING).update(
            state=CheckRun.State.ERROR,
            error=reason,
            error_detail=detail,
            finished_at=timezone.now(),
            task_deadline=None,
        )
        if changed:
            self.refresh_from_db()
        return bool(changed)
