"""NamespaceView over a real ApiClient, talking HTTP to a small scripted server (conftest.py).

The server stands in for the API server only to script answers a real one gives
rarely (429, 500, a timeout, a refused connection); tests/live covers the real thing.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import Configuration

from tests.validators.conftest import Answer, Script
from validators import NamespaceView, client_from_file
from validators.errors import ClusterUnavailable, ObjectInvalid
from validators.kube import client_from_config
from validators.namespace_view import REDACTED
from validators.view import AccessQuestion, LogQuery


def kubeconfig_for(host: str, token: str = "s3cret-token") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "attempt",
        "clusters": [{"name": "c", "cluster": {"server": host}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "attempt", "context": {"cluster": "c", "user": "u", "namespace": "shop"}}],
    }


def view_for(host: str, *, timeout: float = 5.0) -> NamespaceView:
    # The platform's own factory, so its retry policy is what these tests see.
    return NamespaceView(client_from_config(kubeconfig_for(host)), "shop", timeout=timeout)


PODS = "/api/v1/namespaces/shop/pods"


def test_it_returns_an_object_as_served(server: tuple[str, Script]) -> None:
    host, script = server
    served = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2},
    }
    script.on("GET", "/apis/apps/v1/namespaces/shop/deployments/web", (200, served))
    assert view_for(host).get("Deployment", "web") == served


def test_it_returns_none_for_a_missing_object(server: tuple[str, Script]) -> None:
    host, _ = server
    assert view_for(host).get("Service", "nope") is None


def test_it_lists_every_page_and_restores_kind(server: tuple[str, Script]) -> None:
    host, script = server

    def pages(query: dict[str, list[str]], body: Any) -> Answer:
        if query.get("continue") == ["page2"]:
            return 200, {"metadata": {}, "items": [{"metadata": {"name": "web-3"}}]}
        return 200, {
            "metadata": {"continue": "page2"},
            "items": [{"metadata": {"name": "web-1"}}, {"metadata": {"name": "web-2"}}],
        }

    script.on("GET", PODS, pages)
    pods = view_for(host).list("Pod", {"app": "web", "tier": "front"})
    assert [p["metadata"]["name"] for p in pods] == ["web-1", "web-2", "web-3"]
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in pods)
    assert script.requests[0]["query"]["labelSelector"] == ["app=web,tier=front"]
    assert script.requests[0]["query"]["limit"] == ["500"]


def test_it_never_returns_secret_values(server: tuple[str, Script]) -> None:
    host, script = server
    secret = {
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": '{"stringData":{"password":"hunter2"}}',
                "team": "shop",
            },
        },
        "data": {"password": "aHVudGVyMg=="},
        "stringData": {"user": "admin"},
    }
    script.on("GET", "/api/v1/namespaces/shop/secrets/db", (200, secret))
    script.on("GET", "/api/v1/namespaces/shop/secrets", (200, {"metadata": {}, "items": [secret]}))
    view = view_for(host)
    for obj in (view.get("Secret", "db"), view.list("Secret")[0]):
        assert obj is not None
        assert obj["data"] == {"password": REDACTED}
        assert obj["stringData"] == {"user": REDACTED}
        assert obj["metadata"]["annotations"] == {
            "kubectl.kubernetes.io/last-applied-configuration": REDACTED,
            "team": "shop",
        }
        assert "hunter2" not in json.dumps(obj) and "aHVudGVyMg" not in json.dumps(obj)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_it_turns_overload_and_server_errors_into_cluster_unavailable(
    server: tuple[str, Script], status: int
) -> None:
    host, script = server
    script.on("GET", PODS, (status, {"kind": "Status", "message": "etcdserver: request timed out"}))
    with pytest.raises(
        ClusterUnavailable, match="Could not list Pods: etcdserver: request timed out"
    ) as caught:
        view_for(host).list("Pod")
    assert caught.value.status == status


@pytest.mark.parametrize("status", [401, 403, 422])
def test_it_turns_refusals_into_object_invalid(server: tuple[str, Script], status: int) -> None:
    host, script = server
    script.on("GET", PODS, (status, {"kind": "Status", "message": 'pods is forbidden: User "x" cannot list'}))
    with pytest.raises(ObjectInvalid, match="pods is forbidden") as caught:
        view_for(host).list("Pod")
    assert caught.value.status == status


def test_it_turns_a_refused_connection_into_cluster_unavailable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ClusterUnavailable, match="unreachable"):
        view_for(f"http://127.0.0.1:{port}").get("Pod", "web")


def test_it_turns_a_timeout_into_cluster_unavailable(server: tuple[str, Script]) -> None:
    host, script = server

    def slow(query: dict[str, list[str]], body: Any) -> Answer:
        time.sleep(1.0)
        return 200, {"metadata": {}, "items": []}

    script.on("GET", PODS, slow)
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable):
        view_for(host, timeout=0.2).list("Pod")
    assert time.monotonic() - started < 1.0


def test_it_turns_a_garbled_answer_into_cluster_unavailable(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("GET", PODS, (200, "<html>proxy error</html>"))
    with pytest.raises(ClusterUnavailable, match="not JSON"):
        view_for(host).list("Pod")


def test_it_refuses_kinds_outside_the_allow_list(server: tuple[str, Script]) -> None:
    host, script = server
    with pytest.raises(ObjectInvalid, match="'ClusterRole' is not a kind the checks may read"):
        view_for(host).list("ClusterRole")
    assert script.requests == []


def test_it_reads_pod_logs_with_the_window_asked_for(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("GET", f"{PODS}/web-1/log", (200, "listening on :8080\nConnected to backend\n"))
    query = LogQuery("web-1", container="app", since_seconds=120, previous=True, tail_lines=100)
    text = view_for(host).pod_logs(query)
    assert "Connected to backend" in text
    assert script.requests[0]["query"] == {
        "container": ["app"],
        "sinceSeconds": ["120"],
        "previous": ["true"],
        "tailLines": ["100"],
    }


def test_it_explains_logs_that_cannot_be_read(server: tuple[str, Script]) -> None:
    host, script = server
    message = 'container "app" in pod "web-1" is waiting to start: ContainerCreating'
    script.on("GET", f"{PODS}/web-1/log", (400, {"kind": "Status", "message": message}))
    with pytest.raises(ObjectInvalid, match="waiting to start"):
        view_for(host).pod_logs(LogQuery("web-1"))


def test_it_asks_subject_access_reviews(server: tuple[str, Script]) -> None:
    host, script = server
    script.on(
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        (201, {"kind": "SubjectAccessReview", "status": {"allowed": True, "reason": "RBAC: allowed"}}),
    )
    status = view_for(host).subject_access_review(
        AccessQuestion(
            user="system:serviceaccount:shop:reporter",
            groups=["system:serviceaccounts"],
            verb="get",
            resource="pods",
            subresource="log",
        )
    )
    assert status == {"allowed": True, "reason": "RBAC: allowed"}
    assert script.requests[0]["body"]["spec"] == {
        "user": "system:serviceaccount:shop:reporter",
        "groups": ["system:serviceaccounts"],
        "resourceAttributes": {
            "verb": "get",
            "resource": "pods",
            "group": "",
            "subresource": "log",
            "namespace": "shop",
        },
    }


def test_it_reads_namespace_labels(server: tuple[str, Script]) -> None:
    host, script = server
    script.on(
        "GET", "/api/v1/namespaces/shop", (200, {"metadata": {"name": "shop", "labels": {"team": "a"}}})
    )
    assert view_for(host).namespace_labels() == {"team": "a"}


def test_it_builds_a_client_from_a_kubeconfig_without_touching_the_global_one(
    server: tuple[str, Script], tmp_path: Path
) -> None:
    host, script = server
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(kubeconfig_for(host)))
    before = Configuration.get_default_copy().host
    script.on("GET", PODS, (200, {"metadata": {}, "items": []}))
    with client_from_file(kubeconfig) as api:
        assert NamespaceView(api, "shop").list("Pod") == []
    headers = {key.lower(): value for key, value in script.requests[0]["headers"].items()}
    assert headers["authorization"] == "Bearer s3cret-token"
    assert Configuration.get_default_copy().host == before


def test_it_says_a_missing_kubeconfig_is_temporary(tmp_path: Path) -> None:
    with pytest.raises(ClusterUnavailable, match="does not exist"):
        client_from_file(tmp_path / "nope")


def test_it_says_a_broken_kubeconfig_is_permanent(tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("apiVersion: v1\nkind: Config\ncontexts: []\n")
    with pytest.raises(ObjectInvalid, match="cannot be used"):
        client_from_file(broken)


def test_it_reads_each_thing_once_per_view(server: tuple[str, Script]) -> None:
    # A view is one check run's snapshot: objectives asking for the same pods share one request.
    host, script = server
    script.on("GET", PODS, (200, {"metadata": {}, "items": [{"metadata": {"name": "web-1"}}]}))
    view = view_for(host)
    first = view.list("Pod", {"app": "web"})
    first[0]["metadata"]["name"] = "changed by a caller"
    assert view.list("Pod", {"app": "web"})[0]["metadata"]["name"] == "web-1"
    assert view.get("Pod", "web-1") is None
    assert view.get("Pod", "web-1") is None
    assert len(script.requests) == 2


def test_a_new_view_sees_what_changed(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("GET", PODS, (200, {"metadata": {}, "items": []}))
    assert view_for(host).list("Pod") == []
    script.on("GET", PODS, (200, {"metadata": {}, "items": [{"metadata": {"name": "web-1"}}]}))
    assert [p["metadata"]["name"] for p in view_for(host).list("Pod")] == ["web-1"]


def test_it_does_not_keep_failed_reads(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("GET", PODS, (503, {"kind": "Status", "message": "etcd is starting"}))
    view = view_for(host)
    with pytest.raises(ClusterUnavailable):
        view.list("Pod")
    script.on("GET", PODS, (200, {"metadata": {}, "items": []}))
    assert view.list("Pod") == []


def test_it_asks_access_reviews_every_time(server: tuple[str, Script]) -> None:
    host, script = server
    script.on(
        "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", (201, {"status": {"allowed": False}})
    )
    view = view_for(host)
    for _ in range(2):
        view.subject_access_review(AccessQuestion(user="u", groups=[], verb="get", resource="pods"))
    assert len(script.requests) == 2


def test_it_sends_one_request_for_a_read_that_threads_ask_for_at_once(server: tuple[str, Script]) -> None:
    # run_check evaluates objectives on 8 threads; they share one view and often the same reads.
    host, script = server
    answered = threading.Event()

    def slow(query: dict[str, list[str]], body: Any) -> Answer:
        answered.wait(0.3)  # keep the first request open while the other threads arrive
        return 200, {"metadata": {}, "items": [{"metadata": {"name": "web-1"}}]}

    script.on("GET", PODS, slow)
    view = view_for(host)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            results.append([p["metadata"]["name"] for p in view.list("Pod", {"app": "web"})])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert errors == []
    assert results == [["web-1"]] * 8
    assert len(script.requests) == 1


def test_it_reads_different_things_in_parallel(server: tuple[str, Script]) -> None:
    host, script = server

    def slow(query: dict[str, list[str]], body: Any) -> Answer:
        time.sleep(0.3)
        return 200, {"metadata": {}, "items": []}

    script.on("GET", PODS, slow)
    script.on("GET", "/api/v1/namespaces/shop/services", slow)
    view = view_for(host)
    threads = [
        threading.Thread(target=view.list, args=("Pod",)),
        threading.Thread(target=view.list, args=("Service",)),
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert time.monotonic() - started < 0.55
    assert len(script.requests) == 2


def test_a_fresh_view_reads_again(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("GET", PODS, (200, {"metadata": {}, "items": []}))
    view = view_for(host)
    view.list("Pod")
    later = view.fresh()
    assert later.namespace == "shop" and later.timeout == view.timeout
    script.on("GET", PODS, (200, {"metadata": {}, "items": [{"metadata": {"name": "web-1"}}]}))
    assert view.list("Pod") == []
    assert [p["metadata"]["name"] for p in later.list("Pod")] == ["web-1"]


def test_it_gives_one_secret_value_only_when_asked(server: tuple[str, Script]) -> None:
    host, script = server
    secret = {
        "kind": "Secret",
        "metadata": {"name": "web-tls"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "Q0VSVA==", "tls.key": "S0VZ", "bad": "not base64!"},
    }
    script.on("GET", "/api/v1/namespaces/shop/secrets/web-tls", (200, secret))
    view = view_for(host)
    assert view.secret_value("web-tls", "tls.crt") == b"CERT"
    assert view.secret_value("web-tls", "ca.crt") is None
    assert view.secret_value("nope", "tls.crt") is None
    with pytest.raises(ObjectInvalid, match="not valid base64"):
        view.secret_value("web-tls", "bad")
    got = view.get("Secret", "web-tls")
    assert got is not None and got["data"]["tls.key"] == REDACTED
    assert len([r for r in script.requests if r["path"].endswith("/web-tls")]) == 1
