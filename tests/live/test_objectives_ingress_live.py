"""`ingress` and `tls` against a real API server: real Ingress objects, Secrets and EndpointSlices.

No ingress controller runs on the local control plane; these objectives judge what a
controller would be given (the Ingress, the Service's EndpointSlices, the Secret), which
the API server holds exactly as on any cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes.client import ApiClient

from tests.fixtures.cluster import Cluster, eventually
from tests.live.test_validators_live import Views, apply, deployment, evaluate, passes, ready_pods, service
from tests.validators import pki
from validators import NamespaceView, client_from_file

pytestmark = pytest.mark.live
Obj = dict[str, Any]


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with client_from_file(cluster.kubeconfig) as client:
        yield client


@pytest.fixture
def views(api: ApiClient, namespace: str) -> Views:
    return lambda: NamespaceView(api, namespace)


def ingress(*, api_service: str = "api", api_port: int = 80, tls: list[Obj] | None = None) -> Obj:
    def to(name: str, port: int) -> Obj:
        return {"service": {"name": name, "port": {"number": port}}}

    spec: Obj = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {"path": "/", "pathType": "Prefix", "backend": to("web", 80)},
                        {"path": "/api", "pathType": "Prefix", "backend": to(api_service, api_port)},
                    ]
                },
            },
            {
                "host": "www.shop.example.com",
                "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": to("web", 80)}]},
            },
        ],
    }
    if tls is not None:
        spec["tls"] = tls
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop"},
        "spec": spec,
    }


ROUTE = {"name": "shop", "host": "shop.example.com", "path": "/api/orders", "service": "api", "port": 80}


def test_ingress_follows_the_route_to_ready_endpoints(api: ApiClient, views: Views, namespace: str) -> None:
    apply(
        api,
        namespace,
        deployment("web", replicas=1),
        deployment("api", replicas=2),
        service("web", {"app": "web"}, target="http"),
        service("api", {"app": "api"}, target="http"),
        ingress(api_service="web"),
    )
    ready_pods(views, "api", 2)
    assert evaluate("ingress", ROUTE, views).message == (
        "Ingress shop sends shop.example.com/api/orders to Service web, not api."
    )
    apply(api, namespace, ingress(api_port=8080))
    assert evaluate("ingress", ROUTE, views).message == (
        "Ingress shop sends shop.example.com/api/orders to port 8080 of Service api, which exposes 80."
    )
    apply(api, namespace, ingress())
    passes("ingress", ROUTE, views, "the Ingress to reach the api pods")
    # The EndpointSlice controller may list the second ready pod a moment after the first.
    expected = (
        "Ingress shop routes shop.example.com/api/orders to Service api port 80, which has 2 ready endpoints."
    )

    def both_endpoints() -> str | None:
        message = evaluate("ingress", ROUTE, views).message
        return message if message == expected else None

    assert eventually(both_endpoints, "both api pods in the EndpointSlice") == expected
    # A selector that matches nothing leaves the Service without endpoints: the controller would answer 503.
    apply(api, namespace, service("api", {"app": "nothing"}, target="http"))

    def unavailable() -> str | None:
        message = evaluate("ingress", ROUTE, views).message
        return message if "no ready endpoints" in message else None

    assert eventually(unavailable, "the EndpointSlice to empty").endswith("so the request gets 503.")


def test_tls_judges_the_secret_an_ingress_serves(api: ApiClient, views: Views, namespace: str) -> None:
    hosts = ["shop.example.com", "www.shop.example.com"]
    entry = [{"hosts": hosts, "secretName": "web-tls"}]
    apply(api, namespace, ingress(tls=entry))
    spec = {"ingress": "shop"}
    assert evaluate("tls", spec, views).message == "For host shop.example.com: Secret web-tls does not exist."

    apply(api, namespace, pki.for_hosts("web-tls", "shop.example.com"))
    assert evaluate("tls", spec, views).message == (
        "For host www.shop.example.com: the certificate in Secret web-tls covers shop.example.com, "
        "not www.shop.example.com."
    )

    expired = datetime.now(UTC) - timedelta(days=3)
    apply(
        api,
        namespace,
        pki.for_hosts("web-tls", *hosts, valid_from=expired - timedelta(days=90), valid_until=expired),
    )
    assert evaluate("tls", spec, views).message == (
        f"For host shop.example.com: the certificate in Secret web-tls expired on {expired:%Y-%m-%d}."
    )

    mismatched = pki.tls_secret("web-tls", pki.cert_pem(pki.key(), hosts), pki.key_pem(pki.key()))
    apply(api, namespace, mismatched)
    assert evaluate("tls", spec, views).message.endswith(
        "the private key in Secret web-tls does not belong to its certificate."
    )

    apply(api, namespace, pki.for_hosts("web-tls", "shop.example.com", "*.shop.example.com"))
    result = evaluate("tls", spec, views)
    assert result.passed, result.message
    assert "-----BEGIN" not in repr(result)
