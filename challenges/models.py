"""Learners' attempts, and every model of the challenges app imported in one place.

Challenges and their content versions are in challenges/catalog.py; what happened to an attempt
(its check runs and their tally, its events, the hints it unlocked, its console commands) is in
challenges/records.py; both imported here with the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.urls import reverse
from django.utils import timezone

from challenges.capacity import Cluster as Cluster
from challenges.capacity import PoolSchedule as PoolSchedule
from challenges.catalog import Challenge as Challenge
from challenges.catalog import ChallengeVersion as ChallengeVersion
from challenges.catalog import SolutionFile as SolutionFile

# Defined in challenges.choices, which challenge.yaml's schema shares; importable from here too.
from challenges.choices import ChallengeType as ChallengeType
from challenges.choices import Difficulty as Difficulty
from challenges.choices import Theme as Theme
from challenges.lifecycle import ACTIVE_STATUSES as ACTIVE_STATUSES
from challenges.lifecycle import FINISHED_STATUSES as FINISHED_STATUSES
from challenges.lifecycle import LIVE_STATUSES as LIVE_STATUSES
from challenges.lifecycle import RUNNING_STATUSES as RUNNING_STATUSES
from challenges.lifecycle import WAITING_STATUSES as WAITING_STATUSES
from challenges.lifecycle import Outcome as Outcome
from challenges.lifecycle import Status as Status
from challenges.signals import attempt_changed


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def of_learner(self, learner: AbstractBaseUser | AnonymousUser) -> AttemptQuerySet:
        """The one access rule of the learner's views: a learner reaches their own attempts, and
        anyone else's is a 404 there, as if it did not exist (instructors act through the
        classroom's views, under classroom.access)."""
        return self.filter(learner_id=learner.pk).select_related("challenge", "version")

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
    # The registered cluster its namespace is on (challenges.capacity); None: BREAKFIX_KUBECONFIG's.
    cluster = models.ForeignKey(
        Cluster, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
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
    # Of those, the ones an instructor gave: they cost the learner nothing.
    hints_given = models.PositiveSmallIntegerField(default=0)
    # False for an attempt started under rules that allow none (a classroom's assessment).
    hints_allowed = models.BooleanField(default=True)
    # In the warm pool (challenges/services/pool.py): ready and nobody's yet, its learner the
    # pool's own inactive account; a Start claims it (pooled becomes False, `claimed_at` set).
    pooled = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # How long the claim and the learner's token took (the metrics' claim histogram).
    claim_seconds = models.FloatField(null=True, blank=True)
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
    # When the learner's work stops though the environment still runs: a sitting's deadline (a
    # classroom's assessment), its environment kept a little longer for the last check, which
    # the platform runs. None: the work stops when the environment ends.
    freezes_at = models.DateTimeField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["learner", "challenge", "status"]),
            models.Index(fields=["status", "task_deadline"], name="attempt_pending_work"),
            models.Index(
                fields=["challenge", "version", "ready_at"],
                condition=models.Q(pooled=True),
                name="attempt_pool",
            ),
        ]
        constraints = [
            # A double click, a retry or two tabs: one environment per learner and challenge.
            models.UniqueConstraint(
                fields=["learner", "challenge"],
                condition=models.Q(status__in=ACTIVE_STATUSES, pooled=False),
                name="one_active_attempt_per_challenge",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.challenge.slug} · {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("attempt", args=[self.pk])

    def transition(
        self, only_if: models.Q | None = None, /, *, from_: str | tuple[str, ...], to: str, **fields: Any
    ) -> bool:
        """Move from `from_` to `to` (and only while `only_if` holds); False when another worker
        got there first. (`only_if` is positional so that no field of the update can be taken for it.)

        An `outcome` given here is kept only when the attempt has none yet: a solved attempt
        that ends or expires later was solved.
        """
        sources = (from_,) if isinstance(from_, str) else from_
        if "outcome" in fields:
            fields["outcome"] = models.Case(
                models.When(outcome="", then=models.Value(fields["outcome"])), default=models.F("outcome")
            )
        rows = Attempt.objects.filter(pk=self.pk, status__in=sources).filter(only_if or models.Q())
        changed = rows.update(status=to, **fields)
        if changed:
            self.refresh_from_db()
            self.changed()
        return bool(changed)

    def changed(self) -> None:
        """Tell the apps that follow attempts (challenges.signals) that this one changed."""
        attempt_changed.send_robust(sender=Attempt, attempt=self)

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
    def is_running(self) -> bool:
        """Whether the environment runs: the platform may check it, frozen or not."""
        return self.status in RUNNING_STATUSES

    @property
    def is_frozen(self) -> bool:
        """Past the time for the learner's work (`freezes_at`): no console, editor, check or hint."""
        return self.freezes_at is not None and self.freezes_at <= timezone.now()

    @property
    def is_workspace_open(self) -> bool:
        """Whether the learner may work in it: it runs and their time has not run out."""
        return self.is_running and not self.is_frozen

    @property
    def work_ends_at(self) -> datetime | None:
        """What the learner's clock counts down to: their work stops then."""
        return self.freezes_at or self.expires_at

    @property
    def is_cluster_down(self) -> bool:
        """Whether the registered cluster its environment is on stopped answering (the last probe)."""
        return self.cluster is not None and not self.cluster.reachable

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def can_check(self) -> bool:
        return self.status == Status.READY and not self.is_frozen

    @property
    def can_take_hints(self) -> bool:
        return self.is_active and self.hints_allowed and not self.is_frozen

    @property
    def can_be_given_hints(self) -> bool:
        """An instructor may give a hint while the environment is active, even under rules that
        let the learner take none (an assessment without hints)."""
        return self.is_active and not self.is_frozen

    @property
    def hints_charged(self) -> int:
        """The hints the learner took themselves: what their XP and scores pay for."""
        return max(0, self.hints_unlocked - self.hints_given)

    @property
    def can_reset(self) -> bool:
        """Reset while active; on a failed attempt, the same action is its Retry. Never under a
        sitting's rules (services.attempts.attempt_reset says why)."""
        return self.freezes_at is None and (self.is_active or self.has_failed)

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
        BREAKFIX_MAX_TTL_MINUTES from ready (or from the request while it is on its way). Never
        one that freezes: its time is the sitting's, which only its instructor extends."""
        if not self.is_active or self.expires_at is None or self.freezes_at is not None:
            return None
        ceiling = (self.ready_at or self.created_at) + timedelta(minutes=settings.BREAKFIX_MAX_TTL_MINUTES)
        deadline = min(self.expires_at + timedelta(minutes=settings.BREAKFIX_EXTEND_MINUTES), ceiling)
        return deadline if deadline > self.expires_at else None

    def can_extend(self) -> bool:
        return self.extended_deadline() is not None

    def objective_results(self) -> tuple[CheckRun | None, list[dict[str, Any]]]:
        """The latest check, and the objectives of the version this attempt runs, each with its
        result in that check (None before one ran)."""
        latest = self.check_runs.first()
        results = {row.get("key"): row for row in (latest.results if latest else [])}
        objectives = [
            {"key": item.key, "title": item.title, "result": results.get(item.key)}
            for item in self.version.objectives()
        ]
        return latest, objectives

    @property
    def time_to_solve(self) -> timedelta | None:
        if self.solved_at is None:
            return None
        return self.solved_at - (self.ready_at or self.created_at)

    def seconds_left(self, now: datetime | None = None) -> int:
        """Of the learner's time (work_ends_at)."""
        ends = self.work_ends_at
        if ends is None:
            return 0
        return max(0, int((ends - (now or timezone.now())).total_seconds()))


# Imported here so that Django finds them with the app's models (and callers with the rest).
from challenges.records import AttemptEvent as AttemptEvent  # noqa: E402
from challenges.records import CheckRun as CheckRun  # noqa: E402
from challenges.records import CheckTally as CheckTally  # noqa: E402
from challenges.records import ConsoleCommand as ConsoleCommand  # noqa: E402
from challenges.records import HintUnlock as HintUnlock  # noqa: E402
