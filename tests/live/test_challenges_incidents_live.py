"""checkout-is-down and friday-night-incident, the two three-fault incidents, are fair both ways.

Each objective stands for a symptom a user sees, so fixing two of three faults leaves the third
symptom failing; a shortcut fails the objective of the symptom it only hides. The scenarios of
each challenge run side by side (tests/live/scenarios.py); the guards are tested as the learner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from kubernetes.client import ApiClient, AppsV1Api, BatchV1Api, CoreV1Api, NetworkingV1Api

from tests.fixtures.cluster import Cluster
from tests.live import scenarios
from tests.live.fairness import Obj, apply, as_learner, document, kubectl, load, refused, solve
from tests.live.scenarios import Outcome, Scenario

pytestmark = pytest.mark.live


def run(*lines: list[str]) -> scenarios.Act:
    """kubectl commands, one after the other."""

    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        for line in lines:
            kubectl(c, ns, *line)

    return act


def then(*acts: scenarios.Act) -> scenarios.Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        for one in acts:
            one(api, c, ns)

    return act


# --- checkout-is-down ----------------------------------------------------------------------------

CHECKOUT = "checkout-is-down"
SERVICE_BY_NUMBER = ["patch", "service", "checkout", "-p", '{"spec":{"ports":[{"port":80,"targetPort":80}]}}']
PAYMENTS_IMAGE = ["set", "image", "deployment/payments", "payments=busybox:1.36"]
CART_KEY = [
    "patch",
    "deployment",
    "cart",
    "--type=json",
    "-p",
    json.dumps(
        [
            {
                "op": "replace",
                "path": "/spec/template/spec/containers/0/env/0/valueFrom/configMapKeyRef/key",
                "value": "redis_url",
            }
        ]
    ),
]
WRONG_ADDRESS = ["patch", "configmap", "cart-config", "-p", '{"data":{"redis-url":"redis://localhost:6379"}}']
CONFIG_KEY = ["patch", "configmap", "cart-config", "-p", '{"data":{"redis-url":"redis://cart-redis:6379/0"}}']


def solution_of(kind: str, name: str) -> scenarios.Act:
    body = document(load(CHECKOUT), "solution", kind, name)
    return lambda api, c, ns: apply(api, ns, body)


def checkout_selectorless(api: ApiClient, c: Cluster, ns: str) -> None:
    """A Service without selector, its EndpointSlice written by hand from today's pod IPs."""
    run(PAYMENTS_IMAGE, CART_KEY)(api, c, ns)
    pods = CoreV1Api(api).list_namespaced_pod(ns, label_selector="app=checkout-web").items
    ips = [p.status.pod_ip for p in pods if p.status.pod_ip]
    kubectl(c, ns, "delete", "service", "checkout")
    apply(
        api,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "checkout"},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 80}]},
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "checkout-by-hand", "labels": {"kubernetes.io/service-name": "checkout"}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
        },
    )


def stand_in_payments(api: ApiClient, c: Cluster, ns: str) -> None:
    template = document(load(CHECKOUT), "solution", "Deployment", "payments")["spec"]["template"]
    apply(
        api,
        ns,
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "payments-by-hand", **template["metadata"]}}
        | {"spec": template["spec"]},
    )


ALL_BUT_CART = ("checkout-page-loads", "payments-taken")
CHECKOUT_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(CHECKOUT), ns)),
    Scenario(
        "kubectl patch, set image, a ConfigMap key and a restart",
        run(SERVICE_BY_NUMBER, PAYMENTS_IMAGE, CONFIG_KEY, ["rollout", "restart", "deployment", "cart"]),
    ),
    Scenario(
        "another existing tag and the key read from the new name",
        then(
            solution_of("Service", "checkout"),
            run(["set", "image", "deployment/payments", "payments=busybox:1.37"], CART_KEY),
        ),
    ),
    Scenario(
        "two of the three faults fixed",
        run(SERVICE_BY_NUMBER, PAYMENTS_IMAGE),
        key="carts-kept",
        fragment="CrashLoopBackOff",
        passes=ALL_BUT_CART,
    ),
    Scenario(
        "the missing key given another address",
        run(SERVICE_BY_NUMBER, PAYMENTS_IMAGE, WRONG_ADDRESS, ["rollout", "restart", "deployment", "cart"]),
        key="carts-in-redis",
        fragment='has logged "connected to redis://cart-redis:6379/0"',
        passes=ALL_BUT_CART,
    ),
    Scenario(
        "a Service without selector and endpoints by hand",
        checkout_selectorless,
        key="checkout-page-loads",
        fragment="has no selector",
        passes=("payments-taken", "carts-kept", "carts-in-redis"),
    ),
    Scenario(
        "payments scaled to nothing",
        run(SERVICE_BY_NUMBER, CART_KEY, ["scale", "deployment", "payments", "--replicas=0"]),
        key="payments-taken",
        fragment="has no pods",
        passes=("checkout-page-loads", "carts-kept", "carts-in-redis"),
    ),
    Scenario(
        "a hand-made payments pod beside the broken Deployment",
        then(run(SERVICE_BY_NUMBER, CART_KEY), stand_in_payments),
        key="payments-taken",
        fragment="cannot pull its image busybox:1.63",
        passes=("checkout-page-loads", "carts-kept", "carts-in-redis"),
    ),
]


