"""What happened to an attempt: its check runs and their tally, its events (who did what, when),
the hints it unlocked and the commands typed in its console. Models of the challenges app, found
by Django through challenges.models."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from validators import ObjectiveResult


class FinishedRun(Protocol):
    """What a tally reads of a finished check run (challenges.models.CheckRun)."""

    attempt_id: int
    created_at: datetime
    passed: bool
    passed_count: int
    total: int
    failed_objectives: Sequence[str]


class HintUnlock(models.Model):
    attempt = models.ForeignKey("challenges.Attempt", on_delete=models.CASCADE, related_name="hint_unlocks")
    index = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["attempt", "index"], name="unique_hint_unlock")]

    def __str__(self) -> str:
        return f"hint {self.index + 1} of attempt {self.attempt_id}"


class AttemptEvent(models.Model):
    """Something that happened to an attempt's environment, and who did it when a person did."""

    class Kind(models.TextChoices):
        # The labels are what an instructor's timeline calls them.
        REQUESTED = "requested", "Environment requested"
        PROVISIONING = "provisioning", "Provisioning started"
        REQUEUED = "requeued", "Provisioning started again"
        READY = "ready", "Environment ready"
        FAILED = "failed", "Environment failed"
        CHECK_REQUESTED = "check_requested", "Check requested"
        CHECKED = "checked", "Checked"
        CHECK_FAILED = "check_failed", "Check could not run"
        SOLVED = "solved", "Solved"
        HINT = "hint", "Hint unlocked"
        EDITOR_APPLY = "editor_apply", "Applied from the editor"
        EXTENDED = "extended", "Time extended"
        ENDED = "ended", "Environment ended"
        EXPIRED = "expired", "Time ran out"
        RESET = "reset", "Fresh environment (reset)"
        DESTROYED = "destroyed", "Environment removed"

    attempt = models.ForeignKey("challenges.Attempt", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class ConsoleCommand(models.Model):
    """A command typed in the console, and what kubectl answered (capped)."""

    attempt = models.ForeignKey(
        "challenges.Attempt", on_delete=models.CASCADE, related_name="console_commands"
    )
    command = models.TextField()
    refused = models.BooleanField(default=False)
    exit_code = models.IntegerField(null=True, blank=True)
    output = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.command


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


class CheckTally(models.Model):
    """What an attempt's finished check runs add up to, kept as each run finishes.

    Whoever reads many attempts at once (the instructor's dashboard: 200 learners × 20
    challenges) reads one row per attempt here instead of every run: counting and joining runs
    on each poll was most of its time. `CheckRun.finish` adds a run inside its own transaction,
    so the tally is never behind the runs it counts; `rebuild` recounts from the runs (for rows
    written otherwise: a migration, a benchmark's seed).
    """

    attempt = models.OneToOneField(
        "challenges.Attempt", on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    runs = models.PositiveIntegerField(default=0)  # finished runs (not those that could not run)
    best = models.PositiveSmallIntegerField(default=0)  # most objectives passing in one run
    best_at = models.DateTimeField(null=True, blank=True)  # when a run first reached `best` (> 0)
    total = models.PositiveSmallIntegerField(default=0)  # most objectives a run had
    latest = models.PositiveSmallIntegerField(default=0)  # passing in the latest run
    latest_total = models.PositiveSmallIntegerField(default=0)
    latest_at = models.DateTimeField(null=True, blank=True)  # when the latest run was requested
    # Objective key: how many runs found it failing.
    failing = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.runs} checks of attempt {self.attempt_id}, best {self.best}/{self.total}"

    def add(self, run: FinishedRun) -> None:
        """Count one finished run (in memory). Runs may finish out of order: `latest` is the
        latest requested, `best_at` the earliest run that reached the best."""
        self.runs += 1
        self.total = max(self.total, run.total)
        if run.passed_count > self.best or (
            run.passed_count == self.best and self.best_at is not None and run.created_at < self.best_at
        ):
            self.best = run.passed_count
            self.best_at = run.created_at if run.passed_count > 0 else None
        if self.latest_at is None or run.created_at >= self.latest_at:
            self.latest, self.latest_total, self.latest_at = run.passed_count, run.total, run.created_at
        if not run.passed:
            failing = dict(self.failing)
            for key in run.failed_objectives or ():
                failing[key] = failing.get(key, 0) + 1
            self.failing = failing

    @classmethod
    def count(cls, run: FinishedRun) -> None:
        """Add a run that just finished to its attempt's tally (locked, so two finishing runs add up)."""
        with transaction.atomic():
            tally, _ = cls.objects.select_for_update().get_or_create(attempt_id=run.attempt_id)
            tally.add(run)
            tally.save()

    @classmethod
    def rebuild(cls, attempt_ids: list[int], runs: Iterable[FinishedRun]) -> None:
        """Recount the tallies of these attempts from `runs`: their finished runs, oldest first."""
        tallies = {pk: CheckTally(attempt_id=pk) for pk in attempt_ids}
        for run in runs:
            tallies[run.attempt_id].add(run)
        with transaction.atomic():
            CheckTally.objects.filter(attempt_id__in=attempt_ids).delete()
            CheckTally.objects.bulk_create([t for t in tallies.values() if t.runs], batch_size=1000)
