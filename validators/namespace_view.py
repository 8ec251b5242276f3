"""The one place that talks to the Kubernetes API: read-only, scoped to one namespace.

Objects come back as plain dicts in the API's own camelCase, exactly as served
(list items get their `kind` and `apiVersion` back, as kubectl shows them).
Every failure is translated to this library's errors; the client's exceptions
never escape.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from validators import selectors
from validators.errors import ClusterUnavailable, ObjectInvalid

Obj = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def collection_path(self, namespace: str) -> str:
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{prefix}/namespaces/{quote(namespace, safe='')}/{self.plural}"


# The kinds an objective may name. A static allow-list: the checks never reach
# beyond what is listed here, whatever a challenge file asks for.
KINDS: dict[str, Resource] = {
    "Pod": Resource("", "v1", "pods"),
    "Service": Resource("", "v1", "services"),
    "ConfigMap": Resource("", "v1", "configmaps"),
    "Secret": Resource("", "v1", "secrets"),
    "ServiceAccount": Resource("", "v1", "serviceaccounts"),
    "PersistentVolumeClaim": Resource("", "v1", "persistentvolumeclaims"),
    "Event": Resource("", "v1", "events"),
    "EndpointSlice": Resource("discovery.k8s.io", "v1", "endpointslices"),
    "Deployment": Resource("apps", "v1", "deployments"),
    "ReplicaSet": Resource("apps", "v1", "replicasets"),
    "StatefulSet": Resource("apps", "v1", "statefulsets"),
    "DaemonSet": Resource("apps", "v1", "daemonsets"),
    "Job": Resource("batch", "v1", "jobs"),
    "CronJob": Resource("batch", "v1", "cronjobs"),
    "NetworkPolicy": Resource("networking.k8s.io", "v1", "networkpolicies"),
    "Ingress": Resource("networking.k8s.io", "v1", "ingresses"),
    "ResourceQuota": Resource("", "v1", "resourcequotas"),
    "LimitRange": Resource("", "v1", "limitranges"),
    "Role": Resource("rbac.authorization.k8s.io", "v1", "roles"),
    "RoleBinding": Resource("rbac.authorization.k8s.io", "v1", "rolebindings"),
    "HorizontalPodAutoscaler": Resource("autoscaling", "v2", "horizontalpodautoscalers"),
    "PodDisruptionBudget": Resource("policy", "v1", "poddisruptionbudgets"),
}

REDACTED = "<redacted>"
type _ReadKey = tuple[str, str, tuple[tuple[str, str], ...]]
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_PAGE_SIZE = 500


class NamespaceView:
    """Read-only access to one namespace, with the platform's own credentials.

    A view is one check run's snapshot: each distinct read goes to the API server once, however
    many objectives ask for it (the reachability paths of one objective all need the same pods
    and policies), even when they ask at the same moment from run_check's threads. Make a new
    view for each check run.

    `platform_objects` are (kind, name) pairs the platform keeps in every environment, such as
    its egress NetworkPolicy: the view does not show them, so the checks judge only the
    challenge's objects and the learner's (a reachability verdict counts the learner's policies
    alone). The backend names them; the learner cannot change or delete them there.
    """

    def __init__(
        self,
        api_client: ApiClient,
        namespace: str,
        *,
        timeout: float = 10.0,
        platform_objects: Collection[tuple[str, str]] = (),
    ) -> None:
        self._client = api_client
        self.namespace = namespace
        self.timeout = timeout
        self._hidden = frozenset(platform_objects)
        self._reads: dict[_ReadKey, tuple[int, bytes]] = {}
        # One lock per distinct read: a second thread asking for the same read waits for the
        # first one's answer instead of sending the request again; different reads run in parallel.
        self._read_locks: dict[_ReadKey, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def __repr__(self) -> str:
        return f"NamespaceView(namespace={self.namespace!r})"

    def fresh(self) -> NamespaceView:
        """A new view of the same namespace with nothing read yet, to see how things changed."""
        return NamespaceView(
            self._client, self.namespace, timeout=self.timeout, platform_objects=self._hidden
        )

    # -- objects -------------------------------------------------------------

    def get(self, kind: str, name: str) -> Obj | None:
        """The named object, or None when it does not exist."""
        resource = _resource(kind)
        path = f"{resource.collection_path(self.namespace)}/{quote(name, safe='')}"
        if (kind, name) in self._hidden:
            return None
        obj = self._json("GET", path, what=f"read {kind} {name!r}", missing_ok=True)
        if obj is None:
            return None
        return _clean(kind, obj)

    def list(self, kind: str, label_selector: Mapping[str, str] | str | None = None) -> builtins.list[Obj]:
        """Every object of this kind in the namespace, optionally narrowed by labels."""
        resource = _resource(kind)
        query: builtins.list[tuple[str, str]] = [("limit", str(_PAGE_SIZE))]
        if label_selector:
            text = (
                label_selector if isinstance(label_selector, str) else selectors.format_labels(label_selector)
            )
            query.append(("labelSelector", text))
        items: builtins.list[Obj] = []
        token = ""
        while True:
            page_query = [*query, ("continue", token)] if token else query
            page = self._json(
                "GET", resource.collection_path(self.namespace), query=page_query, what=f"list {kind}s"
            )
            assert page is not None
            for item in page.get("items") or []:
                if (kind, (item.get("metadata") or {}).get("name")) in self._hidden:
                    continue
                item.setdefault("kind", kind)
                item.setdefault("apiVersion", resource.api_version)
                items.append(_clean(kind, item))
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return items

    def secret_value(self, name: str, key: str) -> bytes | None:
        """One value of a Secret, decoded; None when the Secret or the key does not exist.

        Objects from get() and list() never carry Secret values. This is for checks that must
        judge a value itself (a TLS certificate and its key): they must never put it, or
        anything derived from the private part of it, in a result.
        """
        resource = _resource("Secret")
        path = f"{resource.collection_path(self.namespace)}/{quote(name, safe='')}"
        obj = self._json("GET", path, what=f"read Secret {name!r}", missing_ok=True)
        if obj is None:
            return None
        encoded = (obj.get("data") or {}).get(key)
        if not isinstance(encoded, str):
            return None
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ObjectInvalid(f"Secret {name!r} holds a {key} that is not valid base64.") from None

    def pods(self, label_selector: Mapping[str, str] | str | None = None) -> builtins.list[Obj]:
        return self.list("Pod", label_selector)

    def nodes(self) -> builtins.list[Obj]:
        """The cluster's nodes (cluster-scoped, read with the platform's credentials): where pods run."""
        page = self._json("GET", "/api/v1/nodes", what="list nodes") or {}
        return [{"kind": "Node", "apiVersion": "v1", **item} for item in page.get("items") or []]

    def network_policies(self) -> builtins.list[Obj]:
        return self.list("NetworkPolicy")

    def events(self) -> builtins.list[Obj]:
        return self.list("Event")

    def namespace_labels(self, name: str | None = None) -> dict[str, str]:
        """The labels of a namespace (this one by default), for NetworkPolicy namespaceSelectors."""
        name = name or self.namespace
        obj = self._json(
            "GET",
            f"/api/v1/namespaces/{quote(name, safe='')}",
            what=f"read namespace {name!r}",
            missing_ok=True,
        )
        if obj is None:
            raise ObjectInvalid(f"The namespace {name!r} does not exist.", status=404)
        return dict((obj.get("metadata") or {}).get("labels") or {})

    # -- logs ----------------------------------------------------------------

    def pod_logs(
        self,
        pod: str,
        *,
        container: str | None = None,
        since_seconds: int | None = None,
        previous: bool = False,
        tail_lines: int | None = None,
    ) -> str:
        """A container's log. ObjectInvalid when there is none to read (not started, no previous run)."""
        query: builtins.list[tuple[str, str]] = []
        if container:
            query.append(("container", container))
        if since_seconds:
            query.append(("sinceSeconds", str(since_seconds)))
        if previous:
            query.append(("previous", "true"))
        if tail_lines:
            query.append(("tailLines", str(tail_lines)))
        path = f"{KINDS['Pod'].collection_path(self.namespace)}/{quote(pod, safe='')}/log"
        status, data = self._request(
            "GET", path, query=query, accept="*/*", what=f"read the log of pod {pod!r}"
        )
        if status == 200:
            return data.decode("utf-8", errors="replace")
        raise _error(status, data, f"read the log of pod {pod!r}")

    # -- authorization -------------------------------------------------------

    def subject_access_review(
        self,
        *,
        user: str,
        groups: builtins.list[str],
        verb: str,
        resource: str,
        group: str = "",
        subresource: str = "",
        name: str = "",
        namespace: str | None = None,
    ) -> Obj:
        """Ask the API server whether `user` may do `verb` on `resource`; returns the review's status.

        Creating a SubjectAccessReview stores nothing: it is the API's read-only way to
        evaluate authorization. `namespace=None` means this namespace, `""` cluster scope.
        """
        attributes: Obj = {"verb": verb, "resource": resource, "group": group}
        if subresource:
            attributes["subresource"] = subresource
        if name:
            attributes["name"] = name
        target_namespace = self.namespace if namespace is None else namespace
        if target_namespace:
            attributes["namespace"] = target_namespace
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
        }
        review = self._json(
            "POST",
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            body=body,
            what=f"review whether {user} may {verb} {resource}",
        )
        assert review is not None
        return dict(review.get("status") or {})

    # -- transport -----------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        *,
        what: str,
        query: builtins.list[tuple[str, str]] | None = None,
        body: Obj | None = None,
        missing_ok: bool = False,
    ) -> Obj | None:
        status, data = self._request(method, path, query=query, body=body, what=what)
        if status == 404 and missing_ok:
            return None
        if not 200 <= status < 300:
            raise _error(status, data, what)
        try:
            decoded = json.loads(data)
        except ValueError:
            raise ClusterUnavailable(
                f"Could not {what}: the API server sent something that is not JSON."
            ) from None
        if not isinstance(decoded, dict):
            raise ObjectInvalid(f"Could not {what}: the API server sent an unexpected answer.")
        return decoded

    def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        query: builtins.list[tuple[str, str]] | None = None,
        body: Obj | None = None,
        accept: str = "application/json",
    ) -> tuple[int, bytes]:
        if method != "GET":
            return self._send(method, path, what=what, query=query, body=body, accept=accept)
        key = (path, accept, tuple(query or ()))
        with self._locks_guard:
            lock = self._read_locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._reads:
                return self._reads[key]
            answer = self._send(method, path, what=what, query=query, body=body, accept=accept)
            if 200 <= answer[0] < 300 or answer[0] == 404:
                # Raw bytes, decoded again on each use: callers may change what they get.
                self._reads[key] = answer
            return answer

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        query: builtins.list[tuple[str, str]] | None = None,
        body: Obj | None = None,
        accept: str = "application/json",
    ) -> tuple[int, bytes]:
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            request = self._client.param_serialize(
                method=method,
                resource_path=path,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self._client.call_api(*request, _request_timeout=self.timeout)
            data = response.read()
        except ApiException as exc:
            # The REST layer raises status 0 for TLS failures and 429/5xx when it retried.
            if exc.status and not _is_temporary(exc.status):
                raise _error(exc.status, (exc.body or "").encode(), what) from exc
            raise ClusterUnavailable(
                f"Could not {what}: the Kubernetes API is unreachable ({exc.reason}).",
                status=exc.status or None,
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterUnavailable(f"Could not {what}: the Kubernetes API is unreachable ({exc}).") from exc
        return response.status, bytes(data or b"")


def _resource(kind: str) -> Resource:
    try:
        return KINDS[kind]
    except KeyError:
        raise ObjectInvalid(
            f"{kind!r} is not a kind the checks may read; known kinds: {', '.join(sorted(KINDS))}."
        ) from None


def _is_temporary(status: int) -> bool:
    return status in (408, 429) or status >= 500


def _error(status: int, data: bytes, what: str) -> ClusterUnavailable | ObjectInvalid:
    reason = _status_message(data) or f"HTTP {status}"
    message = f"Could not {what}: {reason}"
    if _is_temporary(status):
        return ClusterUnavailable(message, status=status)
    return ObjectInvalid(message, status=status)


def _status_message(data: bytes) -> str:
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", errors="replace").strip()[:300]
    if isinstance(body, dict):
        return str(body.get("message") or "")
    return ""


def _clean(kind: str, obj: Obj) -> Obj:
    """Secrets keep their keys but never their values, not even in the last-applied annotation."""
    if kind != "Secret":
        return obj
    for field in ("data", "stringData"):
        if isinstance(obj.get(field), dict):
            obj[field] = dict.fromkeys(obj[field], REDACTED)
    annotations = (obj.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
        annotations[_LAST_APPLIED] = REDACTED
    return obj