@pytest.fixture(scope="module")
def checkout(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, CHECKOUT, CHECKOUT_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in CHECKOUT_SCENARIOS])
def test_checkout_is_down_is_fair(checkout: dict[str, Outcome], label: str) -> None:
    checkout[label].verify()


def test_guards_keep_the_checkout_services_and_their_images(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    scenarios.broken(api, CHECKOUT, namespace)
    apps = AppsV1Api(as_learner(cluster, namespace))
    nginx = {"name": "payments", "image": "nginx:1.27-alpine"}
    other = {"spec": {"template": {"spec": {"containers": [nginx]}}}}
    body = refused(lambda: apps.patch_namespaced_deployment("payments", namespace, other, dry_run="All"))
    assert "may change an image's tag, not the image itself" in body
    body = refused(lambda: apps.delete_namespaced_deployment("cart", namespace, dry_run="All"))
    assert "instead of deleting it" in body
    one = {"spec": {"replicas": 1}}
    body = refused(lambda: apps.patch_namespaced_deployment_scale("payments", namespace, one, dry_run="All"))
    assert "two replicas" in body
    pod = {
        "metadata": {"name": "cart-by-hand", "labels": {"app": "cart"}},
        "spec": {"containers": [{"name": "cart", "image": "busybox:1.36", "command": ["sleep", "3600"]}]},
    }
    body = refused(lambda: CoreV1Api(apps.api_client).create_namespaced_pod(namespace, pod, dry_run="All"))
    assert "would only pretend to be it" in body
    fixed = {"spec": {"template": {"spec": {"containers": [{"name": "payments", "image": "busybox:1.36"}]}}}}
    apps.patch_namespaced_deployment("payments", namespace, fixed)


# --- friday-night-incident -----------------------------------------------------------------------

FRIDAY = "friday-night-incident"
READINESS = [
    "patch",
    "deployment",
    "storefront",
    "--type=json",
    "-p",
    '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/path","value":"/ready"}]',
]
NO_LOADTEST = ["delete", "pod", "-l", "app=loadtest", "--wait=false"]
UNPROBED = {"spec": {"template": {"spec": {"containers": [{"name": "web", "readinessProbe": None}]}}}}
NO_READINESS = ["patch", "deployment", "storefront", "-p", json.dumps(UNPROBED)]
OPEN_POLICIES = ["delete", "networkpolicy", "default-deny-ingress", "inventory-from-storefront"]
EVERY_POD: list[Obj] = [{"podSelector": {}}]


def inventory_policy(name: str, peers: list[Obj]) -> scenarios.Act:
    body = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name},
        "spec": {
            "podSelector": {"matchLabels": {"app": "inventory"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": 9090}]}],
        },
    }
    return lambda api, c, ns: apply(api, ns, body)


FIXED = "inventory-from-storefront"
STOREFRONT = [{"podSelector": {"matchLabels": {"app": "storefront"}}}]
WEB_TIER = [{"podSelector": {"matchLabels": {"tier": "web"}}}]


def recreate_invoice_run(memory: str) -> scenarios.Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        job = document(load(FRIDAY), "manifests", "Job", "invoice-run")
        container = job["spec"]["template"]["spec"]["containers"][0]
        container["resources"] = {
            "requests": {"cpu": "100m", "memory": memory},
            "limits": {"cpu": "500m", "memory": memory},
        }
        kubectl(c, ns, "delete", "job", "invoice-run", "--wait=true")
        apply(api, ns, job)

    return act


def quota(api: ApiClient, c: Cluster, ns: str) -> None:
    body = document(load(FRIDAY), "manifests", "ResourceQuota", "team-quota")
    body["spec"]["hard"].update({"requests.memory": "4Gi", "limits.memory": "4Gi"})
    apply(api, ns, body)


REST = ("storefront-ready", "storefront-readiness", "storefront-sees-stock", "inventory-stays-private")
FRIDAY_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(FRIDAY), ns)),
    Scenario(
        "kubectl patch, a policy beside the old one, the load test stopped",
        then(run(READINESS, NO_LOADTEST), inventory_policy("storefront-to-inventory", WEB_TIER)),
    ),
    Scenario(
        "the old policy corrected, the load test deleted, the Job recreated",
        then(
            inventory_policy("inventory-from-storefront", STOREFRONT),
            run(
                READINESS,
                ["delete", "pod", "loadtest-1", "loadtest-2", "loadtest-3", "loadtest-4", "loadtest-5"],
            ),
            recreate_invoice_run("640Mi"),
        ),
    ),
    Scenario(
        "inventory open to every pod",
        then(run(READINESS, NO_LOADTEST), inventory_policy("inventory-from-storefront", EVERY_POD)),
        key="inventory-stays-private",
        fragment="Deployment reports",
        passes=("storefront-ready", "storefront-sees-stock", "invoices-sent", "budget-has-room"),
    ),
    Scenario(
        "a bigger budget instead of stopping the load test",
        then(run(READINESS), inventory_policy("inventory-from-storefront", STOREFRONT), quota),
        key="budget-has-room",
        fragment='hard["requests.memory"] = 4Gi',
        passes=(*REST, "invoices-sent"),
    ),
    Scenario(
        "an invoice run shrunk to fit beside the load test",
        then(run(READINESS), inventory_policy(FIXED, STOREFRONT), recreate_invoice_run("128Mi")),
        key="invoices-sent",
        fragment="OOMKilled",
        passes=REST,
    ),
    Scenario(
        "the readiness probe removed",
        then(
            run(NO_READINESS, NO_LOADTEST),
            inventory_policy("inventory-from-storefront", STOREFRONT),
        ),
        key="storefront-readiness",
        fragment="has no spec.template.spec.containers[name=web].readinessProbe.httpGet.path",
        passes=("storefront-ready", "storefront-sees-stock", "invoices-sent", "budget-has-room"),
    ),
    Scenario(
        "the inventory policy deleted along with default-deny",
        run(READINESS, NO_LOADTEST, OPEN_POLICIES),
        key="inventory-stays-private",
        fragment="Deployment reports",
        passes=("storefront-ready", "storefront-sees-stock", "invoices-sent"),
    ),
]


