"""The workspace's YAML editor: load an object, preview a server-side dry-run diff, apply.

Everything goes to the API server with the learner's own credentials (the token of the
attempt's `learner` ServiceAccount), so RBAC and the challenge's guards judge the editor
exactly as they judge kubectl. The API server's refusals are shown in its own words.

Apply is server-side apply with forced conflicts, under the field manager that applied the
challenge's starting state. So the editor's text becomes the object the way a manifest does
with `kubectl apply`: a field removed in the editor is removed from the object, and a changed
list key (a Service port number) replaces the entry instead of adding a second one. Fields a
controller or another tool wrote (a clusterIP, a `kubectl label`) are theirs and stay.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import yaml
from kubernetes.client import ApiClient

from challenges.backends.tenancy import PROTECTED_LABEL
from challenges.kube import apply_documents
from challenges.kube.apply import FIELD_MANAGER as CHALLENGE_FIELD_MANAGER
from challenges.kube.discovery import Discovery
from challenges.models import Attempt, AttemptEvent
from challenges.secrets import SecretUnreadable
from challenges.services.attempts import TIME_IS_UP, AttemptError, attempt_learner_kubeconfig
from validators.errors import KubeError
from validators.kube import Obj, Resource, call, client_from_text

FIELD_MANAGER = CHALLENGE_FIELD_MANAGER
MAX_TEXT = 200_000

# What the object picker lists, in this order: (apiVersion, kind).
EDITABLE_KINDS: tuple[tuple[str, str], ...] = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("v1", "Service"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Pod"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("v1", "PersistentVolumeClaim"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
)
API_VERSIONS = {kind: api_version for api_version, kind in EDITABLE_KINDS}
# The platform's own objects in every environment: not the challenge's, so not offered (nor is
# anything labelled PROTECTED_LABEL, which the learner may not change).
PLATFORM_OBJECTS = {
    ("ServiceAccount", "default"),
    ("ServiceAccount", "learner"),
    ("Role", "learner"),
    ("RoleBinding", "learner"),
    ("ConfigMap", "kube-root-ca.crt"),
}
# Metadata the server writes; loading shows the object as a learner would write it.
NOISY_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
NOISY_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")


class EditorError(Exception):
    """Something the learner should read: a YAML mistake, or the API server's refusal, verbatim."""


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    name: str

    @property
    def value(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class Change:
    """What one document of the editor does (or would do) to the namespace."""

    kind: str
    name: str
    action: str  # "create", "change" or "unchanged"
    diff: list[str] = field(default_factory=list)


def _kubeconfig(attempt: Attempt) -> str:
    try:
        return attempt_learner_kubeconfig(attempt=attempt)
    except (AttemptError, SecretUnreadable) as exc:
        raise EditorError("Your environment's credentials are not available: is it still running?") from exc


@contextmanager
def _learner_api(attempt: Attempt) -> Iterator[ApiClient]:
    if attempt.is_frozen:
        raise EditorError(TIME_IS_UP)
    if not attempt.is_workspace_open:
        raise EditorError("Your environment is not running.")
    try:
        with client_from_text(_kubeconfig(attempt)) as api:
            yield api
    except KubeError as exc:
        raise EditorError(str(exc)) from exc


def _namespace(attempt: Attempt) -> str:
    return attempt.environment


def _cluster_wide(attempt: Attempt) -> bool:
    return attempt.backend == "kind"


def clean(obj: Obj) -> Obj:
    """The object without the server's bookkeeping: what a learner would write."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    metadata = obj.get("metadata") or {}
    for key in NOISY_METADATA:
        metadata.pop(key, None)
    metadata.pop("namespace", None)
    annotations = metadata.get("annotations") or {}
    for key in NOISY_ANNOTATIONS:
        annotations.pop(key, None)
    if "annotations" in metadata and not annotations:
        metadata.pop("annotations")
    # apiVersion and kind first, as people write them.
    ordered: Obj = {"apiVersion": obj.pop("apiVersion", None), "kind": obj.pop("kind", None)}
    ordered.update(obj)
    return ordered


def to_yaml(obj: Obj) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def editor_objects(*, attempt: Attempt) -> list[ObjectRef]:
    """The challenge's objects in the namespace that the learner may read, for the picker."""
    refs: list[ObjectRef] = []
    namespace = _namespace(attempt)
    with _learner_api(attempt) as api:
        discovery = Discovery(api)
        for api_version, kind in EDITABLE_KINDS:
            try:
                resource = discovery.resolve(api_version, kind)
                listed = call(api, "GET", resource.collection(namespace), what=f"list {kind}", timeout=5)
            except KubeError:
                continue  # not served, or not allowed to list this kind: leave it out
            for item in (listed or {}).get("items") or []:
                metadata = item.get("metadata") or {}
                name = str(metadata.get("name", ""))
                # A controller's pods are changed through their controller.
                if (
                    (kind, name) in PLATFORM_OBJECTS
                    or PROTECTED_LABEL in (metadata.get("labels") or {})
                    or (kind == "Pod" and metadata.get("ownerReferences"))
                ):
                    continue
                refs.append(ObjectRef(kind=kind, name=name))
    return refs


def parse_ref(value: str) -> ObjectRef:
    kind, _, name = value.partition("/")
    if kind not in API_VERSIONS or not name:
        raise EditorError(f"Pick an object from the list (got {value!r}).")
    return ObjectRef(kind=kind, name=name)


def editor_load(*, attempt: Attempt, ref: ObjectRef) -> str:
    """One object of the namespace as YAML, without the server's bookkeeping."""
    with _learner_api(attempt) as api:
        resource = _resolve(Discovery(api), API_VERSIONS[ref.kind], ref.kind)
        obj = _read(api, resource, ref.name, _namespace(attempt), what=f"read {ref.kind} {ref.name}")
    if obj is None:
        raise EditorError(f'{ref.kind} "{ref.name}" is not there any more.')
    return to_yaml(clean(obj))


def _resolve(discovery: Discovery, api_version: str, kind: str) -> Resource:
    try:
        return discovery.resolve(api_version, kind)
    except KubeError as exc:
        raise EditorError(str(exc).removeprefix("Could not ")) from exc


def _read(api: ApiClient, resource: Resource, name: str, namespace: str, *, what: str) -> Obj | None:
    """One object with the learner's credentials; None when it does not exist."""
    try:
        return call(api, "GET", resource.item(name, namespace), what=what, missing_ok=True)
    except KubeError as exc:
        raise EditorError(str(exc)) from exc


def parse_documents(text: str, *, namespace: str, cluster_wide: bool) -> list[Obj]:
    """The editor's YAML as objects to apply; EditorError says what is wrong and where."""
    if len(text) > MAX_TEXT:
        raise EditorError(f"The editor holds at most {MAX_TEXT:,} characters.")
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise EditorError(f"This is not valid YAML{where}: {problem}.") from exc
    if not documents:
        raise EditorError("The editor is empty: load an object or write a manifest first.")
    for number, doc in enumerate(documents, start=1):
        which = f"Document {number}" if len(documents) > 1 else "The manifest"
        if not isinstance(doc, dict):
            raise EditorError(
                f"{which} is not a Kubernetes object (a mapping with apiVersion, kind, metadata)."
            )
        metadata = doc.get("metadata")
        for key in ("apiVersion", "kind"):
            if not isinstance(doc.get(key), str) or not doc[key]:
                raise EditorError(f"{which} has no {key}.")
        if (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("name"), str)
            or not metadata["name"]
        ):
            raise EditorError(f"{which} has no metadata.name.")
        given = metadata.get("namespace")
        if given not in (None, namespace) and not cluster_wide:
            raise EditorError(
                f"{which} says namespace {given!r}; your environment is the namespace {namespace!r}. "
                "Remove the namespace line: objects go into your namespace."
            )
    return documents


