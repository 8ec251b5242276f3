"""readiness-wrong-port, liveness-kills-slow-start and probes-for-new-service are fair both ways.

The probes run in the simulation as a kubelet's probe workers would run them against the
application the challenge describes (its ports, its paths, its start time): a probe that asks
the wrong port is refused, a liveness probe kills a slow starter, a startup probe saves it.
Each challenge's scenarios run side by side (tests/live/scenarios.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api

from tests.fixtures.cluster import Cluster
from tests.live import scenarios
from tests.live.fairness import Obj, apply, as_learner, document, kubectl, load, refused, solve
from tests.live.scenarios import Outcome, Scenario

pytestmark = pytest.mark.live


def patch(deployment: str, container: str, **fields: Any) -> scenarios.Act:
    """A strategic merge patch of one container of the Deployment's pod template."""
    body = {"spec": {"template": {"spec": {"containers": [{"name": container, **fields}]}}}}
    return lambda api, c, ns: kubectl(c, ns, "patch", "deployment", deployment, "-p", json.dumps(body))


def json_patch(deployment: str, *ops: Obj) -> scenarios.Act:
    return lambda api, c, ns: kubectl(
        c, ns, "patch", "deployment", deployment, "--type=json", "-p", json.dumps(list(ops))
    )


def both(*acts: scenarios.Act) -> scenarios.Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        for one in acts:
            one(api, c, ns)

    return act


def http(path: str, port: int | str = "http", **fields: Any) -> Obj:
    return {"httpGet": {"path": path, "port": port}, **fields}


CONTAINER = "/spec/template/spec/containers/0"

# --- readiness-wrong-port ------------------------------------------------------------------------

CATALOG = "readiness-wrong-port"
ASKS = "readiness-asks-the-app"
SERVES = ("catalog-ready", "service-routes")

CATALOG_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(CATALOG), ns)),
    Scenario(
        "the port number, by JSON patch",
        json_patch(
            "catalog", {"op": "replace", "path": f"{CONTAINER}/readinessProbe/httpGet/port", "value": 8080}
        ),
    ),
    Scenario(
        "a whole new probe on the named port",
        patch("catalog", "web", readinessProbe=http("/ready", periodSeconds=2, failureThreshold=1)),
    ),
    Scenario(
        "the readiness probe removed",
        patch("catalog", "web", readinessProbe=None),
        key=ASKS,
        fragment="has no spec.template.spec.containers[name=web].readinessProbe.httpGet.path",
        passes=SERVES,
    ),
    Scenario(
        "an exec probe that always passes",
        json_patch(
            "catalog",
            {
                "op": "replace",
                "path": f"{CONTAINER}/readinessProbe",
                "value": {"exec": {"command": ["true"]}},
            },
        ),
        key=ASKS,
        fragment="readinessProbe.httpGet.path",
        passes=SERVES,
    ),
    Scenario(
        "a TCP probe on 8080",
        json_patch(
            "catalog",
            {"op": "replace", "path": f"{CONTAINER}/readinessProbe", "value": {"tcpSocket": {"port": 8080}}},
        ),
        key=ASKS,
        fragment="readinessProbe.httpGet.path",
        passes=SERVES,
    ),
    Scenario(
        "port 8081 declared on the container",
        json_patch(
            "catalog",
            {"op": "add", "path": f"{CONTAINER}/ports/-", "value": {"name": "admin", "containerPort": 8081}},
        ),
        key="catalog-ready",
        fragment="connect: connection refused",
    ),
    Scenario(
        "one replica with the probe fixed",
        both(
            patch("catalog", "web", readinessProbe=http("/ready")),
            lambda api, c, ns: kubectl(c, ns, "scale", "deployment", "catalog", "--replicas=1"),
        ),
        key=ASKS,
        fragment="spec.replicas = 1",
    ),
]


@pytest.fixture(scope="module")
def catalog(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, CATALOG, CATALOG_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in CATALOG_SCENARIOS])
def test_readiness_wrong_port_is_fair(catalog: dict[str, Outcome], label: str) -> None:
    catalog[label].verify()


def stand_in(name: str, labels: dict[str, str]) -> Obj:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "web", "image": "busybox:1.36", "command": ["sleep", "3600"]}]},
    }


