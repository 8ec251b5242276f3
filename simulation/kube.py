"""The little of the Kubernetes API the controller needs: requests, lists and watches, as dicts.

Not validators.kube, on purpose (an import-linter contract forbids it): this stands in for the
kubelet the checks judge, and sharing their transport would let one bug hide in both.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.config import new_client_from_config

Obj = dict[str, Any]
logger = logging.getLogger(__name__)
# A watch is ended by the server after this long and started again: a dead one never hangs.
WATCH_SECONDS = 240


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status}: {message}")


class Gone(ApiError):
    """The resource version of a watch is too old: list again."""


class Kube:
    def __init__(self, kubeconfig: Path) -> None:
        self.api: ApiClient = new_client_from_config(config_file=str(kubeconfig), persist_config=False)

    def close(self) -> None:
        self.api.close()

    def _prepare(
        self, method: str, path: str, query: list[tuple[str, str]] | None, body: Obj | None, content_type: str
    ) -> tuple[str, str, dict[str, str], Any]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        method, url, headers, serialized, _ = self.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        return method, url, headers, serialized

    def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Obj | None = None,
        content_type: str = "application/json",
        timeout: float = 10.0,
    ) -> tuple[int, Obj]:
        """(status, decoded body) for any HTTP answer; urllib3 errors propagate when none came."""
        method, url, headers, serialized = self._prepare(method, path, query, body, content_type)
        response = self.api.rest_client.pool_manager.request(
            method,
            url,
            headers=headers,
            body=json.dumps(serialized) if serialized is not None else None,
            timeout=urllib3.Timeout(total=timeout),
            preload_content=True,
        )
        try:
            decoded = json.loads(response.data or b"{}")
        except ValueError:
            decoded = {"message": response.data.decode(errors="replace")[:300]}
        return response.status, decoded if isinstance(decoded, dict) else {}

    def call(self, method: str, path: str, **kwargs: Any) -> Obj:
        status, body = self.request(method, path, **kwargs)
        if not 200 <= status < 300:
            raise ApiError(status, str(body.get("message", "")))
        return body

    def list(self, path: str) -> tuple[list[Obj], str]:
        body = self.call("GET", path, timeout=60.0)
        return list(body.get("items") or []), str((body.get("metadata") or {}).get("resourceVersion", ""))

    def watch(self, path: str, resource_version: str) -> Iterator[tuple[str, Obj]]:
        """(type, object) for each change after `resource_version`; raises Gone when it is too old."""
        query = [
            ("watch", "1"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(WATCH_SECONDS)),
        ]
        method, url, headers, _ = self._prepare("GET", path, query, None, "")
        response = self.api.rest_client.pool_manager.request(
            method,
            url,
            headers=headers,
            preload_content=False,
            timeout=urllib3.Timeout(connect=5.0, read=WATCH_SECONDS + 30),
        )
        try:
            if response.status != 200:
                raise ApiError(response.status, response.data.decode(errors="replace")[:300])
            buffer = b""
            for chunk in response.stream(65536, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    kind, obj = str(event.get("type")), event.get("object") or {}
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            raise Gone(410, str(obj.get("message", "")))
                        raise ApiError(int(obj.get("code") or 500), str(obj.get("message", "")))
                    yield kind, obj
        finally:
            response.release_conn()
