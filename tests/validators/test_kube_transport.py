"""The one Kubernetes transport: how answers are read and failures classified, and the client
factory's retry policy, against the scripted server of conftest.py (tests/live has the real one)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from kubernetes.client.exceptions import ApiException

from tests.validators.conftest import HANG_UP, Answer, Script
from tests.validators.test_namespace_view import kubeconfig_for, view_for
from validators.errors import ClusterUnavailable, ObjectInvalid
from validators.kube import call, client_from_config, request

PODS = "/api/v1/namespaces/shop/pods"
APPLY = "/apis/apps/v1/namespaces/shop/deployments/web"


def _api(host: str) -> Any:
    return client_from_config(kubeconfig_for(host))


def test_an_empty_success_is_a_cut_answer_for_every_caller(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("GET", PODS, (200, b""))
    with pytest.raises(ClusterUnavailable, match="empty answer"):
        call(_api(host), "GET", PODS, what="list pods")
    with pytest.raises(ClusterUnavailable, match="empty answer"):
        view_for(host).list("Pod")


def test_no_content_is_the_one_empty_success(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("DELETE", PODS, (204, b""))
    assert call(_api(host), "DELETE", PODS, what="delete pods") == {}


@pytest.mark.parametrize(
    "body", [b'{"kind":"Status","message":"slow down","reason":"TooManyRequests"}', None]
)
@pytest.mark.parametrize("as_text", [True, False])
def test_an_answer_the_client_raised_is_read_whatever_its_body_type(
    body: bytes | None, as_text: bool
) -> None:
    api = client_from_config(kubeconfig_for("http://127.0.0.1:9"))
    raised = ApiException(status=429, reason="Too Many Requests")
    raised.body = body.decode() if (body is not None and as_text) else body  # type: ignore[assignment]  # the client sets bytes too
    with mock.patch.object(api, "call_api", side_effect=raised):
        status, data = request(api, "GET", PODS, what="list pods")
        assert (status, data) == (429, body or b"")
        with pytest.raises(ClusterUnavailable) as caught:
            call(api, "GET", PODS, what="list pods")
    assert caught.value.status == 429
    if body:
        assert caught.value.reason == "TooManyRequests"
        assert "slow down" in str(caught.value)


@pytest.mark.parametrize(
    "message",
    [
        "failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.replicaz: "
        "field not declared in schema",
        "failed to convert new object (shop/web; apps/v1, Kind=Deployment) to proper version: "
        "cannot convert float64 to int32",
    ],
)
def test_a_500_for_an_object_the_api_cannot_read_is_permanent_with_its_message(
    server: tuple[str, Script], message: str
) -> None:
    host, script = server
    script.on("PATCH", APPLY, (500, {"kind": "Status", "status": "Failure", "message": message, "code": 500}))
    with pytest.raises(ObjectInvalid) as caught:
        call(
            _api(host),
            "PATCH",
            APPLY,
            what="apply Deployment web",
            body={},
            content_type="application/apply-patch+yaml",
        )
    assert str(caught.value) == f"Could not apply Deployment web: {message}"
    assert caught.value.status == 500 and not caught.value.temporary
    assert len(script.requests) == 1


def test_any_other_500_is_temporary(server: tuple[str, Script]) -> None:
    host, script = server
    script.on(
        "GET",
        PODS,
        (500, {"kind": "Status", "message": "etcdserver: request timed out", "reason": "InternalError"}),
    )
    with pytest.raises(ClusterUnavailable) as caught:
        call(_api(host), "GET", PODS, what="list pods")
    assert caught.value.temporary and caught.value.reason == "InternalError"
    # urllib3 never retries an HTTP answer: the caller's task does, with its own backoff.
    assert len(script.requests) == 1


def test_a_refusal_carries_the_apis_status_and_reason(server: tuple[str, Script]) -> None:
    host, script = server
    invalid = {"kind": "Status", "message": 'Deployment "web" is invalid: spec.replicas', "reason": "Invalid"}
    script.on("PATCH", APPLY, (422, invalid))
    with pytest.raises(ObjectInvalid) as caught:
        call(_api(host), "PATCH", APPLY, what="apply Deployment web", body={})
    assert (caught.value.status, caught.value.reason) == (422, "Invalid")
    assert 'Deployment "web" is invalid' in str(caught.value)


def test_a_connection_cut_under_a_read_is_sent_once_more(server: tuple[str, Script]) -> None:
    host, script = server
    answers: Iterator[Answer] = iter([(HANG_UP, None), (200, {"metadata": {}, "items": []})])

    def cut_once(query: dict[str, list[str]], body: Any) -> Answer:
        return next(answers)

    script.on("GET", PODS, cut_once)
    assert call(_api(host), "GET", PODS, what="list pods") == {"metadata": {}, "items": []}
    assert len(script.requests) == 2


def test_a_connection_cut_under_a_write_is_not_sent_again(server: tuple[str, Script]) -> None:
    host, script = server
    script.on("POST", PODS, (HANG_UP, None))
    with pytest.raises(ClusterUnavailable, match="the connection was cut"):
        call(_api(host), "POST", PODS, what="create a pod", body={"metadata": {"name": "web"}})
    assert len(script.requests) == 1


def test_a_timeout_is_not_sent_again(server: tuple[str, Script]) -> None:
    host, script = server

    def slow(query: dict[str, list[str]], body: Any) -> Answer:
        time.sleep(0.6)
        return 200, {"metadata": {}, "items": []}

    script.on("GET", PODS, slow)
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable, match="did not answer in time"):
        call(_api(host), "GET", PODS, what="list pods", timeout=0.2)
    assert time.monotonic() - started < 0.5
    assert len(script.requests) == 1


def test_an_unreachable_api_is_named_without_its_address() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as caught:
        call(_api(f"http://127.0.0.1:{port}"), "GET", PODS, what="list pods")
    assert (
        str(caught.value)
        == "Could not list pods: the Kubernetes API is unreachable (the connection was refused)."
    )
    assert "127.0.0.1" not in str(caught.value) and "Pool" not in str(caught.value)
    # Two more tries, at once and after 0.5 s, for an API server that is restarting.
    assert 0.4 < time.monotonic() - started < 3
