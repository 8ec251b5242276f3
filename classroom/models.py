"""Classrooms: an instructor, the challenges they assign, the learners who joined by invite code,
and the assessments it holds (each learner's sitting, the time an instructor added, the results)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from challenges.models import Attempt, Challenge, ChallengeVersion, CheckRun, PoolSchedule

# Crockford's base32: no I, L, O or U, so a code read aloud or copied from a projector survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 random bits: guessing one live code is out of reach
CODE_GROUP = 4
# What a learner may mistype for what the code really holds.
CODE_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_invite_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_invite_code(text: str) -> str:
    """The stored form of whatever a learner typed: upper case, no spaces or dashes, confusables fixed."""
    return "".join(ch for ch in text.upper() if ch.isalnum()).translate(CODE_CONFUSABLES)[:64]


def format_invite_code(code: str) -> str:
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


class Classroom(models.Model):
    name = models.CharField(max_length=120)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="classrooms_run"
    )
    invite_code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_invite_code)
    joining_open = models.BooleanField(default=True, help_text="Closed: the code no longer admits anyone.")
    invite_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the live pages follow (classroom/live/versions.py): moved by every change a dashboard
    # or a results table shows, in the transaction that made it; `layout_version` is the
    # version of the last change to the grid's rows or columns (a learner joined, a challenge
    # was assigned), after which a poll gets the whole grid.
    version = models.PositiveBigIntegerField(default=0)
    layout_version = models.PositiveBigIntegerField(default=0)
    # The layout version at which the cells' stats (CellChange) were last made whole from the grid.
    cells_version = models.PositiveBigIntegerField(null=True, blank=True)

    challenges = models.ManyToManyField(Challenge, through="Assignment", related_name="classrooms")
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="classrooms_joined"
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("instruct", "Can run classrooms")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("classroom", args=[self.pk])

    @property
    def invite_code_display(self) -> str:
        return format_invite_code(self.invite_code)

    @property
    def join_url(self) -> str:
        return reverse("classroom_join_code", args=[self.invite_code])

    def invite_expired(self, now: datetime | None = None) -> bool:
        return self.invite_expires_at is not None and self.invite_expires_at <= (now or timezone.now())

    def cells_changed_since(self, version: int) -> set[tuple[int, int]]:
        """(learner id, challenge id) of the cells changed after `version`, up to the version this
        classroom was read at (later ones are the next poll's)."""
        return set(
            CellChange.objects.filter(
                classroom=self, version__gt=version, version__lte=self.version
            ).values_list("learner_id", "challenge_id")
        )

    def accepts_joins(self, now: datetime | None = None) -> bool:
        return self.joining_open and not self.invite_expired(now)


class Assignment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="assignments")
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "challenge"], name="unique_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge} in {self.classroom}"

    def overdue(self, now: datetime | None = None) -> bool:
        return self.due_at is not None and self.due_at < (now or timezone.now())


class Membership(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classroom_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "learner"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.classroom}"


