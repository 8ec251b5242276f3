"""The author's loop, against any cluster: lint content, apply it, check it, prove it.

A challenge is proven when, in a fresh namespace, every objective fails on the broken state with
its own failure message, and every objective passes once the reference solution is applied.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

import validators
from challenges.kube.apply import apply_documents, delete_guards
from challenges.kube.guards import apply_guards
from challenges.kube.history import apply_with_history
from challenges.kube.simulation import apply_simulation, delete_simulations
from challenges.loader import ContentProblem, LoadedChallenge, load_folder
from challenges.services.solutions import apply_solution
from validators.kube import Resource, call

NAMESPACES = Resource("v1", "namespaces", namespaced=False)
DEPLOYMENTS = Resource("apps/v1", "deployments")
PODS = Resource("v1", "pods")
EVENTS = Resource("v1", "events")
PROVE_LABEL = "breakfix.dev/prove"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


@dataclass
class ProofStep:
    round: int
    stage: str  # "broken" or "solved"
    results: list[validators.ObjectiveResult]
    problems: list[str] = field(default_factory=list)


@dataclass
class Proof:
    slug: str
    steps: list[ProofStep] = field(default_factory=list)
    error: str = ""

    @property
    def proven(self) -> bool:
        return not self.error and bool(self.steps) and all(not step.problems for step in self.steps)


def challenge_load(*, content_dir: Path, slug: str, whole_cluster: bool = False) -> LoadedChallenge:
    folder = content_dir / slug
    if not folder.is_dir():
        raise ChallengeNotFound(f"There is no challenge {slug!r} in {content_dir}.")
    result = load_folder(folder, whole_cluster=whole_cluster)
    if isinstance(result, list):
        raise ChallengeInvalid(result)
    return result


class ChallengeNotFound(Exception):
    pass


class ChallengeInvalid(Exception):
    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def objectives_of(challenge: LoadedChallenge) -> list[validators.Objective]:
    return [
        validators.Objective(
            key=o.key, title=o.title, type=o.type, spec=o.spec, failure_message=o.failure_message
        )
        for o in challenge.spec.objectives
    ]


def _documents(challenge: LoadedChallenge, folder: str) -> list[dict[str, Any]]:
    return [doc for file in challenge.definition[folder] for doc in file["documents"]]


def _referenced(value: Any, found: set[tuple[str, str]]) -> None:
    """Collect (kind, name) pairs an objective spec names: targets, workloads, services, peers."""
    if isinstance(value, dict):
        kind, name = value.get("kind"), value.get("name")
        if isinstance(kind, str) and isinstance(name, str):
            found.add((kind, name))
        workload = value.get("workload")
        if isinstance(workload, str):
            found.add((str(value.get("kind", "Deployment")), workload))
        for item in value.values():
            _referenced(item, found)
    elif isinstance(value, list):
        for item in value:
            _referenced(item, found)


def challenge_lint(*, challenge: LoadedChallenge) -> list[str]:
    """What `load_folder` cannot see alone: objectives naming objects that no manifest creates."""
    problems: list[str] = []
    known = {
        (str(doc.get("kind")), str((doc.get("metadata") or {}).get("name")))
        for folder in ("manifests", "solution")
        for doc in _documents(challenge, folder)
    }
    for objective in challenge.spec.objectives:
        named: set[tuple[str, str]] = set()
        _referenced(objective.spec, named)
        if objective.type == "service":
            named.add(("Service", str(objective.spec.get("name"))))
        if objective.type == "rbac":
            named.add(("ServiceAccount", str(objective.spec.get("serviceAccount"))))
        for kind, name in sorted(named):
            if (kind, name) not in known:
                problems.append(
                    f"{challenge.slug}: objective {objective.key!r} names {kind} {name!r}, "
                    "which neither manifests/ nor solution/ creates"
                )
    containers = {
        str(container.get("name"))
        for folder in ("manifests", "solution")
        for doc in _documents(challenge, folder)
        for container in _pod_containers(doc)
    }
    for behaviour in challenge.spec.simulation.containers if challenge.spec.simulation else []:
        if behaviour.name not in containers:
            problems.append(
                f"{challenge.slug}: simulation describes container {behaviour.name!r}, "
                "which no pod of manifests/ or solution/ has"
            )
    return problems


def _pod_containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers and init containers of a Pod, or of the pod template of a workload."""
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    pod = spec if doc.get("kind") == "Pod" else ((spec.get("template") or {}).get("spec") or {})
    return [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]


