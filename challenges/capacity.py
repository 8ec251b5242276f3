"""Capacity: the clusters an operator registers for the `namespace` backend, the rules of placing on
them, and the warm pool's schedules.

With none registered, the installation has one cluster: BREAKFIX_KUBECONFIG's, as `make run`
sets it up (an attempt with no cluster lives there). With some registered, new environments go
only to them: to the reachable, active one with the most free capacity that has the labels the
challenge requires. An attempt keeps its cluster for life, so every later step (check, console,
editor, teardown, reap) goes where its environment is.

State is the operator's word (active, draining, offline); `reachable` is the platform's reading
(the probe asks each cluster's /readyz, services/clusters.py). Credentials are a kubeconfig with
everything embedded, encrypted at rest like the learners' (challenges.secrets); they never
reach a page, a log or an error message.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, F, Q

from challenges import secrets
from challenges.kube.kubeconfig import kubeconfig_server
from challenges.lifecycle import Status

NAME = RegexValidator(
    r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", "A cluster's name is lowercase letters, digits and dashes."
)


class ClusterQuerySet(models.QuerySet["Cluster"]):
    def with_use(self) -> ClusterQuerySet:
        """Each with `in_use`: its environments that still exist (every attempt not yet torn down)."""
        return self.annotate(in_use=Count("attempts", filter=~Q(attempts__status=Status.DESTROYED)))

    def accepting(self) -> ClusterQuerySet:
        """Those that take new environments: active, and answering at the last probe."""
        return self.filter(state=Cluster.State.ACTIVE, reachable=True)

    def by_room(self) -> ClusterQuerySet:
        """Most free capacity first (ties by name, so placement is predictable), with `in_use`."""
        return self.with_use().annotate(room=F("capacity") - F("in_use")).order_by("-room", "name")

    def serving(self) -> ClusterQuerySet:
        """Those whose environments are in use (active or draining): what /readyz must reach."""
        return self.exclude(state=Cluster.State.OFFLINE)


class Cluster(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "active"
        # No new environments; the ones it holds run to their end.
        DRAINING = "draining", "draining"
        # Taken out by the operator: nothing is sent there and nothing there is asked.
        OFFLINE = "offline", "offline"

    name = models.CharField(max_length=40, unique=True, validators=[NAME])
    server = models.CharField(max_length=300, help_text="The API server's address, for people to read.")
    kubeconfig = models.BinaryField(editable=False, help_text="Fernet-encrypted; see challenges.secrets.")
    capacity = models.PositiveIntegerField(help_text="How many environments it may hold at once.")
    labels = models.JSONField(default=dict, blank=True, help_text='What it offers, e.g. {"zone": "east"}.')
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    reachable = models.BooleanField(default=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True, help_text="Why the last probe failed.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_kubeconfig(self, text: str) -> None:
        """Store the kubeconfig (with its credentials embedded) encrypted; `server` is read from it."""
        self.server = kubeconfig_server(text)
        self.kubeconfig = secrets.encrypt(text)

    def config(self) -> dict[str, Any]:
        """The stored kubeconfig, parsed."""
        parsed = yaml.safe_load(secrets.decrypt(self.kubeconfig))
        return parsed if isinstance(parsed, dict) else {}

    def offers(self, required: dict[str, str]) -> bool:
        """Whether it has every label a challenge requires."""
        return all(self.labels.get(key) == value for key, value in required.items())

    @property
    def used(self) -> int:
        """Environments it holds; needs `in_use` (ClusterQuerySet.with_use)."""
        return int(getattr(self, "in_use", 0))

    @property
    def free(self) -> int:
        """Room left; needs `in_use` (ClusterQuerySet.with_use)."""
        return max(self.capacity - self.used, 0)


class PoolSchedule(models.Model):
    """A warm pool raised for a while: "40 ready for wrong-selector from 09:00 to 10:00"."""

    challenge = models.ForeignKey(
        "challenges.Challenge", on_delete=models.CASCADE, related_name="pool_schedules"
    )
    target = models.PositiveSmallIntegerField(help_text="Environments kept ready meanwhile.")
    starts_at = models.DateTimeField(help_text="Filling starts then: set it a few minutes before the class.")
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True, help_text="Who it is for, e.g. the class.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="pool_schedule_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} ready for {self.challenge} from {self.starts_at:%Y-%m-%d %H:%M}"