@pytest.fixture(scope="module")
def friday(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, FRIDAY, FRIDAY_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in FRIDAY_SCENARIOS])
def test_friday_night_incident_is_fair(friday: dict[str, Outcome], label: str) -> None:
    friday[label].verify()


def test_guards_keep_the_budget_the_policies_and_the_invoice_runs_memory(
    cluster: Cluster, namespace: str
) -> None:
    api = cluster.api_client()
    scenarios.broken(api, FRIDAY, namespace)
    learner = as_learner(
        cluster,
        namespace,
        rules=[{"apiGroups": [""], "resources": ["resourcequotas"], "verbs": ["update", "patch", "delete"]}],
    )
    bigger = {"spec": {"hard": {"requests.memory": "4Gi"}}}
    core = CoreV1Api(learner)
    body = refused(
        lambda: core.patch_namespaced_resource_quota("team-quota", namespace, bigger, dry_run="All")
    )
    assert "does not grow" in body
    body = refused(
        lambda: NetworkingV1Api(learner).delete_namespaced_network_policy(
            "default-deny-ingress", namespace, dry_run="All"
        )
    )
    assert "leave it in place" in body
    batch = BatchV1Api(learner)
    batch.delete_namespaced_job("invoice-run", namespace, propagation_policy="Background")
    small = document(load(FRIDAY), "manifests", "Job", "invoice-run")
    small["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = "128Mi"
    body = refused(lambda: batch.create_namespaced_job(namespace, small, dry_run="All"))
    assert "make room for it in team-quota" in body
    relabelled = {"spec": {"template": {"metadata": {"labels": {"tier": "frontend"}}}}}
    apps = AppsV1Api(learner)
    body = refused(
        lambda: apps.patch_namespaced_deployment("storefront", namespace, relabelled, dry_run="All")
    )
    assert "select these pods by their labels" in body
    core.delete_collection_namespaced_pod(namespace, label_selector="app=loadtest")
    batch.create_namespaced_job(namespace, document(load(FRIDAY), "manifests", "Job", "invoice-run"))