def test_guards_keep_the_catalog_and_its_readiness_probe(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    scenarios.broken(api, CATALOG, namespace)
    learner = AppsV1Api(as_learner(cluster, namespace))
    removed = {"spec": {"template": {"spec": {"containers": [{"name": "web", "readinessProbe": None}]}}}}
    body = refused(lambda: learner.patch_namespaced_deployment("catalog", namespace, removed, dry_run="All"))
    assert "Keep the readiness probe" in body
    body = refused(
        lambda: learner.patch_namespaced_deployment_scale(
            "catalog", namespace, {"spec": {"replicas": 1}}, dry_run="All"
        )
    )
    assert "Keep two catalog replicas" in body
    body = refused(
        lambda: CoreV1Api(learner.api_client).create_namespaced_pod(
            namespace, stand_in("catalog-by-hand", {"app": "catalog"}), dry_run="All"
        )
    )
    assert "would only pretend to be the catalog" in body
    fixed = {
        "spec": {"template": {"spec": {"containers": [{"name": "web", "readinessProbe": http("/ready")}]}}}
    }
    learner.patch_namespaced_deployment("catalog", namespace, fixed)


# --- liveness-kills-slow-start -------------------------------------------------------------------

LEDGER = "liveness-kills-slow-start"
WATCHFUL = "liveness-stays-watchful"
STARTUP = http("/healthz", periodSeconds=5, failureThreshold=12)

LEDGER_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(LEDGER), ns)),
    Scenario(
        "a TCP startup probe",
        patch(
            "ledger",
            "api",
            startupProbe={"tcpSocket": {"port": 8080}, "periodSeconds": 10, "failureThreshold": 10},
        ),
    ),
    Scenario(
        "a delayed, quick startup probe by JSON patch",
        json_patch(
            "ledger",
            {
                "op": "add",
                "path": f"{CONTAINER}/startupProbe",
                "value": http("/healthz", initialDelaySeconds=15, periodSeconds=2, failureThreshold=10),
            },
        ),
    ),
    Scenario(
        "the liveness probe removed",
        patch("ledger", "api", livenessProbe=None),
        key=WATCHFUL,
        fragment="has no spec.template.spec.containers[name=api].livenessProbe.httpGet.path",
        passes=("ledger-runs",),
    ),
    Scenario(
        "a minute of initial delay",
        patch("ledger", "api", livenessProbe=http("/healthz", initialDelaySeconds=60, periodSeconds=5)),
        key=WATCHFUL,
        fragment="initialDelaySeconds = 60; expected at most 10",
        passes=("ledger-runs",),
    ),
    Scenario(
        "ten failures before a restart",
        patch(
            "ledger",
            "api",
            livenessProbe=http("/healthz", initialDelaySeconds=5, periodSeconds=5, failureThreshold=10),
        ),
        key=WATCHFUL,
        fragment="failureThreshold = 10; expected at most 3",
        passes=("ledger-runs",),
    ),
    Scenario(
        "a startup probe that gives up after 10 seconds",
        patch("ledger", "api", startupProbe=http("/healthz", periodSeconds=5, failureThreshold=2)),
        key="ledger-runs",
        fragment="exited with code 137",
        passes=(WATCHFUL,),
    ),
    Scenario(
        "an exec liveness probe that always passes",
        json_patch(
            "ledger",
            {
                "op": "replace",
                "path": f"{CONTAINER}/livenessProbe",
                "value": {"exec": {"command": ["true"]}, "periodSeconds": 5, "failureThreshold": 3},
            },
        ),
        key=WATCHFUL,
        fragment="livenessProbe.httpGet.path",
        passes=("ledger-runs",),
    ),
]


@pytest.fixture(scope="module")
def ledger(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, LEDGER, LEDGER_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in LEDGER_SCENARIOS])
def test_liveness_kills_slow_start_is_fair(ledger: dict[str, Outcome], label: str) -> None:
    ledger[label].verify()


