"""The values a challenge's metadata takes, defined once: the models' choices and challenge.yaml's
schema (challenges/schema.py) are both these."""

from __future__ import annotations

from django.db import models


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"

    @classmethod
    def rank(cls) -> models.Case:
        """An expression ordering rows easy, medium, hard (as declared), not alphabetically."""
        return models.Case(
            *(models.When(difficulty=value, then=models.Value(i)) for i, value in enumerate(cls.values)),
            default=models.Value(len(cls.values)),
        )


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