def _target(doc: Obj, namespace: str) -> str:
    # parse_documents allows another namespace only where the learner has the whole cluster.
    return str(doc["metadata"].get("namespace") or namespace)


def _apply_one(api: ApiClient, discovery: Discovery, namespace: str, doc: Obj, *, dry_run: bool) -> Obj:
    """Server-side apply one document (or its dry run) as challenges.kube applies manifests."""
    try:
        return apply_documents(
            api,
            _target(doc, namespace),
            [doc],
            FIELD_MANAGER,
            dry_run=dry_run,
            cluster_scoped=True,  # the learner's own credentials decide what they may create
            discovery=discovery,
        )[0]
    except KubeError as exc:
        raise EditorError(str(exc)) from exc


def _current(api: ApiClient, discovery: Discovery, namespace: str, doc: Obj) -> Obj | None:
    resource = _resolve(discovery, doc["apiVersion"], doc["kind"])
    what = f"read {doc['kind']} {doc['metadata']['name']}"
    return _read(api, resource, doc["metadata"]["name"], _target(doc, namespace), what=what)


def _change(doc: Obj, before: Obj | None, after: Obj) -> Change:
    old = to_yaml(clean(before)).splitlines() if before is not None else []
    new = to_yaml(clean(after)).splitlines()
    kind, name = doc["kind"], doc["metadata"]["name"]
    diff = list(difflib.unified_diff(old, new, "live", "after apply", lineterm="", n=3))[2:]
    if before is None:
        return Change(kind=kind, name=name, action="create", diff=diff)
    return Change(kind=kind, name=name, action="change" if diff else "unchanged", diff=diff)


def editor_diff(*, attempt: Attempt, text: str) -> list[Change]:
    """What applying `text` would change: a server-side dry run, compared with the live objects."""
    namespace = _namespace(attempt)
    documents = parse_documents(text, namespace=namespace, cluster_wide=_cluster_wide(attempt))
    changes = []
    with _learner_api(attempt) as api:
        discovery = Discovery(api)
        for doc in documents:
            before = _current(api, discovery, namespace, doc)
            after = _apply_one(api, discovery, namespace, doc, dry_run=True)
            changes.append(_change(doc, before, after))
    return changes


def editor_apply(*, attempt: Attempt, text: str) -> list[Change]:
    """Apply every document. All are dry-run first, so a refusal the API server can foresee (an
    invalid object, a forbidden one, a guard's) stops them all before any is applied; a failure
    only the real write meets (the API server going away mid-way) can leave the earlier ones
    applied, as `kubectl apply` of several objects would."""
    namespace = _namespace(attempt)
    documents = parse_documents(text, namespace=namespace, cluster_wide=_cluster_wide(attempt))
    changes = []
    with _learner_api(attempt) as api:
        discovery = Discovery(api)
        befores = []
        for doc in documents:
            befores.append(_current(api, discovery, namespace, doc))
            _apply_one(api, discovery, namespace, doc, dry_run=True)
        for doc, before in zip(documents, befores, strict=True):
            after = _apply_one(api, discovery, namespace, doc, dry_run=False)
            changes.append(_change(doc, before, after))
    summary = ", ".join(f"{c.kind}/{c.name} {c.action}" for c in changes)
    attempt.record(AttemptEvent.Kind.EDITOR_APPLY, summary, attempt.learner)
    return changes