def test_guards_keep_the_ledgers_liveness_probe_and_single_replica(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    scenarios.broken(api, LEDGER, namespace)
    learner = AppsV1Api(as_learner(cluster, namespace))
    removed = {"spec": {"template": {"spec": {"containers": [{"name": "api", "livenessProbe": None}]}}}}
    body = refused(lambda: learner.patch_namespaced_deployment("ledger", namespace, removed, dry_run="All"))
    assert "Keep the liveness probe" in body
    body = refused(
        lambda: learner.patch_namespaced_deployment(
            "ledger", namespace, {"spec": {"replicas": 2}}, dry_run="All"
        )
    )
    assert "keep one replica" in body
    sleepy = {"spec": {"template": {"spec": {"containers": [{"name": "api", "args": ["sleep 3600"]}]}}}}
    body = refused(lambda: learner.patch_namespaced_deployment("ledger", namespace, sleepy, dry_run="All"))
    assert "give it the time it needs" in body
    fixed = {"spec": {"template": {"spec": {"containers": [{"name": "api", "startupProbe": STARTUP}]}}}}
    learner.patch_namespaced_deployment("ledger", namespace, fixed)


# --- probes-for-new-service ----------------------------------------------------------------------

QUOTES = "probes-for-new-service"
RUNNING = ("released", "service-routes")


def quotes(**container: Any) -> Obj:
    """The reference Deployment, with its container's fields changed (None removes one)."""
    deployment = document(load(QUOTES), "solution", "Deployment", "quotes")
    (api_container,) = deployment["spec"]["template"]["spec"]["containers"]
    changed = {k: v for k, v in {**api_container, **container}.items() if v is not None}
    deployment["spec"]["template"]["spec"]["containers"] = [changed]
    return deployment


def release(*, replicas: int = 2) -> scenarios.Act:
    return lambda api, c, ns: kubectl(c, ns, "scale", "deployment", "quotes", f"--replicas={replicas}")


QUOTES_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(QUOTES), ns)),
    Scenario(
        "numeric ports by patch, then kubectl scale",
        both(
            patch(
                "quotes",
                "api",
                startupProbe=http("/healthz", 8080, periodSeconds=5, failureThreshold=12),
                livenessProbe=http("/healthz", 8080, periodSeconds=10, failureThreshold=3),
                readinessProbe=http("/ready", 8080, periodSeconds=5),
            ),
            release(),
        ),
    ),
    Scenario(
        "probes with fields the rule leaves open",
        lambda api, c, ns: apply(
            api,
            ns,
            quotes(
                startupProbe=http("/healthz", periodSeconds=5, failureThreshold=12, timeoutSeconds=2),
                livenessProbe=http("/healthz", periodSeconds=10, failureThreshold=3, timeoutSeconds=2),
                readinessProbe=http("/ready", periodSeconds=5, successThreshold=2, failureThreshold=2),
            ),
        ),
    ),
    Scenario(
        "released without probes",
        release(),
        key="startup-probe",
        fragment="has no spec.template.spec.containers[name=api].startupProbe.httpGet.path",
        passes=RUNNING,
    ),
    Scenario(
        "readiness on /healthz",
        lambda api, c, ns: apply(api, ns, quotes(readinessProbe=http("/healthz", periodSeconds=5))),
        key="readiness-probe",
        fragment="readinessProbe.httpGet.path = /healthz; expected /ready",
        passes=RUNNING,
    ),
    Scenario(
        "a startup probe that allows 10 seconds",
        lambda api, c, ns: apply(
            api, ns, quotes(startupProbe=http("/healthz", periodSeconds=5, failureThreshold=2))
        ),
        key="released",
        fragment="exited with code 137",
    ),
    Scenario(
        "a liveness delay instead of a startup probe",
        lambda api, c, ns: apply(
            api,
            ns,
            quotes(
                startupProbe=None, livenessProbe=http("/healthz", initialDelaySeconds=30, periodSeconds=10)
            ),
        ),
        key="startup-probe",
        fragment="has no spec.template.spec.containers[name=api].startupProbe",
        passes=RUNNING,
    ),
    Scenario(
        "one replica",
        both(lambda api, c, ns: apply(api, ns, quotes()), release(replicas=1)),
        key="released",
        fragment="has 1 pod; the check expects at least 2",
    ),
]


@pytest.fixture(scope="module")
def quotes_outcomes(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, QUOTES, QUOTES_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in QUOTES_SCENARIOS])
def test_probes_for_new_service_is_fair(quotes_outcomes: dict[str, Outcome], label: str) -> None:
    quotes_outcomes[label].verify()


def test_guards_keep_the_quotes_image_and_command(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    scenarios.broken(api, QUOTES, namespace)
    learner = AppsV1Api(as_learner(cluster, namespace))
    other = {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:1.27-alpine"}]}}}}
    body = refused(lambda: learner.patch_namespaced_deployment("quotes", namespace, other, dry_run="All"))
    assert "add the probes around them" in body
    body = refused(lambda: learner.delete_namespaced_deployment("quotes", namespace, dry_run="All"))
    assert "instead of deleting it" in body
    learner.patch_namespaced_deployment("quotes", namespace, {"spec": {"replicas": 2}})
