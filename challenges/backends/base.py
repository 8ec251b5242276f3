"""The interface every cluster backend implements, and what they share.

An environment is named by a string (a namespace, or a kind cluster) that the attempt stores;
the challenge always runs in the namespace of that name, where the learner is the
ServiceAccount `learner`. Being a ServiceAccount of the attempt's namespace is what makes the
guards apply to the learner and never to the platform or the cluster's controllers.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from kubernetes.client import ApiClient

from challenges.kube import apply_documents
from challenges.kube.kubeconfig import request_token, token_kubeconfig
from validators import NamespaceView
from validators.errors import ClusterUnavailable
from validators.kube import Resource, call, request

Obj = dict[str, Any]

LEARNER = "learner"
MANAGED_BY = "app.kubernetes.io/managed-by"
PLATFORM = "breakfix"
ATTEMPT_LABEL = "breakfix.dev/attempt"
NAMESPACES = Resource("v1", "namespaces", namespaced=False)
SERVICE_ACCOUNTS = Resource("v1", "serviceaccounts")
INSTALLATION_LABEL = "breakfix.dev/installation"
# The ServiceAccount admission plugin refuses Pods until the namespace's `default`
# ServiceAccount exists; kube-controller-manager makes it within moments.
DEFAULT_SA_WAIT_SECONDS = 20.0


class BackendError(Exception):
    """Something the backend could not do; the message is fit for a learner to read."""


class BackendUnavailable(BackendError):
    """Temporary: worth retrying (the cluster is busy, a namespace is still being deleted)."""


class ClustersFull(BackendUnavailable):
    """No registered cluster has room (or answers) for a new environment just now."""


class BackendFailed(BackendError):
    """Permanent: retrying gives the same answer."""


class ClusterBackend(ABC):
    name: ClassVar[str]
    # Whether each attempt gets a cluster of its own, so a challenge may create cluster-scoped
    # objects (they go when the cluster does), or a namespace of a shared one, where it may not.
    whole_cluster: ClassVar[bool]

    def __init__(self, *, prefix: str) -> None:
        self.prefix = prefix

    # -- naming --------------------------------------------------------------------------------

    def environment_name(self, attempt_id: int) -> str:
        return f"{self.prefix}-{attempt_id}"

    def owns(self, environment: str) -> bool:
        """Whether a name is one this installation would give an environment."""
        head, _, tail = environment.rpartition("-")
        return head == self.prefix and tail.isdigit()

    # -- the interface -------------------------------------------------------------------------

    @abstractmethod
    def platform_client(self, environment: str) -> ApiClient:
        """An ApiClient with the platform's own (administrator) credentials for the environment."""

    @abstractmethod
    def create(self, environment: str, *, attempt_id: int) -> None:
        """Make the environment exist, with the learner's ServiceAccount and its rights. Idempotent."""

    @abstractmethod
    def destroy(self, environment: str) -> None:
        """Remove the environment and everything the platform put in it. Idempotent."""

    @abstractmethod
    def list_environments(self) -> set[str]:
        """Every environment of this installation that exists, live or orphaned."""

    @abstractmethod
    def access_documents(self, namespace: str) -> list[Obj]:
        """The learner's ServiceAccount and what it may do, as objects to apply."""

    def platform_objects(self) -> set[tuple[str, str]]:
        """(kind, name) of the objects the platform keeps in every environment that the checks must
        not count (the namespace backend's egress policy): they judge the challenge, not the platform."""
        return set()

    def namespace_view(self, api: ApiClient, environment: str) -> NamespaceView:
        """What the checks of an attempt read: its namespace, without the platform's own objects."""
        return NamespaceView(api, environment, platform_objects=self.platform_objects())

    def learner_kubeconfig(self, environment: str, *, seconds: int) -> str:
        """A kubeconfig holding a token of the learner's ServiceAccount, valid for `seconds`."""
        with self.platform_client(environment) as api:
            token = request_token(api, namespace=environment, service_account=LEARNER, seconds=seconds)
            return token_kubeconfig(api, token=token, namespace=environment, name=environment, user=LEARNER)

    # -- shared steps --------------------------------------------------------------------------

    def namespace_labels(self, attempt_id: int) -> dict[str, str]:
        return {MANAGED_BY: PLATFORM, ATTEMPT_LABEL: str(attempt_id), INSTALLATION_LABEL: self.prefix}

    def prepare_namespace(self, api: ApiClient, environment: str, *, attempt_id: int) -> None:
        """Create the attempt's namespace (or find ours from an earlier try) and give the learner access.

        The namespace is the environment's own name, in both backends.
        """
        namespace = environment
        labels = self.namespace_labels(attempt_id)
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": labels}}
        what = f"create namespace {namespace}"
        answer = request(api, "POST", NAMESPACES.collection(), what=what, body=body)
        if answer.status == 409:
            self._check_existing_namespace(api, namespace, labels)
        elif not answer.ok:
            raise answer.error(what)
        self._wait_for_default_service_account(api, namespace)
        apply_documents(api, namespace, self.access_documents(namespace), cluster_scoped=self.whole_cluster)

    def _check_existing_namespace(self, api: ApiClient, namespace: str, labels: dict[str, str]) -> None:
        existing = call(api, "GET", NAMESPACES.item(namespace), what=f"read namespace {namespace}")
        metadata = (existing or {}).get("metadata") or {}
        if metadata.get("deletionTimestamp"):
            raise BackendUnavailable(
                f"The namespace {namespace} from an earlier environment is still being deleted."
            )
        found = metadata.get("labels") or {}
        if any(found.get(key) != value for key, value in labels.items()):
            raise BackendFailed(
                f"The namespace {namespace} already exists and does not belong to this attempt; "
                "an operator has to remove it."
            )

    def _wait_for_default_service_account(self, api: ApiClient, namespace: str) -> None:
        deadline = time.monotonic() + DEFAULT_SA_WAIT_SECONDS
        path = SERVICE_ACCOUNTS.item("default", namespace)
        while call(api, "GET", path, what="read the default ServiceAccount", missing_ok=True) is None:
            if time.monotonic() > deadline:
                raise ClusterUnavailable(f"The namespace {namespace} got no default ServiceAccount in time.")
            time.sleep(0.2)