def namespace_create(api_client: ApiClient, *, name: str, labels: dict[str, str]) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    apply_documents(api_client, name, [body], cluster_scoped=True)


def namespace_delete(api_client: ApiClient, *, name: str) -> None:
    delete_guards(api_client, name)
    delete_simulations(api_client, name)
    call(api_client, "DELETE", NAMESPACES.item(name), what=f"delete {name}", missing_ok=True)


def challenge_apply(
    *, api_client: ApiClient, challenge: LoadedChallenge, namespace: str, solution: bool = False
) -> int:
    """Server-side apply the broken state and its guards (or the solution); idempotent. Returns the count."""
    whole = challenge.needs_cluster
    if solution:
        return apply_solution(api_client, namespace, _documents(challenge, "solution"), cluster_scoped=whole)
    simulation = (challenge.definition.get("challenge") or {}).get("simulation")  # as loaded
    apply_simulation(api_client, namespace, simulation)
    manifests = _documents(challenge, "manifests")
    applied = apply_with_history(api_client, namespace, manifests, cluster_scoped=whole)
    return len(applied) + len(apply_guards(api_client, namespace, _documents(challenge, "guards")))


def challenge_check(
    *, api_client: ApiClient, challenge: LoadedChallenge, namespace: str
) -> list[validators.ObjectiveResult]:
    view = validators.NamespaceView(api_client, namespace)
    return validators.run_check(objectives_of(challenge), view)


def workloads_ready(*, api_client: ApiClient, challenge: LoadedChallenge, namespace: str) -> bool:
    """Every Deployment of the broken state has settled, so the check may judge it: all its
    replicas are ready, or the pods it has are ready and it reports ReplicaFailure (the API server
    refuses the rest, as a ResourceQuota does: no more pods will come)."""
    for doc in _documents(challenge, "manifests"):
        if doc.get("kind") != "Deployment":
            continue
        name = doc["metadata"]["name"]
        body = call(
            api_client,
            "GET",
            DEPLOYMENTS.item(name, namespace),
            what=f"read Deployment {name}",
            missing_ok=True,
        )
        if not body:
            return False
        want = (doc.get("spec") or {}).get("replicas", 1)
        status = body.get("status") or {}
        ready = status.get("readyReplicas", 0)
        if ready == want:
            continue
        if not (_replicas_refused(body) and ready == status.get("replicas", 0)):
            return False
    return True


def _replicas_refused(deployment: dict[str, Any]) -> bool:
    """The API server refuses the Deployment's missing pods (a ResourceQuota, a LimitRange, an
    admission policy): its ReplicaSet reports ReplicaFailure, and no more pods will come."""
    return any(
        c.get("type") == "ReplicaFailure" and c.get("status") == "True"
        for c in (deployment.get("status") or {}).get("conditions") or []
    )


# A container that is not running for one of these reasons is still on its way up.
STARTING = {"ContainerCreating", "PodInitializing"}


def _pod_settled(pod: dict[str, Any], warned: set[str]) -> bool:
    """The pod is ready, or shows what keeps it from being ready, as a kubelet or scheduler would."""
    status = pod.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if conditions.get("Ready") == "True" or conditions.get("PodScheduled") == "False":
        return True
    if status.get("phase") in ("Succeeded", "Failed") or (pod.get("metadata") or {}).get("uid") in warned:
        return True
    for container in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        state = container.get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason")
        ended = state.get("terminated") or {}
        if container.get("restartCount") or (waiting and waiting not in STARTING) or ended.get("exitCode"):
            return True
    return False


