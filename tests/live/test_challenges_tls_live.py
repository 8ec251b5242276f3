"""tls-host-mismatch and expose-over-https are fair both ways, against a real API server.

The certificates are the challenges' own (platform/scripts/challenge-certificates wrote them into
the manifests): the tests take them from there, recombined the way learners get them wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from kubernetes.client import ApiClient, CoreV1Api, NetworkingV1Api

from tests.live.fairness import (
    Obj,
    apply,
    as_learner,
    assert_fails,
    assert_passes,
    broken,
    decoded,
    document,
    kubectl,
    load,
    refused,
    solve,
    tls_secret,
)

pytestmark = pytest.mark.live

Fix = Callable[[ApiClient, Any, str], object]  # what a fix returns (kubectl's output) is not used

# --- tls-host-mismatch ---------------------------------------------------------------------------

PORTAL = "tls-host-mismatch"
HOSTS = ["portal.example.test", "www.portal.example.test"]


def delivered() -> tuple[bytes, bytes]:
    secret = document(load(PORTAL), "manifests", "Secret", "portal-certificate-2026")
    return decoded(secret, "certificate.pem"), decoded(secret, "private-key.pem")


def portal_tls(*entries: tuple[list[str], str]) -> Obj:
    ingress = document(load(PORTAL), "manifests", "Ingress", "portal")
    ingress["spec"]["tls"] = [{"hosts": hosts, "secretName": secret} for hosts, secret in entries]
    return ingress


def tls_patch(secret: str) -> str:
    return f'[{{"op":"replace","path":"/spec/tls/0/secretName","value":"{secret}"}}]'


def new_secret_and_ingress(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, tls_secret("portal-tls-2026", *delivered()))
    kubectl(c, ns, "patch", "ingress", "portal", "--type=json", "-p", tls_patch("portal-tls-2026"))


def one_entry_per_host(api: ApiClient, c: Any, ns: str) -> None:
    apply(api, ns, tls_secret("portal-production", *delivered()))
    ingress = NetworkingV1Api(api)
    ingress.patch_namespaced_ingress(
        "portal",
        ns,
        {"spec": {"tls": [{"hosts": [host], "secretName": "portal-production"} for host in HOSTS]}},
    )


PORTAL_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(PORTAL), ns)),
    ("a new Secret, and the Ingress pointed at it", new_secret_and_ingress),
    ("one TLS entry per host", one_entry_per_host),
]


@pytest.mark.parametrize(("label", "fix"), PORTAL_HONEST, ids=[h[0] for h in PORTAL_HONEST])
def test_tls_host_mismatch_accepts_honest_fixes(cluster: Any, namespace: str, label: str, fix: Fix) -> None:
    api = cluster.api_client()
    challenge = broken(api, PORTAL, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def point_at(secret: str) -> Fix:
    return lambda api, c, ns: kubectl(
        c, ns, "patch", "ingress", "portal", "--type=json", "-p", tls_patch(secret)
    )


def mismatched_key(api: ApiClient, c: Any, ns: str) -> None:
    staging = document(load(PORTAL), "manifests", "Secret", "portal-tls")
    apply(api, ns, tls_secret("portal-tls-2026", delivered()[0], decoded(staging, "tls.key")))
    point_at("portal-tls-2026")(api, c, ns)


def staging_hosts(api: ApiClient, c: Any, ns: str) -> None:
    ingress = portal_tls((["portal-staging.example.test"], "portal-tls"))
    for rule in ingress["spec"]["rules"]:
        rule["host"] = rule["host"].replace("portal.", "portal-staging.")
    apply(api, ns, ingress)


PORTAL_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    (
        "the delivered Secret as it is",
        point_at("portal-certificate-2026"),
        "portal-over-https",
        "is of type Opaque; an Ingress needs a Secret of type kubernetes.io/tls",
    ),
    ("the expired wildcard", point_at("wildcard-example-test"), "portal-over-https", "expired on 2025-06-30"),
    (
        "the wildcard for www",
        point_at("wildcard-example-test"),
        "www-over-https",
        "covers *.example.test, not www.portal.example.test",
    ),
    (
        "no TLS at all",
        lambda api, c, ns: kubectl(
            c, ns, "patch", "ingress", "portal", "--type=json", "-p", '[{"op":"remove","path":"/spec/tls"}]'
        ),
        "portal-over-https",
        "has no TLS entry for host portal.example.test",
    ),
    (
        "the new certificate with the old key",
        mismatched_key,
        "portal-over-https",
        "does not belong to its certificate",
    ),
    (
        "renaming the hosts to fit the old certificate",
        staging_hosts,
        "portal-over-https",
        "has no rule for host",
    ),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), PORTAL_SHORTCUTS, ids=[s[0] for s in PORTAL_SHORTCUTS]
)
def test_tls_host_mismatch_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, PORTAL, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_guards_keep_the_portal_routing_and_allow_its_tls(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, PORTAL, namespace)
    learner = NetworkingV1Api(as_learner(cluster, namespace))
    rehosted = {"spec": {"rules": [{"host": "portal-staging.example.test"}]}}
    body = refused(lambda: learner.patch_namespaced_ingress("portal", namespace, rehosted, dry_run="All"))
    assert "change only the tls section" in body
    body = refused(lambda: learner.delete_namespaced_ingress("portal", namespace, dry_run="All"))
    assert "takes the portal offline" in body
    learner.patch_namespaced_ingress(
        "portal", namespace, {"spec": {"tls": [{"hosts": HOSTS, "secretName": "x"}]}}
    )


# --- expose-over-https ---------------------------------------------------------------------------

DOCS = "expose-over-https"


def certificate_files() -> dict[str, bytes]:
    secret = document(load(DOCS), "manifests", "Secret", "docs-certificate")
    return {key: decoded(secret, key) for key in ("fullchain.pem", "chain.pem", "privkey.pem")}


def docs_ingress(
    paths: Sequence[tuple[str, str, str, int | str]],
    *,
    tls: list[Obj] | None = None,
    ingress_class: str | None = "nginx",
) -> Obj:
    spec: Obj = {
        "rules": [
            {
                "host": "docs.example.test",
                "http": {
                    "paths": [
                        {
                            "path": path,
                            "pathType": kind,
                            "backend": {
                                "service": {
                                    "name": service,
                                    "port": {"number": port} if isinstance(port, int) else {"name": port},
                                }
                            },
                        }
                        for path, kind, service, port in paths
                    ]
                },
            }
        ]
    }
    if tls is not None:
        spec["tls"] = tls
    if ingress_class:
        spec["ingressClassName"] = ingress_class
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "docs"},
        "spec": spec,
    }


ROUTES = [("/search", "Prefix", "docs-search", 8000), ("/", "Prefix", "docs", 80)]
TLS = [{"hosts": ["docs.example.test"], "secretName": "docs-tls"}]


def with_secret(secret: Obj, ingress: Obj) -> Fix:
    return lambda api, c, ns: apply(api, ns, secret, ingress)


def good_secret(name: str = "docs-tls") -> Obj:
    files = certificate_files()
    return tls_secret(name, files["fullchain.pem"], files["privkey.pem"])


DOCS_HONEST: list[tuple[str, Fix]] = [
    ("the reference solution", lambda api, c, ns: solve(api, load(DOCS), ns)),
    (
        "ImplementationSpecific paths, a named port and a TLS entry without hosts",
        with_secret(
            good_secret("docs-example-test"),
            docs_ingress(
                [
                    ("/", "ImplementationSpecific", "docs", "http"),
                    ("/search", "ImplementationSpecific", "docs-search", "api"),
                ],
                tls=[{"secretName": "docs-example-test"}],
            ),
        ),
    ),
    (
        "an Exact /search beside a Prefix /search/",
        with_secret(
            good_secret(),
            docs_ingress(
                [
                    ("/search", "Exact", "docs-search", 8000),
                    ("/search/", "Prefix", "docs-search", 8000),
                    ("/", "Prefix", "docs", 80),
                ],
                tls=TLS,
            ),
        ),
    ),
]


@pytest.mark.parametrize(("label", "fix"), DOCS_HONEST, ids=[h[0] for h in DOCS_HONEST])
def test_expose_over_https_accepts_honest_builds(cluster: Any, namespace: str, label: str, fix: Fix) -> None:
    api = cluster.api_client()
    challenge = broken(api, DOCS, namespace)
    fix(api, cluster, namespace)
    assert_passes(api, challenge, namespace)


def wrong_order() -> Obj:
    files = certificate_files()
    leaf_first = files["fullchain.pem"]
    issuer = files["chain.pem"]
    return tls_secret("docs-tls", issuer + leaf_first.replace(issuer, b""), files["privkey.pem"])


DOCS_SHORTCUTS: list[tuple[str, Fix, str, str]] = [
    (
        "the delivered Secret as it is",
        with_secret(
            good_secret(),
            docs_ingress(ROUTES, tls=[{"hosts": ["docs.example.test"], "secretName": "docs-certificate"}]),
        ),
        "docs-over-https",
        "is of type Opaque",
    ),
    (
        "last year's Secret",
        with_secret(
            good_secret(),
            docs_ingress(ROUTES, tls=[{"hosts": ["docs.example.test"], "secretName": "docs-tls-2024"}]),
        ),
        "docs-over-https",
        "expired on 2025-01-07",
    ),
    (
        "the issuer's certificate first",
        with_secret(wrong_order(), docs_ingress(ROUTES, tls=TLS)),
        "docs-over-https",
        "names no host",
    ),
    ("plain HTTP", with_secret(good_secret(), docs_ingress(ROUTES)), "docs-over-https", "has no TLS entry"),
    (
        "TLS for another host",
        with_secret(
            good_secret(), docs_ingress(ROUTES, tls=[{"hosts": ["example.test"], "secretName": "docs-tls"}])
        ),
        "docs-over-https",
        "has no TLS entry for host docs.example.test",
    ),
    (
        "an Exact /search alone",
        with_secret(
            good_secret(),
            docs_ingress([("/search", "Exact", "docs-search", 8000), ("/", "Prefix", "docs", 80)], tls=TLS),
        ),
        "docs-routes",
        "/search/advanced to Service docs, not docs-search",
    ),
    (
        "the search API on the site's port",
        with_secret(
            good_secret(),
            docs_ingress([("/search", "Prefix", "docs-search", 80), ("/", "Prefix", "docs", 80)], tls=TLS),
        ),
        "docs-routes",
        "which exposes 8000 (api)",
    ),
    (
        "no ingress class",
        with_secret(good_secret(), docs_ingress(ROUTES, tls=TLS, ingress_class=None)),
        "docs-routes",
        "asks for class (none)",
    ),
]


@pytest.mark.parametrize(
    ("label", "shortcut", "key", "fragment"), DOCS_SHORTCUTS, ids=[s[0] for s in DOCS_SHORTCUTS]
)
def test_expose_over_https_refuses_shortcuts(
    cluster: Any, namespace: str, label: str, shortcut: Fix, key: str, fragment: str
) -> None:
    api = cluster.api_client()
    challenge = broken(api, DOCS, namespace)
    shortcut(api, cluster, namespace)
    assert_fails(api, challenge, namespace, key, fragment)


def test_guards_keep_the_docs_services_and_let_the_learner_build(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, DOCS, namespace)
    learner = as_learner(cluster, namespace)
    core = CoreV1Api(learner)
    moved = {"spec": {"ports": [{"port": 8000, "targetPort": 9999}]}}
    body = refused(lambda: core.patch_namespaced_service("docs-search", namespace, moved, dry_run="All"))
    assert "route the Ingress to their existing ports" in body
    body = refused(lambda: core.delete_namespaced_service("docs", namespace, dry_run="All"))
    assert "build the Ingress in front of them" in body
    core.create_namespaced_secret(namespace, good_secret())
    NetworkingV1Api(learner).create_namespaced_ingress(
        namespace, copy.deepcopy(document(load(DOCS), "solution", "Ingress", "docs"))
    )
