"""The catalog: challenges and their content versions, as loaded from the content folders.
Models of the challenges app, found by Django through challenges.models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import reverse

import validators
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
    # Environments kept ready for it (challenges/services/pool.py); None: BREAKFIX_POOL_SIZE.
    pool_target = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Environments kept ready; empty: the installation's default."
    )
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

    def objective_weights(self) -> dict[str, int]:
        """How much each objective counts towards a score (challenge.yaml's `weight`, default 1)."""
        return {
            str(item["key"]): int(item.get("weight", 1)) for item in self._challenge().get("objectives") or []
        }

    def simulation(self) -> dict[str, Any] | None:
        """What this version's applications do where no container runs (challenge.yaml's
        `simulation:`), or None."""
        found = self._challenge().get("simulation")
        return dict(found) if found else None

    def cluster_labels(self) -> dict[str, str]:
        """Labels the cluster hosting this version must carry (challenge.yaml's `clusterLabels`)."""
        return {str(k): str(v) for k, v in (self._challenge().get("clusterLabels") or {}).items()}

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
