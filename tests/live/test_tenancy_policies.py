"""The tenancy policies, tried as the learner against the real API server.

Each escape is refused with a message that says what to do instead; each honest thing a
challenge needs goes through; the platform itself and the cluster's controllers are never refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from challenges.backends.tenancy import tenancy_apply, tenancy_policies, tenancy_remove
from tests.fixtures.cluster import Cluster, eventually
from tests.live.tenant import Obj, Tenant, read, refusal, send, tenant_environment

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def tenant(cluster: Cluster) -> Iterator[Tenant]:
    # One environment for the module: every case below is a dry run or an object of its own name.
    with tenant_environment(cluster) as environment:
        yield environment


def meta(name: str, **fields: Any) -> Obj:
    return {"name": name, **fields}


def service(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name),
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}], **spec},
    }


def claim(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(name),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, **spec},
    }


def binding(name: str, *subjects: Obj, role: str = "learner") -> Obj:
    # The learner may bind only a Role whose rights they hold (RBAC's escalation check): theirs.
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta(name),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": list(subjects),
    }


def secret(name: str, kind: str, data: dict[str, str], **metadata: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(name, **metadata),
        "type": kind,
        "data": data,
    }


def configmap(name: str, **metadata: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name, **metadata), "data": {"a": "b"}}


def egress(name: str, *rules: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name),
        "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": list(rules)},
    }


KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
SA_TOKEN = "kubernetes.io/service-account-token"
NETPOL = ("networking.k8s.io/v1", "networkpolicies")
RBAC = "rbac.authorization.k8s.io/v1"

# (id, api version, plural, document, what the refusal must say)
REFUSED_CREATES: list[tuple[str, str, str, Obj, str]] = [
    (
        "a Service with externalIPs",
        "v1",
        "services",
        service("intercept", externalIPs=["192.0.2.10"]),
        "Remove externalIPs and reach the Service by its name or cluster IP",
    ),
    (
        "a claim naming a volume",
        "v1",
        "persistentvolumeclaims",
        claim("steal", volumeName="someone-elses-volume"),
        "Remove volumeName and ask for storage by storageClassName and size",
    ),
    (
        "a claim selecting volumes",
        "v1",
        "persistentvolumeclaims",
        claim("pick", selector={"matchLabels": {"owner": "someone-else"}}),
        "Remove the selector and ask for storage by storageClassName and size",
    ),
    (
        "a RoleBinding to system:authenticated",
        RBAC,
        "rolebindings",
        binding("everyone", {"kind": "Group", "name": "system:authenticated", "apiGroup": RBAC[:-3]}),
        "not Group system:authenticated: bind a ServiceAccount of this namespace",
    ),
    (
        "a RoleBinding to a user",
        RBAC,
        "rolebindings",
        binding("friend", {"kind": "User", "name": "mallory", "apiGroup": RBAC[:-3]}),
        "not User mallory: bind a ServiceAccount of this namespace",
    ),
    (
        "a RoleBinding to a ServiceAccount of another namespace",
        RBAC,
        "rolebindings",
        binding("neighbour", {"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"}),
        "not ServiceAccount default of kube-system: bind a ServiceAccount of this namespace",
    ),
    (
        "a ServiceAccount token Secret",
        "v1",
        "secrets",
        secret("forever", SA_TOKEN, {}, annotations={"kubernetes.io/service-account.name": "learner"}),
        "A pod gets a short-lived token of its ServiceAccount by itself",
    ),
    (
        "a finalizer nobody removes",
        "v1",
        "configmaps",
        configmap("stuck", finalizers=["example.com/never"]),
        "The finalizer example.com/never is not one this platform knows",
    ),
    (
        "a Deployment whose pods carry a finalizer",
        "apps/v1",
        "deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta("sticky"),
            "spec": {
                "selector": {"matchLabels": {"app": "sticky"}},
                "template": {
                    "metadata": {"labels": {"app": "sticky"}, "finalizers": ["example.com/never"]},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27-alpine"}]},
                },
            },
        },
        "Remove metadata.finalizers from the pod template",
    ),
    (
        "a CronJob whose pods carry a finalizer",
        "batch/v1",
        "cronjobs",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta("sticky"),
            "spec": {
                "schedule": "0 * * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "metadata": {"finalizers": ["example.com/never"]},
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [{"name": "job", "image": "busybox:1.36"}],
                            },
                        }
                    }
                },
            },
        },
        "Every pod of this CronJob would carry the finalizer example.com/never",
    ),
    (
        "an allow-all egress policy",
        *NETPOL,
        egress("allow-all", {}),
        "Give the rule a `to`",
    ),
    (
        "egress to any address on port 53",
        *NETPOL,
        egress("any-dns", {"ports": DNS_PORTS}),
        "Give the rule a `to`",
    ),
    (
        "egress to the cloud metadata address",
        *NETPOL,
        egress("metadata", {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}]}),
        "may not use ipBlock",
    ),
    (
        "egress to the IPv6 metadata address",
        *NETPOL,
        egress("metadata6", {"to": [{"ipBlock": {"cidr": "fd00:ec2::254/128"}}]}),
        "may not use ipBlock",
    ),
    (
        "egress to every namespace",
        *NETPOL,
        egress("everywhere", {"to": [{"namespaceSelector": {}}]}),
        "for DNS use namespaceSelector matchLabels kubernetes.io/metadata.name: kube-system",
    ),
    (
        "egress to DNS pods of any namespace",
        *NETPOL,
        egress(
            "lookalike-dns",
            {"to": [{"namespaceSelector": {}, "podSelector": KUBE_DNS["podSelector"]}], "ports": DNS_PORTS},
        ),
        "Egress from this namespace may go only to its own pods and to cluster DNS",
    ),
    (
        "egress to kube-system beyond DNS",
        *NETPOL,
        egress("kube-system-https", {"to": [KUBE_DNS], "ports": [{"protocol": "TCP", "port": 443}]}),
        "and ports 53 UDP and TCP only",
    ),
    (
        "the platform's label on an object of the learner's",
        "v1",
        "configmaps",
        configmap("disguised", labels={"breakfix.dev/protected": "true"}),
        "leave it off yours",
    ),
]


@pytest.mark.parametrize(
    ("label", "api_version", "plural", "document", "fragment"),
    REFUSED_CREATES,
    ids=[case[0] for case in REFUSED_CREATES],
)
def test_it_refuses_the_learner(
    tenant: Tenant, label: str, api_version: str, plural: str, document: Obj, fragment: str
) -> None:
    message = refusal(tenant.learner, "POST", tenant.path(api_version, plural), document)
    assert fragment in message, message
    # ...and the very same object from the platform is never refused by these policies.
    status, message = send(tenant.api, "POST", tenant.path(api_version, plural), document, dry_run=True)
    assert status == 201, message


PROTECTED: list[tuple[str, str, str, str]] = [
    ("the egress policy", *NETPOL, "breakfix-egress"),
    ("the learner's Role", RBAC, "roles", "learner"),
    ("the learner's RoleBinding", RBAC, "rolebindings", "learner"),
    ("the learner's ServiceAccount", "v1", "serviceaccounts", "learner"),
]


@pytest.mark.parametrize(
    ("label", "api_version", "plural", "name"), PROTECTED, ids=[case[0] for case in PROTECTED]
)
def test_the_learner_can_neither_change_nor_delete_the_platforms_objects(
    tenant: Tenant, label: str, api_version: str, plural: str, name: str
) -> None:
    path = tenant.path(api_version, plural, name)
    message = refusal(tenant.learner, "DELETE", path)
    assert "belongs to the platform" in message and "Leave it as it is" in message, message
    patch = {"metadata": {"labels": {"breakfix.dev/protected": None, "mine": "now"}}}
    message = refusal(tenant.learner, "PATCH", path, patch, content_type="application/merge-patch+json")
    assert "cannot be changed or deleted" in message, message


def test_the_learner_cannot_delete_the_egress_policy_with_a_collection_delete(tenant: Tenant) -> None:
    message = refusal(tenant.learner, "DELETE", tenant.path(*NETPOL))
    assert "cannot be changed or deleted" in message, message
    status, _ = send(tenant.learner, "DELETE", tenant.path(*NETPOL))
    assert status in (403, 422)
    assert send(tenant.api, "GET", tenant.path(*NETPOL, "breakfix-egress"))[0] == 200


def test_the_quota_and_limit_range_are_out_of_the_learners_reach(tenant: Tenant) -> None:
    for plural in ("resourcequotas", "limitranges"):
        assert send(tenant.learner, "GET", tenant.path("v1", plural, "breakfix"))[0] == 200
        assert send(tenant.learner, "DELETE", tenant.path("v1", plural, "breakfix"), dry_run=True)[0] == 403


ENDPOINTS = {
    "apiVersion": "v1",
    "kind": "Endpoints",
    "metadata": meta("anywhere"),
    "subsets": [{"addresses": [{"ip": "169.254.169.254"}], "ports": [{"port": 80}]}],
}
SLICE = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": meta("anywhere", labels={"kubernetes.io/service-name": "web"}),
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["169.254.169.254"]}],
    "ports": [{"port": 80}],
}
INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": meta("hijack"),
    "spec": {"rules": [{"host": "breakfix.example.org"}]},
}


def test_the_learner_reads_endpoints_but_cannot_write_them(tenant: Tenant) -> None:
    for api_version, plural, document in (
        ("v1", "endpoints", ENDPOINTS),
        ("discovery.k8s.io/v1", "endpointslices", SLICE),
    ):
        assert send(tenant.learner, "GET", tenant.path(api_version, plural))[0] == 200
        status, message = send(
            tenant.learner, "POST", tenant.path(api_version, plural), document, dry_run=True
        )
        assert status == 403 and "cannot create" in message, message


def ingress(name: str, spec: Obj, annotations: dict[str, str] | None = None) -> Obj:
    metadata = {**meta(name), **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


BACKEND = {"service": {"name": "web", "port": {"number": 80}}}
ROUTE = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": BACKEND}]}}


@pytest.mark.parametrize(
    ("label", "document", "fragment"),
    [
        ("a real domain", INGRESS, "names a host under .test"),
        ("a rule without a host", ingress("catch-all", {"rules": [ROUTE]}), "names a host under .test"),
        ("a default backend", ingress("default", {"defaultBackend": BACKEND}), "have no defaultBackend"),
        (
            "a TLS host outside .test",
            ingress(
                "tls",
                {
                    "tls": [{"hosts": ["breakfix.example.org"]}],
                    "rules": [{"host": "shop.example.test", **ROUTE}],
                },
            ),
            "TLS hosts",
        ),
        (
            "a controller snippet",
            ingress(
                "snippet",
                {"rules": [{"host": "shop.example.test", **ROUTE}]},
                {"nginx.ingress.kubernetes.io/configuration-snippet": "return 200;"},
            ),
            "no ingress-controller annotations",
        ),
    ],
)
def test_the_learner_may_write_ingresses_only_for_test_hosts(
    tenant: Tenant, label: str, document: Obj, fragment: str
) -> None:
    path = tenant.path("networking.k8s.io/v1", "ingresses")
    assert fragment in refusal(tenant.learner, "POST", path, document)
    honest = ingress(
        "shop",
        {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["shop.example.test"], "secretName": "shop-tls"}],
            "rules": [{"host": "shop.example.test", **ROUTE}],
        },
    )
    status, message = send(tenant.learner, "POST", path, honest, dry_run=True)
    assert status == 201, message


def test_what_a_challenge_needs_is_allowed(tenant: Tenant) -> None:
    learner, ns = tenant.learner, tenant.namespace
    reader = {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": meta("pod-reader"),
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("reporter")}
    cert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
    honest: list[tuple[str, str, Obj]] = [
        ("v1", "services", service("web")),
        ("v1", "persistentvolumeclaims", claim("data", storageClassName="standard")),
        ("v1", "serviceaccounts", account),
        (RBAC, "roles", reader),
        (
            RBAC,
            "rolebindings",
            binding("reporter-reads-pods", {"kind": "ServiceAccount", "name": "reporter"}),
        ),
        (
            RBAC,
            "rolebindings",
            binding("reporter-too", {"kind": "ServiceAccount", "name": "reporter", "namespace": ns}),
        ),
        ("v1", "secrets", secret("app-config", "Opaque", {"password": "aHVudGVyMg=="})),
        ("v1", "secrets", secret("app-tls", "kubernetes.io/tls", {"tls.crt": cert, "tls.key": cert})),
        (
            "v1",
            "secrets",
            secret("registry", "kubernetes.io/dockerconfigjson", {".dockerconfigjson": "eyJhdXRocyI6e319"}),
        ),
        ("v1", "configmaps", configmap("settings")),
        (*NETPOL, {**egress("deny-egress"), "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}),
        (*NETPOL, egress("allow-dns", {"to": [KUBE_DNS], "ports": DNS_PORTS})),
        (
            *NETPOL,
            egress(
                "frontend-to-backends",
                {"to": [{"podSelector": {"matchLabels": {"app": "catalog"}}}], "ports": [{"port": 8080}]},
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}],
                    "ports": [{"port": 8443}],
                },
            ),
        ),
        (
            *NETPOL,
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta("ingress-from-anywhere"),
                "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]},
            },
        ),
    ]
    for api_version, plural, document in honest:
        status, message = send(learner, "POST", tenant.path(api_version, plural), document)
        assert status == 201, (document["metadata"]["name"], message)

    # The claim got Kubernetes' own protection finalizer on the way in; changing it keeps that.
    path = tenant.path("v1", "persistentvolumeclaims", "data")
    status, message = send(
        learner,
        "PATCH",
        path,
        {"metadata": {"labels": {"tier": "db"}}},
        content_type="application/merge-patch+json",
    )
    assert status == 200, message


def test_a_finalizer_the_object_already_has_may_stay_or_go(tenant: Tenant) -> None:
    # Put there by the platform (a challenge's starting state, or a time before these policies).
    held = configmap("held", finalizers=["example.com/hold"])
    assert send(tenant.api, "POST", tenant.path("v1", "configmaps"), held)[0] == 201
    path = tenant.path("v1", "configmaps", "held")
    merge = "application/merge-patch+json"
    message = refusal(
        tenant.learner,
        "PATCH",
        path,
        {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}},
        content_type=merge,
    )
    assert "The finalizer example.com/more is not one this platform knows" in message, message
    assert send(tenant.learner, "PATCH", path, {"data": {"a": "c"}}, content_type=merge)[0] == 200
    assert (
        send(tenant.learner, "PATCH", path, {"metadata": {"finalizers": None}}, content_type=merge)[0] == 200
    )


def test_the_platform_and_the_controllers_are_never_refused(tenant: Tenant, cluster: Cluster) -> None:
    # A Service makes the API server create a cluster-scoped IPAddress: a policy matching
    # cluster-scoped requests without care would refuse it, and every Service in the cluster.
    for namespace in (tenant.namespace, "default"):
        path = f"/api/v1/namespaces/{namespace}/services"
        status, message = send(tenant.api, "POST", path, service(f"platform-{tenant.backend.prefix}"))
        assert status == 201, message
        send(tenant.api, "DELETE", f"{path}/platform-{tenant.backend.prefix}")
    # The controllers make ReplicaSets and pods for a learner's Deployment, and pods that name no
    # resources start under the quota (the limit range gives them cpu, memory and disk).
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta("web"),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27-alpine"}]},
            },
        },
    }
    status, message = send(tenant.learner, "POST", tenant.path("apps/v1", "deployments"), deployment)
    assert status == 201, message

    def ready() -> int | None:
        replicas = (read(tenant.api, tenant.path("apps/v1", "deployments", "web")).get("status") or {}).get(
            "readyReplicas"
        )
        return replicas if replicas == 2 else None

    eventually(ready, "the learner's Deployment to get 2 ready pods", timeout=60)
    pod = read(tenant.api, tenant.path("v1", "pods"))["items"][0]
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["requests"]["ephemeral-storage"] == "32Mi", resources
    assert resources["limits"]["ephemeral-storage"] == "256Mi", resources


def test_applying_the_policies_again_restores_a_changed_text_and_drops_a_retired_one(
    cluster: Cluster,
) -> None:
    prefix = f"bftu{secrets.token_hex(3)}"
    collection = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
    with cluster.api_client() as api:
        try:
            tenancy_apply(api, prefix)
            # An older version's policy this version no longer has, and a text changed behind our back.
            retired = {
                **tenancy_policies(prefix)[0],
                "metadata": {"name": f"breakfix-tenant-retired.{prefix}"},
            }
            retired["metadata"]["labels"] = tenancy_policies(prefix)[0]["metadata"]["labels"]
            assert send(api, "POST", collection, retired)[0] == 201
            name = f"breakfix-tenant-services.{prefix}"
            edited = {"spec": {"validations": [{"expression": "true", "message": "anything goes"}]}}
            assert (
                send(
                    api, "PATCH", f"{collection}/{name}", edited, content_type="application/merge-patch+json"
                )[0]
                == 200
            )

            tenancy_apply(api, prefix)
            assert send(api, "GET", f"{collection}/breakfix-tenant-retired.{prefix}")[0] == 404
            validations = read(api, f"{collection}/{name}")["spec"]["validations"]
            assert "CVE-2020-8554" in validations[0]["message"]
        finally:
            tenancy_remove(api, prefix)
        remaining = read(api, f"{collection}?labelSelector=breakfix.dev/installation%3D{prefix}")["items"]
        assert remaining == []