class CellChange(models.Model):
    """The classroom version at which one learner's cell at one challenge last changed: what a
    dashboard that shows version N asks for ("which cells changed after N?"); and what the cell
    adds to the stats bar as of then, so that a poll has the database count the bar from these
    rows (one per cell with attempts) instead of reading every attempt of the class.

    Kept by the writes (classroom.live.versions.cell_changed), and made whole again from the grid
    by the first full dashboard after the class's rows or columns change (Classroom.cells_version)."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="cell_changes")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField()
    solved = models.BooleanField(default=False)
    active = models.BooleanField(default=False)  # provisioning or at work on it
    stuck_at = models.DateTimeField(null=True, blank=True)  # while at work: when it is or becomes stuck

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "learner", "challenge"], name="unique_cell_change")
        ]
        indexes = [
            models.Index(fields=["classroom", "version"], name="cell_change_since"),
            models.Index(fields=["classroom", "stuck_at"], name="cell_change_stuck"),
        ]

    def __str__(self) -> str:
        return f"cell {self.learner_id}×{self.challenge_id} of {self.classroom_id} at {self.version}"


# --- assessments: a timed, graded sitting of some challenges, and its results


class Assessment(models.Model):
    """A timed, graded sitting of some challenges for a whole classroom."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assessments")
    title = models.CharField(max_length=120)
    challenges = models.ManyToManyField(Challenge, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Blank: everyone works until the end. Set: each learner's own time, from their first Open,
    # within the window (a learner who begins late has until the end, not longer).
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    hints_allowed = models.BooleanField(default=False)
    # Each hint a learner unlocks takes this share of that challenge's score.
    hint_penalty_percent = models.PositiveSmallIntegerField(default=10)
    show_solution = models.BooleanField(
        default=True, help_text="Show the reference solutions once it is over."
    )
    max_attempts = models.PositiveSmallIntegerField(default=2, help_text="Fresh environments per challenge.")
    # Set by "End now": every sitting closes at once, the time an instructor added included.
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.classroom})"

    def get_absolute_url(self) -> str:
        return reverse("assessment", args=[self.classroom_id, self.pk])

    def has_started(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.starts_at

    def is_window_open(self, now: datetime | None = None) -> bool:
        """Whether a learner may begin now: it has started, and is neither over nor ended."""
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at and self.ended_at is None


class Sitting(models.Model):
    """One learner's sitting of an assessment: opened when they first open it (made earlier when an
    instructor adds time for a learner who has not begun), closed at its end."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="sittings")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    extra_minutes = models.PositiveIntegerField(default=0)
    # When the learner began: their own time runs from here when the assessment has a duration.
    opened_at = models.DateTimeField(null=True, blank=True)
    # Closing claims the sitting (a worker that dies is taken over after CLAIM_SECONDS), then
    # checks, ends and scores; `closed_at` says it is done.
    closing_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.ManyToManyField(Attempt, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "learner"], name="one_sitting_per_learner")
        ]

    def __str__(self) -> str:
        return f"{self.learner} sitting {self.assessment}"

    @property
    def has_begun(self) -> bool:
        return self.opened_at is not None

    @property
    def deadline(self) -> datetime:
        """When it closes: the assessment's end (or sooner, the learner's own time from when they
        began), with the time an instructor added; at once after "End now"."""
        assessment = self.assessment
        end = assessment.ends_at
        if assessment.duration_minutes is not None and self.opened_at is not None:
            end = min(end, self.opened_at + timedelta(minutes=assessment.duration_minutes))
        end += timedelta(minutes=self.extra_minutes)
        return end if assessment.ended_at is None else min(assessment.ended_at, end)

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.closed_at is None and self.assessment.starts_at <= now < self.deadline

    def seconds_left(self, now: datetime | None = None) -> int:
        return max(0, int((self.deadline - (now or timezone.now())).total_seconds()))


class Extension(models.Model):
    """Time an instructor gave one learner, and why."""

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="extensions")
    minutes = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"+{self.minutes} min for {self.sitting.learner}: {self.reason}"


class Result(models.Model):
    """A learner's score at one challenge of an assessment, and the check run it comes from."""

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="results")
    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ChallengeVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    check_run = models.ForeignKey(
        CheckRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField(default=0.0)  # 0..1, hints' penalty taken
    hints_used = models.PositiveSmallIntegerField(default=0)
    # [{"key", "title", "weight", "passed"}], in the challenge's order
    objectives = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sitting", "challenge"], name="one_result_per_challenge")
        ]

    def __str__(self) -> str:
        return f"{self.sitting.learner} · {self.challenge.slug}: {self.percent}%"

    @property
    def percent(self) -> int:
        return round(100 * self.score)


class Notice(models.Model):
    """What an instructor told the class, or one learner of it: shown in the learner's workspace."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="notices")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )  # None: the whole class
    text = models.CharField(max_length=500)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["classroom", "created_at"], name="notice_recent")]

    def __str__(self) -> str:
        return f"{self.sent_by} to {self.learner or 'the class'}: {self.text[:40]}"


class WarmPool(models.Model):
    """A warm pool an instructor raised for their class: its schedule is the platform's
    (challenges.PoolSchedule); this says whose class it is for, so only they see and cancel it."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="warm_pools")
    schedule = models.OneToOneField(PoolSchedule, on_delete=models.CASCADE, related_name="classroom_pool")

    def __str__(self) -> str:
        return f"{self.classroom}: {self.schedule}"
