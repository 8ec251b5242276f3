from django.contrib import admin

from challenges.models import Attempt, AttemptEvent, Challenge, ChallengeVersion, CheckRun


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin[Challenge]):
    list_display = ("title", "slug", "difficulty", "theme", "published", "content_hash")
    list_filter = ("difficulty", "theme", "published")
    search_fields = ("title", "slug")
    readonly_fields = ("content_hash",)


@admin.register(ChallengeVersion)
class ChallengeVersionAdmin(admin.ModelAdmin[ChallengeVersion]):
    list_display = ("challenge", "content_hash", "created_at")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin[Attempt]):
    """Staff see why an attempt failed in the cluster's words (`error_detail`); the lifecycle is
    the services' to change: a status set by hand would skip its teardown or its capacity."""

    list_display = ("id", "learner", "challenge", "status", "outcome", "backend", "created_at", "expires_at")
    list_filter = ("status", "outcome", "backend")
    search_fields = ("learner__username", "challenge__slug", "environment")
    exclude = ("learner_kubeconfig",)
    readonly_fields = (
        "status",
        "outcome",
        "environment",
        "error",
        "error_detail",
        "task_deadline",
        "task_id",
        "provision_retries",
        "provisioning_at",
        "ready_at",
        "solved_at",
        "ended_at",
        "destroyed_at",
    )


@admin.register(CheckRun)
class CheckRunAdmin(admin.ModelAdmin[CheckRun]):
    list_display = ("id", "attempt", "state", "passed_count", "total", "created_at")
    readonly_fields = ("state", "error", "error_detail", "task_deadline", "resent")


@admin.register(AttemptEvent)
class AttemptEventAdmin(admin.ModelAdmin[AttemptEvent]):
    list_display = ("attempt", "kind", "actor", "created_at")
    list_filter = ("kind",)
