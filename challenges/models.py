"""Challenges, their content versions, learners' attempts and what happened in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

import validators

# Defined in challenges.choices, which challenge.yaml's schema shares; importable from here too.
from challenges.choices import ChallengeType, Difficulty, Theme


class Challenge(models.Model):
    """The current published content of one challenge folder; older versions live in ChallengeVersion."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    theme = models.CharField(max_length=40, choices=Theme.choices)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices)
    type = models.CharField(max_length=10, choices=ChallengeType.choices)
    estimated_minutes = models.PositiveIntegerField()
    description = models.TextField(help_text="Markdown: the symptoms, never the cause.")
    initial_situation = models.TextField(help_text="Markdown: what the learner will find.")
    objectives = models.JSONField(default=list, help_text="[{key, title, type, spec, failureMessage}]")
    hints = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64)
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The catalog's order: easy, medium, hard, then by title.
        ordering = [Difficulty.rank(), "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenge", args=[self.slug])

    @property
    def current_version(self) -> ChallengeVersion:
        return self.versions.get(content_hash=self.content_hash)


class ChallengeVersion(models.Model):
    """One content version of a challenge, as loaded: an attempt runs exactly this."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="versions")
    content_hash = models.CharField(max_length=64)
    # The whole folder as loaded: challenge.yaml (parsed) and the text of manifests/guards/solution.
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "content_hash"], name="unique_challenge_version")
        ]

    def __str__(self) -> str:
        return f"{self.challenge.slug}@{self.content_hash[:12]}"

    # The stored definition is read here and nowhere else: {"challenge": the parsed challenge.yaml,
    # "manifests" | "guards" | "solution": [{"file", "text", "documents": [objects]}]}.

    def _challenge(self) -> dict[str, Any]:
        return dict(self.definition.get("challenge") or {})

    def _files(self, folder: str) -> list[dict[str, Any]]:
        return list(self.definition.get(folder) or [])

    def documents(self, folder: str) -> list[dict[str, Any]]:
        """The Kubernetes objects of `manifests`, `guards` or `solution`, in file-name order."""
        return [doc for file in self._files(folder) for doc in file["documents"]]

    def objectives(self) -> list[validators.Objective]:
        """The objectives this version checks, in order."""
        return [
            validators.Objective(
                key=str(item["key"]),
                title=str(item.get("title", item["key"])),
                type=str(item["type"]),
                spec=item.get("spec") or {},
                failure_message=str(item.get("failureMessage", "")),
            )
            for item in self._challenge().get("objectives") or []
        ]

    def simulation(self) -> dict[str, Any] | None:
        """What this version's applications do where no container runs (challenge.yaml's
        `simulation:`), or None."""
        found = self._challenge().get("simulation")
        return dict(found) if found else None

    def hints(self) -> list[str]:
        """This version's hints, in the order they unlock."""
        return [str(hint) for hint in self._challenge().get("hints") or []]

    def initial_situation(self) -> str:
        """What this version tells the learner they will find (Markdown)."""
        return str(self._challenge().get("initialSituation") or self.challenge.initial_situation)

    def solution_files(self) -> list[SolutionFile]:
        """This version's reference solution, file by file as written."""
        return [
            SolutionFile(name=str(item.get("file", "")), text=str(item.get("text", "")))
            for item in self._files("solution")
        ]


@dataclass(frozen=True)
class SolutionFile:
    name: str
    text: str


class Status(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PROVISIONING = "provisioning", "Provisioning"
    READY = "ready", "Ready"
    SOLVED = "solved", "Solved"
    ENDED = "ended", "Ended"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed"
    DESTROYED = "destroyed", "Destroyed"


# An attempt in one of these still holds (or is about to hold) an environment.
LIVE_STATUSES = (Status.REQUESTED, Status.PROVISIONING, Status.READY, Status.SOLVED)
# States from which the environment must be torn down.
FINISHED_STATUSES = (Status.ENDED, Status.EXPIRED, Status.FAILED)


class Attempt(models.Model):
    """One learner × one challenge version × one environment."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="attempts")
    version = models.ForeignKey(ChallengeVersion, on_delete=models.PROTECT, related_name="attempts")
    backend = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    environment = models.CharField(max_length=100, blank=True, help_text="namespace or cluster name")
    # Learner kubeconfig, Fernet-encrypted; see challenges.secrets.
    learner_kubeconfig = models.BinaryField(blank=True, default=b"", editable=False)
    error = models.TextField(blank=True)
    hints_unlocked = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    provisioning_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["learner", "challenge", "status"])]

    def __str__(self) -> str:
        return f"{self.learner} · {self.challenge.slug} · {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("attempt", args=[self.pk])

    def transition(self, *, from_: str | tuple[str, ...], to: str, **fields: Any) -> bool:
        """Move from `from_` to `to`; False when another worker got there first."""
        sources = (from_,) if isinstance(from_, str) else from_
        changed = Attempt.objects.filter(pk=self.pk, status__in=sources).update(status=to, **fields)
        if changed:
            self.refresh_from_db()
        return bool(changed)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def time_to_solve(self) -> timedelta | None:
        if self.solved_at is None:
            return None
        return self.solved_at - (self.ready_at or self.created_at)

    def seconds_left(self, now: datetime | None = None) -> int:
        if self.expires_at is None:
            return 0
        return max(0, int((self.expires_at - (now or timezone.now())).total_seconds()))


class CheckRun(models.Model):
    """One press of Check: the per-objective results, as the validators returned them."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        ERROR = "error", "Error"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="check_runs")
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
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"check #{self.pk} of attempt {self.attempt_id}: {self.passed_count}/{self.total}"


class HintUnlock(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="hint_unlocks")
    index = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["attempt", "index"], name="unique_hint_unlock")]

    def __str__(self) -> str:
        return f"hint {self.index + 1} of attempt {self.attempt_id}"


class ConsoleCommand(models.Model):
    """A command typed in the console, and what kubectl answered (capped)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="console_commands")
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


class AttemptEvent(models.Model):
    """Something that happened to an attempt's environment, and who did it when a person did."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
