"""ingress-wrong-backend and dns-egress-blocked are fair both ways, against a real API server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, NetworkingV1Api

from tests.live.fairness import (
    Obj,
    apply,
    as_learner,
    assert_fails,
    assert_passes,
    broken,
    document,
    kubectl,
    load,
    refused,
    solve,
)

pytestmark = pytest.mark.live

Fix = Callable[[ApiClient, Any, str], object]  # what a fix returns (kubectl's output) is not used

# --- ingress-wrong-backend -----------------------------------------------------------------------

SHOP = "ingress-wrong-backend"


def backend(service: str, port: int | str) -> Obj:
    ref = {"number": port} if isinstance(port, int) else {"name": port}
    return {"service": {"name": service, "port": ref}}


def shop(*paths: tuple[str, str, str, int | str], name: str = "shop", **spec: Any) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "shop.example.test",
                    "http": {
                        "paths": [
                            {"path": path, "pathType": kind, "backend": backend(service, port)}
                            for path, kind, service, port in paths
                        ]
                    },
                }
            ],
            **spec,
        },
    }


API = ("/api", "Prefix", "api", 8080)
STOREFRONT = ("/", "Prefix", "storefront", 80)

SHOP_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(SHOP), ns)),
    (
        "a JSON patch, with the api's port by name",
        lambda api, c, ns: kubectl(
            c,
            ns,
            "patch",
            "ingress",
            "shop",
            "--type=json",
            "-p",
            '[{"op":"replace","path":"/spec/rules/0/http/paths/0/backend/service/port","value":{"name":"http"}},'
            '{"op":"replace","path":"/spec/rules/0/http/paths/1/backend/service/name","value":"storefront"}]',
        ),
    ),
    (
        "ImplementationSpecific paths in another order",
        lambda api, c, ns: apply(
            api,
            ns,
            shop(
                ("/", "ImplementationSpecific", "storefront", "http"),
                ("/api", "ImplementationSpecific", "api", 8080),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("label", "fix"), SHOP_HONEST, ids=[h[0] for h in SHOP_HONEST])
def test_ingress_wrong_backend_accepts_honest_fixes(
    cluster: Any, namespace: str, label: str, fix: Fix
) -> None:
    api = cluster.api_client()
    challenge = broken(api, SHOP, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def revive_legacy(api: ApiClient, c: Any, ns: str) -> None:
    CoreV1Api(api).patch_namespaced_service("web-legacy", ns, {"spec": {"selector": {"app": "storefront"}}})


def api_on_port_80(api: ApiClient, c: Any, ns: str) -> None:
    move = '[{"op":"replace","path":"/spec/ports/0/port","value":80}]'
    kubectl(c, ns, "patch", "service", "api", "--type=json", "-p", move)
    apply(api, ns, shop(("/api", "Prefix", "api", 80), STOREFRONT))


SHOP_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    ("reviving web-legacy with the storefront's pods", revive_legacy, "storefront-answers", "web-legacy"),
    ("moving the api Service to port 80", api_on_port_80, "api-answers", "not to port 8080"),
    (
        "dropping the /api path",
        lambda api, c, ns: apply(api, ns, shop(STOREFRONT)),
        "api-answers",
        "to Service storefront, not api",
    ),
    (
        "an Exact /api path",
        lambda api, c, ns: apply(api, ns, shop(("/api", "Exact", "api", 8080), STOREFRONT)),
        "api-answers",
        "/api/orders to Service storefront",
    ),
    (
        "everything to the api",
        lambda api, c, ns: apply(api, ns, shop(("/", "Prefix", "api", 8080))),
        "storefront-answers",
        "to Service api, not storefront",
    ),
    (
        "no ingress class",
        lambda api, c, ns: kubectl(
            c,
            ns,
            "patch",
            "ingress",
            "shop",
            "--type=json",
            "-p",
            '[{"op":"remove","path":"/spec/ingressClassName"}]',
        ),
        "storefront-answers",
        "asks for class (none)",
    ),
    (
        "a second Ingress beside the broken one",
        lambda api, c, ns: apply(api, ns, shop(API, STOREFRONT, name="shop-fixed")),
        "storefront-answers",
        "web-legacy",
    ),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), SHOP_SHORTCUTS, ids=[s[0] for s in SHOP_SHORTCUTS]
)
def test_ingress_wrong_backend_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, SHOP, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_guards_keep_the_shop_services_and_the_retired_front_end(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, SHOP, namespace)
    learner = as_learner(cluster, namespace)
    core, apps = CoreV1Api(learner), AppsV1Api(learner)
    body = refused(
        lambda: core.patch_namespaced_service(
            "web-legacy", namespace, {"spec": {"selector": {"app": "storefront"}}}, dry_run="All"
        )
    )
    assert "retired front end" in body
    body = refused(
        lambda: core.patch_namespaced_service(
            "api",
            namespace,
            {"spec": {"ports": [{"port": 8080, "targetPort": 9090}]}},
            dry_run="All",
        )
    )
    assert "on its current ports" in body
    body = refused(
        lambda: apps.patch_namespaced_deployment_scale(
            "web-legacy", namespace, {"spec": {"replicas": 1}}, dry_run="All"
        )
    )
    assert "stays at zero replicas" in body
    # Scaling the storefront is the learner's business, and so is the Ingress.
    apps.patch_namespaced_deployment_scale("storefront", namespace, {"spec": {"replicas": 3}}, dry_run="All")
    NetworkingV1Api(learner).patch_namespaced_ingress(
        "shop", namespace, document(load(SHOP), "solution", "Ingress", "shop")
    )


# --- dns-egress-blocked --------------------------------------------------------------------------

DNS = "dns-egress-blocked"
KUBE_SYSTEM = {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
KUBE_DNS = {"matchLabels": {"k8s-app": "kube-dns"}}
PORT_53 = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def egress(name: str, pods: Obj, *rules: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name},
        "spec": {"podSelector": pods, "policyTypes": ["Egress"], "egress": list(rules)},
    }


def to(*peers: Obj, ports: list[Obj] | None = None) -> Obj:
    rule: Obj = {"to": list(peers)}
    if ports is not None:
        rule["ports"] = ports
    return rule


CLUSTER_DNS = {"namespaceSelector": KUBE_SYSTEM, "podSelector": KUBE_DNS}
ORDERS = {"matchLabels": {"app": "orders"}}

DNS_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(DNS), ns)),
    (
        "DNS for the orders pods alone, one rule per protocol",
        lambda api, c, ns: apply(
            api,
            ns,
            egress(
                "orders-dns",
                ORDERS,
                to(CLUSTER_DNS, ports=[{"protocol": "UDP", "port": 53}]),
                to(CLUSTER_DNS, ports=[{"protocol": "TCP", "port": 53}]),
            ),
        ),
    ),
    (
        "a DNS exception inside default-deny-egress",
        lambda api, c, ns: apply(api, ns, egress("default-deny-egress", {}, to(CLUSTER_DNS, ports=PORT_53))),
    ),
]


@pytest.mark.parametrize(("label", "fix"), DNS_HONEST, ids=[h[0] for h in DNS_HONEST])
def test_dns_egress_blocked_accepts_honest_fixes(cluster: Any, namespace: str, label: str, fix: Fix) -> None:
    api = cluster.api_client()
    challenge = broken(api, DNS, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def delete_default_deny(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, egress("orders-dns", ORDERS, to(CLUSTER_DNS, ports=PORT_53)))
    NetworkingV1Api(api).delete_namespaced_network_policy("default-deny-egress", ns)


DNS_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    (
        "deleting default-deny-egress",
        delete_default_deny,
        "egress-stays-closed",
        "Deployment orders-db to address 203.0.113.10 on TCP 443 is still allowed",
    ),
    (
        "all egress allowed",
        lambda api, c, ns: apply(api, ns, egress("allow-all", {}, {})),
        "egress-stays-closed",
        "on TCP 9153 is still allowed",
    ),
    (
        "port 53 to every namespace",
        lambda api, c, ns: apply(api, ns, egress("dns", {}, to({"namespaceSelector": {}}, ports=PORT_53))),
        "egress-stays-closed",
        "k8s-app=metrics-server in namespace kube-system on UDP 53 is still allowed",
    ),
    (
        "port 53 to all of kube-system",
        lambda api, c, ns: apply(
            api, ns, egress("dns", {}, to({"namespaceSelector": KUBE_SYSTEM}, ports=PORT_53))
        ),
        "egress-stays-closed",
        "metrics-server",
    ),
    (
        "port 53 anywhere",
        lambda api, c, ns: apply(api, ns, egress("dns", {}, {"ports": PORT_53})),
        "egress-stays-closed",
        "k8s-app=metrics-server in namespace kube-system on UDP 53 is still allowed",
    ),
    (
        "a resolver outside the cluster as well",
        lambda api, c, ns: apply(
            api,
            ns,
            egress(
                "dns",
                {},
                to(CLUSTER_DNS, ports=PORT_53),
                to({"ipBlock": {"cidr": "203.0.113.0/24"}}, ports=PORT_53),
            ),
        ),
        "egress-stays-closed",
        "address 203.0.113.10 on UDP 53 is still allowed",
    ),
    (
        "every port of the DNS pods",
        lambda api, c, ns: apply(api, ns, egress("dns", {}, to(CLUSTER_DNS))),
        "egress-stays-closed",
        "on TCP 9153 is still allowed",
    ),
    (
        "UDP only",
        lambda api, c, ns: apply(
            api, ns, egress("dns", {}, to(CLUSTER_DNS, ports=[{"protocol": "UDP", "port": 53}]))
        ),
        "orders-resolves-names",
        "on TCP 53 is blocked",
    ),
    (
        "the kube-dns Service's address",
        lambda api, c, ns: apply(
            api, ns, egress("dns", {}, to({"ipBlock": {"cidr": "10.0.0.10/32"}}, ports=PORT_53))
        ),
        "orders-resolves-names",
        "on UDP 53 is blocked",
    ),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), DNS_SHORTCUTS, ids=[s[0] for s in DNS_SHORTCUTS]
)
def test_dns_egress_blocked_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, DNS, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_guards_keep_the_egress_policies_and_name_resolution(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, DNS, namespace)
    learner = as_learner(cluster, namespace)
    networking = NetworkingV1Api(learner)
    body = refused(
        lambda: networking.delete_namespaced_network_policy("default-deny-egress", namespace, dry_run="All")
    )
    assert "add what the orders service needs beside them" in body
    aliases = {
        "spec": {"template": {"spec": {"hostAliases": [{"ip": "10.0.0.42", "hostnames": ["orders-db"]}]}}}
    }
    body = refused(
        lambda: AppsV1Api(learner).patch_namespaced_deployment("orders", namespace, aliases, dry_run="All")
    )
    assert "through the cluster DNS" in body
    networking.create_namespaced_network_policy(
        namespace, document(load(DNS), "solution", "NetworkPolicy", "allow-dns")
    )
