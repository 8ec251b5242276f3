"""What happened to an attempt: its events (who did what, when) and the hints it unlocked.
Models of the challenges app, found by Django through challenges.models."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
