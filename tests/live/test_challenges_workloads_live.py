"""image-tag-typo, rollout-undo, missing-secret, pvc-never-binds and oom-killed are fair both ways.

Each challenge's scenarios run side by side (tests/live/scenarios.py): the reference solution and
other honest fixes pass every objective; the tempting shortcuts fail the objective that catches
them, saying what is wrong. Shortcuts the guards refuse the learner (deleting a Deployment,
removing a limit) are applied with the platform's credentials: the check must catch them itself.
The untouched broken state is a scenario too, so what its failures say is asserted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.cluster import Cluster
from tests.live import scenarios
from tests.live.fairness import Obj, apply, document, kubectl, load
from tests.live.scenarios import (
    UNTOUCHED,
    Outcome,
    Scenario,
    assert_messages,
    nothing,
    run,
    solution,
    steps,
    verdicts,
)

pytestmark = pytest.mark.live

CONTAINER = "/spec/template/spec/containers/0"


def json_patch(kind: str, name: str, *ops: Obj) -> scenarios.Act:
    return run("patch", kind, name, "--type=json", "-p", json.dumps(list(ops)))


def applied(*documents: Obj) -> scenarios.Act:
    return lambda api, c, ns: apply(api, ns, *documents)


# --- image-tag-typo ------------------------------------------------------------------------------

CATALOG = "image-tag-typo"
TICKET = "nginx:1.27.3-alpine"

CATALOG_SCENARIOS = [
    Scenario(
        UNTOUCHED,
        nothing,
        key="catalog-web-running",
        fragment="cannot pull its image nginx:1.27.3-apline",
    ),
    Scenario("the reference solution", solution(CATALOG)),
    Scenario("kubectl set image", run("set", "image", "deployment/catalog-web", f"web={TICKET}")),
    Scenario(
        "the image by JSON patch",
        json_patch(
            "deployment", "catalog-web", {"op": "replace", "path": f"{CONTAINER}/image", "value": TICKET}
        ),
    ),
    Scenario(
        "another nginx release that exists",
        run("set", "image", "deployment/catalog-web", "web=nginx:1.27-alpine"),
        key="catalog-web-image",
        fragment="image = nginx:1.27-alpine, which is not what the check expects",
        passes=("catalog-web-running",),
    ),
    Scenario(
        "the image fixed, one replica",
        steps(
            run("set", "image", "deployment/catalog-web", f"web={TICKET}"),
            run("scale", "deployment/catalog-web", "--replicas=1"),
        ),
        key="catalog-web-running",
        fragment="has 1 pod; the check expects at least 3",
    ),
    Scenario(
        "the Deployment deleted",
        run("delete", "deployment", "catalog-web"),
        key="catalog-web-running",
        fragment="There is no Deployment catalog-web",
    ),
]


@pytest.fixture(scope="module")
def catalog(cluster: Cluster) -> dict[str, Outcome]:
    return verdicts(cluster, CATALOG, CATALOG_SCENARIOS)


@pytest.mark.parametrize("label", [s.label for s in CATALOG_SCENARIOS])
def test_image_tag_typo_is_fair(catalog: dict[str, Outcome], label: str) -> None:
    catalog[label].verify()


def test_image_tag_typo_broken_state_says_what_is_wrong(catalog: dict[str, Outcome]) -> None:
    assert_messages(
        catalog[UNTOUCHED],
        {
            "catalog-web-running": "cannot pull its image nginx:1.27.3-apline (",
            # The check keeps the ticket's tag to itself: reading it is the learner's part.
            "catalog-web-image": "image = nginx:1.27.3-apline, which is not what the check expects",
        },
    )
    # The kubelet alternates the two reasons (a pull fails, then it backs off): either is the truth,
    # and the learner reads whichever the pod showed when Check ran.
    running = catalog[UNTOUCHED].results["catalog-web-running"].message
    assert "(ImagePullBackOff" in running or "(ErrImagePull" in running, running
    assert TICKET not in catalog[UNTOUCHED].results["catalog-web-image"].message


# --- rollout-undo --------------------------------------------------------------------------------

LEDGER = "rollout-undo"


def recreated(api: Any, c: Cluster, ns: str) -> None:
    """Deleted with its ReplicaSets, then made anew from the good manifest: revision 1 again."""
    kubectl(c, ns, "delete", "deployment", "ledger-api", "--cascade=foreground", "--wait=true")
    apply(api, ns, document(load(LEDGER), "solution", "Deployment", "ledger-api"))


LEDGER_SCENARIOS = [
    Scenario(UNTOUCHED, nothing, key="ledger-api-healthy", fragment="keeps crashing (CrashLoopBackOff"),
    Scenario("the reference solution", solution(LEDGER)),
    Scenario("kubectl rollout undo", run("rollout", "undo", "deployment/ledger-api")),
    Scenario(
        "kubectl rollout undo --to-revision=1",
        run("rollout", "undo", "deployment/ledger-api", "--to-revision=1"),
    ),
    Scenario(
        "the previous image set by hand",
        run("set", "image", "deployment/ledger-api", "api=python:3.11-alpine"),
    ),
    Scenario(
        "the Deployment deleted and created anew",
        recreated,
        key="history-kept",
        fragment='deployment.kubernetes.io/revision"] = 1',
        passes=("ledger-api-healthy", "previous-release"),
    ),
    Scenario(
        "another image that still has distutils",
        run("set", "image", "deployment/ledger-api", "api=python:3.11"),
        key="previous-release",
        fragment="image = python:3.11, which is not what the check expects",
        passes=("ledger-api-healthy", "history-kept"),
    ),
    Scenario(
        "fixed forward: the distutils import dropped",
        json_patch(
            "deployment",
            "ledger-api",
            {
                "op": "replace",
                "path": f"{CONTAINER}/args/0",
                "value": "import http.server\nprint('ledger-api listening on :8080', flush=True)\n",
            },
        ),
        key="previous-release",
        fragment="image = python:3.12-alpine, which is not what the check expects",
    ),
]


@pytest.fixture(scope="module")
def ledger(cluster: Cluster) -> dict[str, Outcome]:
    return verdicts(cluster, LEDGER, LEDGER_SCENARIOS)


@pytest.mark.parametrize("label", [s.label for s in LEDGER_SCENARIOS])
def test_rollout_undo_is_fair(ledger: dict[str, Outcome], label: str) -> None:
    ledger[label].verify()


def test_rollout_undo_broken_state_says_what_is_wrong(ledger: dict[str, Outcome]) -> None:
    assert_messages(
        ledger[UNTOUCHED],
        {
            "previous-release": "image = python:3.12-alpine, which is not what the check expects",
            "history-kept": 'deployment.kubernetes.io/revision"] = 2',
        },
    )


# --- missing-secret ------------------------------------------------------------------------------

NOTIFIER = "missing-secret"
VALUES = {"username": "notifier@shop.test", "password": "Gr4nite-Lantern-58", "api-token": "ntf_9c41d7e2b05a"}


def credentials(**values: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "notifier-credentials"},
        "type": "Opaque",
        "stringData": values,
    }


def create_secret(**values: str) -> scenarios.Act:
    literals = [f"--from-literal={k}={v}" for k, v in values.items()]
    return run("create", "secret", "generic", "notifier-credentials", *literals)


NOTIFIER_SCENARIOS = [
    Scenario(
        UNTOUCHED, nothing, key="secret-built", fragment="There is no Secret named notifier-credentials"
    ),
    Scenario("the reference solution", solution(NOTIFIER)),
    Scenario("kubectl create secret generic", create_secret(**VALUES)),
    Scenario(
        "a Secret with a fourth key, then a restart",
        steps(
            applied(credentials(**VALUES, **{"smtp-host": "mail.shop.test"})),
            run("rollout", "restart", "deployment/notifier"),
        ),
    ),
    Scenario(
        "the password with a trailing newline",
        applied(credentials(**{**VALUES, "password": VALUES["password"] + "\n"})),
        key="secret-built",
        fragment="The value of password in Secret notifier-credentials ends with a newline",
        passes=("notifier-running", "notifier-started"),
    ),
    Scenario(
        "a mistyped token",
        create_secret(**{**VALUES, "api-token": "ntf_9c41d7e2b05"}),
        key="secret-built",
        fragment="The value of api-token in Secret notifier-credentials is not the value the check expects",
        passes=("notifier-running", "notifier-started"),
    ),
    Scenario(
        "the token left out",
        create_secret(username=VALUES["username"], password=VALUES["password"]),
        key="notifier-running",
        fragment="CreateContainerConfigError",
    ),
]


@pytest.fixture(scope="module")
def notifier(cluster: Cluster) -> dict[str, Outcome]:
    return verdicts(cluster, NOTIFIER, NOTIFIER_SCENARIOS)


@pytest.mark.parametrize("label", [s.label for s in NOTIFIER_SCENARIOS])
def test_missing_secret_is_fair(notifier: dict[str, Outcome], label: str) -> None:
    notifier[label].verify()


def test_missing_secret_broken_state_says_what_is_wrong(notifier: dict[str, Outcome]) -> None:
    assert_messages(
        notifier[UNTOUCHED],
        {"notifier-running": "notifier-credentials", "notifier-started": "notifier"},
    )


def test_missing_secret_token_left_out_names_the_key(notifier: dict[str, Outcome]) -> None:
    results = notifier["the token left out"].results
    assert "Secret notifier-credentials has no key api-token (it holds password, username)" in (
        results["secret-built"].message
    )


# --- pvc-never-binds -----------------------------------------------------------------------------

CACHE = "pvc-never-binds"


def claim(**spec: Any) -> Obj:
    base: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "sessions-data", "labels": {"app": "sessions-cache"}},
        "spec": {k: v for k, v in {**base, **spec}.items() if v is not None},
    }


def reclaimed(body: Obj) -> scenarios.Act:
    """The claim deleted (its class cannot change) and created again under the same name."""

    def act(api: Any, c: Cluster, ns: str) -> None:
        kubectl(c, ns, "delete", "pvc", "sessions-data", "--wait=true", "--timeout=30s")
        apply(api, ns, body)

    return act


EMPTY_DIR = {
    "op": "replace",
    "path": "/spec/template/spec/volumes/0",
    "value": {"name": "data", "emptyDir": {}},
}

CACHE_SCENARIOS = [
    Scenario(
        UNTOUCHED,
        nothing,
        key="claim-as-needed",
        fragment="spec.storageClassName = premium-ssd; expected standard",
    ),
    Scenario("the reference solution", solution(CACHE)),
    Scenario("a claim that names no class (the default)", reclaimed(claim())),
    Scenario(
        "a bigger claim of the standard class",
        reclaimed(claim(storageClassName="standard", resources={"requests": {"storage": "5Gi"}})),
    ),
    Scenario(
        "a claim of 1Gi",
        reclaimed(claim(storageClassName="standard", resources={"requests": {"storage": "1Gi"}})),
        key="claim-as-needed",
        fragment="resources.requests.storage = 1Gi; expected at least 2Gi",
        passes=("cache-running", "claim-bound"),
    ),
    Scenario(
        "an emptyDir instead of the claim",
        json_patch("deployment", "sessions-cache", EMPTY_DIR),
        key="claim-bound",
        fragment="PersistentVolumeClaim sessions-data has status.phase = Pending; the check expects == Bound",
        passes=("cache-running",),
    ),
    Scenario(
        "the claim fixed, the cache deleted",
        # The cache first: a pod of it still waiting could otherwise consume the new claim.
        steps(
            run("delete", "deployment", "sessions-cache", "--cascade=foreground"),
            reclaimed(claim(storageClassName="standard")),
        ),
        key="cache-running",
        fragment="There is no Deployment sessions-cache",
    ),
]


@pytest.fixture(scope="module")
def cache(cluster: Cluster) -> dict[str, Outcome]:
    return verdicts(cluster, CACHE, CACHE_SCENARIOS)


@pytest.mark.parametrize("label", [s.label for s in CACHE_SCENARIOS])
def test_pvc_never_binds_is_fair(cache: dict[str, Outcome], label: str) -> None:
    cache[label].verify()


def test_pvc_never_binds_broken_state_says_what_is_wrong(cache: dict[str, Outcome]) -> None:
    assert_messages(
        cache[UNTOUCHED],
        {"cache-running": "unbound", "claim-bound": "status.phase = Pending"},
    )


def test_pvc_never_binds_a_claim_without_a_consumer_stays_unbound(cache: dict[str, Outcome]) -> None:
    # The class binds a claim on the node of its first pod: with the cache gone, nothing does.
    results = cache["the claim fixed, the cache deleted"].results
    assert not results["claim-bound"].passed, results["claim-bound"].message


# --- oom-killed ----------------------------------------------------------------------------------

THUMBNAILER = "oom-killed"
LIMIT = f"{CONTAINER}/resources/limits/memory"


def limits(memory: str) -> scenarios.Act:
    return run("set", "resources", "deployment/thumbnailer", "-c", "resizer", f"--limits=memory={memory}")


THUMBNAILER_SCENARIOS = [
    Scenario(UNTOUCHED, nothing, key="thumbnailer-healthy", fragment="OOMKilled"),
    Scenario("the reference solution", solution(THUMBNAILER)),
    Scenario("kubectl set resources to 700Mi", limits("700Mi")),
    Scenario(
        "the namespace's maximum, with a request to match the peak",
        run(
            "set",
            "resources",
            "deployment/thumbnailer",
            "-c",
            "resizer",
            "--limits=memory=1Gi",
            "--requests=memory=640Mi",
        ),
    ),
    Scenario(
        "a limit of just the cache",
        limits("600Mi"),
        # The rollout stalls on the new pod's kill, so the old pods stay and are named first.
        key="thumbnailer-healthy",
        fragment="OOMKilled",
    ),
    Scenario(
        "more than the namespace allows",
        limits("2Gi"),
        key="memory-limit-fits",
        fragment="limits.memory = 2Gi; expected at most 1Gi",
    ),
    Scenario(
        "the memory limit removed",
        json_patch("deployment", "thumbnailer", {"op": "remove", "path": LIMIT}),
        key="memory-limit-fits",
        fragment="has no spec.template.spec.containers[name=resizer].resources.limits.memory",
        passes=("thumbnailer-healthy",),
    ),
    Scenario(
        "scaled to zero",
        run("scale", "deployment/thumbnailer", "--replicas=0"),
        key="thumbnailer-healthy",
        fragment="has no pods",
    ),
]


@pytest.fixture(scope="module")
def thumbnailer(cluster: Cluster) -> dict[str, Outcome]:
    return verdicts(cluster, THUMBNAILER, THUMBNAILER_SCENARIOS)


@pytest.mark.parametrize("label", [s.label for s in THUMBNAILER_SCENARIOS])
def test_oom_killed_is_fair(thumbnailer: dict[str, Outcome], label: str) -> None:
    thumbnailer[label].verify()


def test_oom_killed_broken_state_says_what_is_wrong(thumbnailer: dict[str, Outcome]) -> None:
    assert_messages(
        thumbnailer[UNTOUCHED],
        {"memory-limit-fits": "limits.memory = 256Mi; expected at least 640Mi"},
    )