def workloads_settled(*, api_client: ApiClient, challenge: LoadedChallenge, namespace: str) -> bool:
    """Every Deployment of the broken state has its pods, and each is ready or shows why it is not;
    or the API server refuses the pods it lacks (ReplicaFailure) and the pods it has show it all.

    A broken state may be broken on purpose at the pod level (a crash loop, an image that cannot
    be pulled, a probe that never passes) or below it (a quota that admits two of three pods): it
    is judged once that shows, not when it is ready.
    """
    events = call(api_client, "GET", EVENTS.collection(namespace), what="list events") or {}
    warned = {
        str((e.get("involvedObject") or {}).get("uid"))
        for e in events.get("items") or []
        if e.get("type") == "Warning" and (e.get("involvedObject") or {}).get("kind") == "Pod"
    }
    for doc in _documents(challenge, "manifests"):
        if doc.get("kind") != "Deployment":
            continue
        spec = doc.get("spec") or {}
        labels = (spec.get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        found = (
            call(
                api_client,
                "GET",
                PODS.collection(namespace),
                what="list pods",
                query=[("labelSelector", selector)],
            )
            or {}
        )
        pods = [p for p in found.get("items") or [] if not (p.get("metadata") or {}).get("deletionTimestamp")]
        if not all(_pod_settled(p, warned) for p in pods):
            return False
        if len(pods) < spec.get("replicas", 1):
            name = doc["metadata"]["name"]
            deployment = call(
                api_client,
                "GET",
                DEPLOYMENTS.item(name, namespace),
                what=f"read Deployment {name}",
                missing_ok=True,
            )
            if not _replicas_refused(deployment or {}):
                return False
    return True


def _wait(condition: Callable[[], bool], *, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@contextmanager
def scratch_namespace(api_client: ApiClient, *, slug: str) -> Iterator[str]:
    name = f"prove-{slug}-{uuid.uuid4().hex[:6]}"[:63]
    namespace_create(api_client, name=name, labels={PROVE_LABEL: "true"})
    try:
        yield name
    finally:
        namespace_delete(api_client, name=name)


def _broken_problems(challenge: LoadedChallenge, results: list[validators.ObjectiveResult]) -> list[str]:
    messages = {o.key: o.failure_message for o in challenge.spec.objectives}
    problems = []
    for result in results:
        if result.passed:
            problems.append(f"{result.key}: passes on the broken state")
        elif not result.message.startswith(messages[result.key].rstrip(".")):
            problems.append(f"{result.key}: fails without its stated failure message: {result.message!r}")
    return problems


def challenge_prove(
    *, api_client: ApiClient, challenge: LoadedChallenge, rounds: int = 2, settle_seconds: float = 60.0
) -> Proof:
    """Broken state → every objective fails with its message; solution → every objective passes."""
    proof = Proof(slug=challenge.slug)
    lint = challenge_lint(challenge=challenge)
    if lint:
        proof.error = "; ".join(lint)
        return proof
    try:
        for round_ in range(1, rounds + 1):
            with scratch_namespace(api_client, slug=challenge.slug) as namespace:
                challenge_apply(api_client=api_client, challenge=challenge, namespace=namespace)

                def settled(ns: str = namespace) -> bool:
                    return workloads_settled(api_client=api_client, challenge=challenge, namespace=ns)

                if not _wait(settled, timeout=settle_seconds):
                    proof.error = f"round {round_}: the broken state's workloads never settled"
                    return proof
                broken = challenge_check(api_client=api_client, challenge=challenge, namespace=namespace)
                proof.steps.append(ProofStep(round_, "broken", broken, _broken_problems(challenge, broken)))

                challenge_apply(
                    api_client=api_client, challenge=challenge, namespace=namespace, solution=True
                )
                solved: list[validators.ObjectiveResult] = []

                def all_pass(ns: str = namespace) -> bool:
                    nonlocal solved
                    solved = challenge_check(api_client=api_client, challenge=challenge, namespace=ns)
                    return all(r.passed for r in solved)

                _wait(all_pass, timeout=settle_seconds, interval=0.5)
                failing = [
                    f"{r.key}: still fails after the solution: {r.message}" for r in solved if not r.passed
                ]
                proof.steps.append(ProofStep(round_, "solved", solved, failing))
    except validators.ValidatorError as error:
        proof.error = str(error)
    return proof
