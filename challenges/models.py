"""Challenges, their content versions, learners' attempts, their hints and console commands.

An attempt's check runs and events are in challenges/records.py, imported here with the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class ChallengeType(models.TextChoices):
    FIX = "fix", "Fix"
    BUILD = "build", "Build"


class Theme(models.TextChoices):
    PODS = "pods-containers", "Pods & containers"
    NETWORKING = "networking", "Networking"
    RESOURCES = "resources-scaling", "Resources & scaling"
    STORAGE = "volumes-secrets", "Volumes & secrets"
    RBAC = "rbac-security", "RBAC & security"
    SCHEDULING = "scheduling-affinity", "Scheduling"
    JOBS = "jobs-cronjobs", "Jobs & CronJobs"
    INGRESS = "ingress-tls", "Ingress & TLS"
    MONITORING = "monitoring-debugging", "Monitoring & debugging"


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
        ordering = ["difficulty", "title"]

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

    def documents(self, folder: str) -> list[dict[str, Any]]:
        """The Kubernetes objects of `manifests`, `guards` or `solution`, in file-name order."""
        return [doc for file in self.definition.get(folder, []) for doc in file["documents"]]


class Status(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PROVISIONING = "provisioning", "Provisioning"
    READY = "ready", "Ready"
    SOLVED = "solved", "Solved"
    ENDED = "ended", "Ended"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed"
    DESTROYED = "destroyed", "Destroyed"


class Outcome(models.TextChoices):
    """How an attempt came out, set by the transition that decided it and kept after teardown."""

    SOLVED = "solved", "Solved"
    ENDED_BY_LEARNER = "ended_by_learner", "Ended by the learner"
    ENDED_BY_INSTRUCTOR = "ended_by_instructor", "Ended by an instructor"
    EXPIRED = "expired", "Time ran out"
    FAILED = "failed", "Failed"


# The groups of statuses the rules speak of, each defined here once; the predicates and the
# queryset methods of Attempt are how the rest of the code asks.
# On its way: a worker is (or is about to be) making the environment.
WAITING_STATUSES = (Status.REQUESTED, Status.PROVISIONING)
# Counts against the learner's limit, may be extended. A solved one makes way for the next.
ACTIVE_STATUSES = (*WAITING_STATUSES, Status.READY)
# Holds (or is about to hold) an environment: counts against the installation's capacity.
LIVE_STATUSES = (*ACTIVE_STATUSES, Status.SOLVED)
# The environment is up: the workspace (console, editor, kubeconfig) is open.
RUNNING_STATUSES = (Status.READY, Status.SOLVED)
# Over, and the environment still has to be torn down.
FINISHED_STATUSES = (Status.ENDED, Status.EXPIRED, Status.FAILED)


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def waiting(self) -> AttemptQuerySet:
        return self.filter(status__in=WAITING_STATUSES)

    def active(self) -> AttemptQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def live(self) -> AttemptQuerySet:
        return self.filter(status__in=LIVE_STATUSES)

    def finished(self) -> AttemptQuerySet:
        return self.filter(status__in=FINISHED_STATUSES)


class Attempt(models.Model):
    """One learner × one challenge version × one environment."""

    # So that templates compare against the model: `attempt.outcome == attempt.Outcome.EXPIRED`.
    Status = Status
    Outcome = Outcome

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="attempts")
    version = models.ForeignKey(ChallengeVersion, on_delete=models.PROTECT, related_name="attempts")
    backend = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    environment = models.CharField(max_length=100, blank=True, help_text="namespace or cluster name")
    # Learner kubeconfig, Fernet-encrypted; see challenges.secrets.
    learner_kubeconfig = models.BinaryField(blank=True, default=b"", editable=False)
    error = models.TextField(blank=True, help_text="Why it failed, written for the learner.")
    error_detail = models.TextField(
        blank=True, help_text="What the cluster or the backend said, for staff: never shown to the learner."
    )
    hints_unlocked = models.PositiveSmallIntegerField(default=0)
    # Delivery (challenges/services/sweeping.py): while work is pending (requested, provisioning,
    # finished but not torn down), the time by which its task must have moved it on, renewed
    # while a worker works; None when no task carries it (the broker could not take it).
    task_deadline = models.DateTimeField(null=True, blank=True)
    # The task delivery that claimed the provisioning, so that its own retries carry on.
    task_id = models.CharField(max_length=64, blank=True)
    # How often provisioning was started again because its worker stopped.
    provision_retries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    provisioning_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["learner", "challenge", "status"]),
            models.Index(fields=["status", "task_deadline"], name="attempt_pending_work"),
        ]
        constraints = [
            # A double click, a retry or two tabs: one environment per learner and challenge.
            models.UniqueConstraint(
                fields=["learner", "challenge"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="one_active_attempt_per_challenge",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.challenge.slug} · {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("attempt", args=[self.pk])

    def transition(self, *, from_: str | tuple[str, ...], to: str, **fields: Any) -> bool:
        """Move from `from_` to `to`; False when another worker got there first.

        An `outcome` given here is kept only when the attempt has none yet: a solved attempt
        that ends or expires later was solved.
        """
        sources = (from_,) if isinstance(from_, str) else from_
        if "outcome" in fields:
            fields["outcome"] = models.Case(
                models.When(outcome="", then=models.Value(fields["outcome"])), default=models.F("outcome")
            )
        changed = Attempt.objects.filter(pk=self.pk, status__in=sources).update(status=to, **fields)
        if changed:
            self.refresh_from_db()
        return bool(changed)

    def record(self, kind: str, message: str = "", actor: AbstractBaseUser | None = None) -> None:
        """Note what happened (an AttemptEvent); `actor` is the person who acted, when one did."""
        self.events.create(kind=kind, message=message, actor_id=actor.pk if actor is not None else None)

    # -- the rules, by name ----------------------------------------------------------------

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_workspace_open(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def can_check(self) -> bool:
        return self.status == Status.READY

    @property
    def can_take_hints(self) -> bool:
        return self.is_active

    @property
    def can_reset(self) -> bool:
        """Reset while active; on a failed attempt, the same action is its Retry."""
        return self.is_active or self.has_failed

    @property
    def has_failed(self) -> bool:
        return self.outcome == Outcome.FAILED or self.status == Status.FAILED

    @property
    def was_solved(self) -> bool:
        return self.solved_at is not None

    @property
    def is_kept(self) -> bool:
        """Requested while the broker could not take its task: the sweep sends it once it can."""
        return self.status == Status.REQUESTED and self.task_deadline is None

    @property
    def is_overdue(self) -> bool:
        """On its way for longer than its task should take: busy workers, or one that stopped."""
        return self.is_waiting and (self.task_deadline is None or self.task_deadline < timezone.now())

    def extended_deadline(self) -> datetime | None:
        """The deadline an extension would give, or None when it cannot be extended: the one rule
        for learners and instructors alike. An extension adds BREAKFIX_EXTEND_MINUTES, never past
        BREAKFIX_MAX_TTL_MINUTES from ready (or from the request while it is on its way)."""
        if not self.is_active or self.expires_at is None:
            return None
        ceiling = (self.ready_at or self.created_at) + timedelta(minutes=settings.BREAKFIX_MAX_TTL_MINUTES)
        deadline = min(self.expires_at + timedelta(minutes=settings.BREAKFIX_EXTEND_MINUTES), ceiling)
        return deadline if deadline > self.expires_at else None

    def can_extend(self) -> bool:
        return self.extended_deadline() is not None

    @property
    def time_to_solve(self) -> timedelta | None:
        if self.solved_at is None:
            return None
        return self.solved_at - (self.ready_at or self.created_at)

    def seconds_left(self, now: datetime | None = None) -> int:
        if self.expires_at is None:
            return 0
        return max(0, int((self.expires_at - (now or timezone.now())).total_seconds()))


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


# Imported here so that Django finds them with the app's models (and callers with the rest).
from challenges.records import AttemptEvent, CheckRun  # noqa: E402

__all__ = [
    "ACTIVE_STATUSES",
    "FINISHED_STATUSES",
    "LIVE_STATUSES",
    "RUNNING_STATUSES",
    "WAITING_STATUSES",
    "Attempt",
    "AttemptEvent",
    "AttemptQuerySet",
    "Challenge",
    "ChallengeType",
    "ChallengeVersion",
    "CheckRun",
    "ConsoleCommand",
    "Difficulty",
    "HintUnlock",
    "Outcome",
    "Status",
    "Theme",
]
