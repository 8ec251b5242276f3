"""What the checks read: one namespace, read-only, through the one Kubernetes transport.

Objects come back as plain dicts in the API's own camelCase, exactly as served (list items get
their `kind` and `apiVersion` back, as kubectl shows them). Every failure is one of this
library's errors (validators.kube.transport classifies them); the client's exceptions never escape.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import threading
from collections.abc import Collection

from kubernetes.client import ApiClient

from validators import selectors
from validators.errors import ObjectInvalid
from validators.kube import Answer, Obj, Query, Resource, request
from validators.view import AccessQuestion, LabelSelector, LogQuery

# The kinds an objective may name. A static allow-list: the checks never reach
# beyond what is listed here, whatever a challenge file asks for.
KINDS: dict[str, Resource] = {
    "Pod": Resource("v1", "pods"),
    "Service": Resource("v1", "services"),
    "ConfigMap": Resource("v1", "configmaps"),
    "Secret": Resource("v1", "secrets"),
    "ServiceAccount": Resource("v1", "serviceaccounts"),
    "PersistentVolumeClaim": Resource("v1", "persistentvolumeclaims"),
    "Event": Resource("v1", "events"),
    "EndpointSlice": Resource("discovery.k8s.io/v1", "endpointslices"),
    "Deployment": Resource("apps/v1", "deployments"),
    "ReplicaSet": Resource("apps/v1", "replicasets"),
    "StatefulSet": Resource("apps/v1", "statefulsets"),
    "DaemonSet": Resource("apps/v1", "daemonsets"),
    "Job": Resource("batch/v1", "jobs"),
    "CronJob": Resource("batch/v1", "cronjobs"),
    "NetworkPolicy": Resource("networking.k8s.io/v1", "networkpolicies"),
    "Ingress": Resource("networking.k8s.io/v1", "ingresses"),
    "ResourceQuota": Resource("v1", "resourcequotas"),
    "LimitRange": Resource("v1", "limitranges"),
    "Role": Resource("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": Resource("rbac.authorization.k8s.io/v1", "rolebindings"),
    "HorizontalPodAutoscaler": Resource("autoscaling/v2", "horizontalpodautoscalers"),
    "PodDisruptionBudget": Resource("policy/v1", "poddisruptionbudgets"),
}
NAMESPACES = Resource("v1", "namespaces", namespaced=False)
ACCESS_REVIEWS = Resource("authorization.k8s.io/v1", "subjectaccessreviews", namespaced=False)

REDACTED = "<redacted>"
type _ReadKey = tuple[str, str, tuple[tuple[str, str], ...]]
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_PAGE_SIZE = 500


class NamespaceView:
    """Read-only access to one namespace, with the platform's own credentials (a validators.View).

    A view is one check run's snapshot: each distinct read (path, query, accepted type) is sent
    to the API server once, however many objectives ask for it, and its answer is kept for the
    view's life. run_check's threads share the view: a lock per distinct read makes a second
    thread asking for a read in flight wait for that answer instead of sending it again, while
    different reads run in parallel. Only answers worth keeping are kept (a success or a 404);
    a failed read is sent again when asked again. Make a new view (or `fresh()`) for each run.

    `platform_objects` are (kind, name) pairs the platform keeps in every environment, such as
    its egress NetworkPolicy: the view does not show them, so the checks judge only the
    challenge's objects and the learner's (a reachability verdict counts the learner's policies
    alone). The backend names them; the learner cannot change or delete them there.

    `timeout` is each request's limit in seconds; by default the transport's (validators.kube).
    """

    def __init__(
        self,
        api_client: ApiClient,
        namespace: str,
        *,
        timeout: float | None = None,
        platform_objects: Collection[tuple[str, str]] = (),
    ) -> None:
        self._client = api_client
        self.namespace = namespace
        self.timeout = timeout
        self._hidden = frozenset(platform_objects)
        self._reads: dict[_ReadKey, Answer] = {}
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
        if (kind, name) in self._hidden:
            return None
        obj = self._json(resource.item(name, self.namespace), what=f"read {kind} {name!r}", missing_ok=True)
        return None if obj is None else _clean(kind, obj)

    def list(self, kind: str, label_selector: LabelSelector = None) -> builtins.list[Obj]:
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
            page = self._json(resource.collection(self.namespace), query=page_query, what=f"list {kind}s")
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
        path = KINDS["Secret"].item(name, self.namespace)
        obj = self._json(path, what=f"read Secret {name!r}", missing_ok=True)
        if obj is None:
            return None
        encoded = (obj.get("data") or {}).get(key)
        if not isinstance(encoded, str):
            return None
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ObjectInvalid(f"Secret {name!r} holds a {key} that is not valid base64.") from None

    def pods(self, label_selector: LabelSelector = None) -> builtins.list[Obj]:
        return self.list("Pod", label_selector)

    def nodes(self) -> builtins.list[Obj]:
        """The cluster's nodes (cluster-scoped, read with the platform's credentials): where pods run."""
        page = self._json("/api/v1/nodes", what="list nodes") or {}
        return [{"kind": "Node", "apiVersion": "v1", **item} for item in page.get("items") or []]

    def network_policies(self) -> builtins.list[Obj]:
        return self.list("NetworkPolicy")

    def events(self) -> builtins.list[Obj]:
        return self.list("Event")

    def namespace_labels(self, name: str | None = None) -> dict[str, str]:
        """The labels of a namespace (this one by default), for NetworkPolicy namespaceSelectors."""
        name = name or self.namespace
        obj = self._json(NAMESPACES.item(name), what=f"read namespace {name!r}", missing_ok=True)
        if obj is None:
            raise ObjectInvalid(f"The namespace {name!r} does not exist.", status=404, reason="NotFound")
        return dict((obj.get("metadata") or {}).get("labels") or {})

    # -- logs ----------------------------------------------------------------

    def pod_logs(self, query: LogQuery) -> str:
        """A container's log. ObjectInvalid when there is none to read (not started, no previous run)."""
        params: builtins.list[tuple[str, str]] = []
        if query.container:
            params.append(("container", query.container))
        if query.since_seconds:
            params.append(("sinceSeconds", str(query.since_seconds)))
        if query.previous:
            params.append(("previous", "true"))
        if query.tail_lines:
            params.append(("tailLines", str(query.tail_lines)))
        what = f"read the log of pod {query.pod!r}"
        path = f"{KINDS['Pod'].item(query.pod, self.namespace)}/log"
        answer = self._read(path, query=params, accept="*/*", what=what)
        if answer.ok:
            return answer.data.decode("utf-8", errors="replace")
        raise answer.error(what)

    # -- authorization -------------------------------------------------------

    def subject_access_review(self, question: AccessQuestion) -> Obj:
        """Ask the API server whether someone may act; returns the review's status.

        Creating a SubjectAccessReview stores nothing: it is the API's read-only way to
        evaluate authorization, so it is asked every time, never kept.
        """
        attributes: Obj = {"verb": question.verb, "resource": question.resource, "group": question.group}
        if question.subresource:
            attributes["subresource"] = question.subresource
        if question.name:
            attributes["name"] = question.name
        target_namespace = self.namespace if question.namespace is None else question.namespace
        if target_namespace:
            attributes["namespace"] = target_namespace
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": question.user, "groups": question.groups, "resourceAttributes": attributes},
        }
        what = f"review whether {question.user} may {question.verb} {question.resource}"
        answer = request(
            self._client, "POST", ACCESS_REVIEWS.collection(), what=what, body=body, timeout=self.timeout
        )
        if not answer.ok:
            raise answer.error(what)
        return dict(answer.json(what).get("status") or {})

    # -- reads, each sent once per view --------------------------------------

    def _json(self, path: str, *, what: str, query: Query = (), missing_ok: bool = False) -> Obj | None:
        answer = self._read(path, query=query, what=what)
        if answer.status == 404 and missing_ok:
            return None
        if not answer.ok:
            raise answer.error(what)
        return answer.json(what)

    def _read(self, path: str, *, what: str, query: Query = (), accept: str = "application/json") -> Answer:
        key = (path, accept, tuple(query))
        with self._locks_guard:
            lock = self._read_locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._reads:
                return self._reads[key]
            answer = request(
                self._client, "GET", path, what=what, query=query, accept=accept, timeout=self.timeout
            )
            if answer.ok or answer.status == 404:
                # Raw bytes, decoded again on each use: callers may change what they get.
                self._reads[key] = answer
            return answer


def _resource(kind: str) -> Resource:
    try:
        return KINDS[kind]
    except KeyError:
        raise ObjectInvalid(
            f"{kind!r} is not a kind the checks may read; known kinds: {', '.join(sorted(KINDS))}."
        ) from None


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
