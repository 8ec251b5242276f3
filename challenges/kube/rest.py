"""Raw REST calls on a kubernetes ApiClient, with every failure translated to our own errors."""

from __future__ import annotations

import json
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from challenges.kube.errors import KubeRejected, KubeUnavailable

Obj = dict[str, Any]
TIMEOUT_SECONDS = 20.0


def is_temporary(status: int) -> bool:
    return status in (408, 429) or status >= 500


def status_message(data: bytes) -> str:
    """The `message` of a Kubernetes Status answer, or the start of whatever else came back."""
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", errors="replace").strip()[:300]
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return ""


def request(
    api: ApiClient,
    method: str,
    path: str,
    *,
    what: str,
    query: list[tuple[str, str]] | None = None,
    body: Obj | list[Any] | None = None,
    content_type: str = "application/json",
    accept: str = "application/json",
    timeout: float = TIMEOUT_SECONDS,
) -> tuple[int, bytes]:
    """Send one request; return (status, body) for any HTTP answer, raise KubeUnavailable when none came."""
    headers = {"Accept": accept}
    if body is not None:
        # JSON and every +json/+yaml type (apply patches included) are serialised by the client.
        headers["Content-Type"] = content_type
    try:
        prepared = api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*prepared, _request_timeout=timeout)
        data = response.read()
    except ApiException as exc:
        if exc.status and not is_temporary(exc.status):
            return exc.status, (exc.body or "").encode() if isinstance(exc.body, str) else bytes(
                exc.body or b""
            )
        raise KubeUnavailable(
            f"Could not {what}: the Kubernetes API is unreachable ({exc.reason}).", status=exc.status or None
        ) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise KubeUnavailable(f"Could not {what}: the Kubernetes API is unreachable ({exc}).") from exc
    return response.status, bytes(data or b"")


def call(
    api: ApiClient,
    method: str,
    path: str,
    *,
    what: str,
    query: list[tuple[str, str]] | None = None,
    body: Obj | None = None,
    content_type: str = "application/json",
    accept: str = "application/json",
    missing_ok: bool = False,
) -> Obj | None:
    """A request whose answer must be a 2xx JSON object; None for a 404 when `missing_ok`."""
    status, data = request(
        api, method, path, what=what, query=query, body=body, content_type=content_type, accept=accept
    )
    if status == 404 and missing_ok:
        return None
    if not 200 <= status < 300:
        raise error(status, data, what)
    if not data:
        return {}
    try:
        decoded = json.loads(data)
    except ValueError:
        raise KubeUnavailable(f"Could not {what}: the API server sent something that is not JSON.") from None
    if not isinstance(decoded, dict):
        raise KubeRejected(f"Could not {what}: the API server sent an unexpected answer.", status=status)
    return decoded


def error(status: int, data: bytes, what: str) -> KubeUnavailable | KubeRejected:
    reason = status_message(data) or f"HTTP {status}"
    message = f"Could not {what}: {reason}"
    if is_temporary(status):
        return KubeUnavailable(message, status=status)
    return KubeRejected(message, status=status)
