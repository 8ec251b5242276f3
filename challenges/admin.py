from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from challenges.kube.kubeconfig import kubeconfig_server
from challenges.models import (
    Attempt,
    AttemptEvent,
    Challenge,
    ChallengeVersion,
    CheckRun,
    Cluster,
    PoolSchedule,
    Status,
)
from challenges.services.clusters import cluster_probe


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin[Challenge]):
    """With the warm pool's level per challenge: its target (editable here) and how many are ready."""

    list_display = ("title", "slug", "difficulty", "theme", "published", "pool_target", "pool_ready")
    list_filter = ("difficulty", "theme", "published")
    search_fields = ("title", "slug")
    readonly_fields = ("content_hash",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Challenge]:
        ready = Q(attempts__pooled=True, attempts__status=Status.READY)
        return super().get_queryset(request).annotate(ready=Count("attempts", filter=ready))

    @admin.display(description="pool ready")
    def pool_ready(self, challenge: Challenge) -> int:
        return int(getattr(challenge, "ready", 0))


@admin.register(PoolSchedule)
class PoolScheduleAdmin(admin.ModelAdmin[PoolSchedule]):
    """ "40 ready for wrong-selector at 09:00": a pool raised for a class, for a while."""

    list_display = ("challenge", "target", "starts_at", "ends_at", "note", "created_by")
    list_filter = ("challenge",)
    exclude = ("created_by",)

    def save_model(self, request: HttpRequest, obj: PoolSchedule, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(ChallengeVersion)
class ChallengeVersionAdmin(admin.ModelAdmin[ChallengeVersion]):
    list_display = ("challenge", "content_hash", "created_at")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin[Attempt]):
    """Staff see why an attempt failed in the cluster's words (`error_detail`); the lifecycle is
    the services' to change: a status set by hand would skip its teardown or its capacity."""

    list_display = (
        "id",
        "learner",
        "challenge",
        "status",
        "outcome",
        "backend",
        "cluster",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "outcome", "backend", "cluster")
    search_fields = ("learner__username", "challenge__slug", "environment")
    exclude = ("learner_kubeconfig",)
    readonly_fields = (
        "status",
        "outcome",
        "cluster",
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

    def has_delete_permission(self, request: HttpRequest, obj: Attempt | None = None) -> bool:
        # An environment still up would be left running with nothing to tear it down: it is
        # ended (and torn down) through the services first; its history can go after. Asked
        # without an attempt, for the list's bulk delete, which would skip that: one at a time.
        if obj is None or obj.status != Status.DESTROYED:
            return False
        return super().has_delete_permission(request, obj)


class RecordAdmin[M: CheckRun | AttemptEvent](admin.ModelAdmin[M]):
    """What happened, read only: a check run is what a result was scored from, an event is the
    learner's timeline. Nobody writes one by hand; they go with their attempt (once its
    environment is gone, AttemptAdmin), which the admin can only do when it may delete these."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        if obj is None or obj.attempt.status != Status.DESTROYED:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CheckRun)
class CheckRunAdmin(RecordAdmin[CheckRun]):
    list_display = ("id", "attempt", "state", "passed_count", "total", "created_at")


@admin.register(AttemptEvent)
class AttemptEventAdmin(RecordAdmin[AttemptEvent]):
    list_display = ("attempt", "kind", "actor", "created_at")
    list_filter = ("kind",)


class ClusterForm(forms.ModelForm[Cluster]):
    """The credentials are written, never shown: blank on an existing cluster keeps them."""

    kubeconfig_text = forms.CharField(
        label="Kubeconfig",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}),
        required=False,
        help_text="Admin credentials with everything inline (kubectl config view --flatten --minify). "
        "Stored encrypted; never shown again.",
    )

    class Meta:
        model = Cluster
        fields = ("name", "capacity", "labels", "state")

    def clean_kubeconfig_text(self) -> str:
        text: str = self.cleaned_data["kubeconfig_text"].strip()
        if not text:
            if self.instance.pk is None:
                raise forms.ValidationError("A new cluster needs its kubeconfig.")
            return ""
        try:
            kubeconfig_server(text)
        except ValueError as exc:
            raise forms.ValidationError(f"This kubeconfig cannot be used: {exc}.") from None
        if any(f"{key}:" in text for key in ("certificate-authority", "client-certificate", "client-key")):
            raise forms.ValidationError(
                "This kubeconfig names files; paste one with the certificates inline (the *-data keys)."
            )
        return text


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin[Cluster]):
    """The operator's page of clusters: state, health, capacity and use (what placement reads)."""

    form = ClusterForm
    list_display = (
        "name",
        "state",
        "reachable",
        "in_use",
        "pooled",
        "capacity",
        "free",
        "labels",
        "checked_at",
        "problem",
    )
    list_filter = ("state", "reachable")
    readonly_fields = ("server", "reachable", "checked_at", "problem")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cluster]:
        pooled = Q(attempts__pooled=True) & ~Q(attempts__status=Status.DESTROYED)
        return Cluster.objects.with_use().annotate(pool=Count("attempts", filter=pooled))

    @admin.display(description="of them pooled")
    def pooled(self, cluster: Cluster) -> int:
        return int(getattr(cluster, "pool", 0))

    @admin.display(description="in use")
    def in_use(self, cluster: Cluster) -> int:
        return cluster.used

    def save_model(self, request: HttpRequest, obj: Cluster, form: Any, change: bool) -> None:
        text = form.cleaned_data.get("kubeconfig_text")
        if text:
            obj.set_kubeconfig(text)
        super().save_model(request, obj, form, change)
        cluster_probe(obj)
