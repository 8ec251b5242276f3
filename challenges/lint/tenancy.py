"""What a challenge's objects may not do: reach past the attempt, or take the platform's place.

The platform applies a challenge's objects with its own credentials, so neither RBAC nor the
tenancy policies (challenges/backends/tenancy-policies.yaml, which match only the learner) stand
in their way. These rules hold the content to the line the learner is held to on a shared cluster
(but for made-up users in RoleBindings, which RBAC scenarios need), and say so at lint time
rather than at every Start:

- `platform_problems`, everywhere: no object in the platform's place (its ServiceAccount, Role,
  quota, egress policy...), no label of the platform's, no finalizers that would hold teardown;
- `shared_cluster_problems`, where an attempt is a namespace of a shared cluster: no host paths,
  host namespaces, privileged containers or host ports (Pod Security `baseline`, which that
  namespace enforces); no Service external IPs, node ports or load balancers; no claims on
  existing volumes; no RoleBinding of the cluster's system: users and groups, of another
  namespace's ServiceAccounts or of a broad ClusterRole; no token Secrets that never expire; no
  egress rule wider than the platform's own. On a cluster of its own (kind) the learner is its
  administrator, and these are the scenario's to choose.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from challenges.lint.problems import Loc

Obj = dict[str, Any]
Found = tuple[Loc, str]

# (kind, name) of what the backends put in every environment (backends/namespace.py and kind.py;
# a test holds this to their access_documents): a challenge's object of the same name would take
# its place, with the learner's rights or the tenant's limits in it.
RESERVED = frozenset(
    {
        ("ServiceAccount", "learner"),
        ("Role", "learner"),
        ("RoleBinding", "learner"),
        ("ResourceQuota", "breakfix"),
        ("LimitRange", "breakfix"),
        ("NetworkPolicy", "breakfix-egress"),
        ("ClusterRoleBinding", "breakfix-learner"),
        ("ConfigMap", "kube-root-ca.crt"),
    }
)
PLATFORM_LABEL_DOMAINS = ("breakfix.dev/",)
# Pod Security "baseline": the capabilities a container may add.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
BINDABLE_CLUSTER_ROLES = frozenset({"view", "edit"})
# Where each workload kind keeps its pod spec.
POD_SPECS: dict[str, Loc] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _get(obj: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(part, int):
            obj = obj[part] if isinstance(obj, list) and part < len(obj) else None
        else:
            obj = obj.get(part) if isinstance(obj, dict) else None
        if obj is None:
            return None
    return obj


def _items(obj: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    value = _get(obj, loc)
    for index, item in enumerate(value if isinstance(value, list) else []):
        yield (*loc, index), item


def platform_problems(doc: Obj) -> list[Found]:
    kind, metadata = doc.get("kind"), doc.get("metadata") or {}
    found: list[Found] = []
    if (kind, metadata.get("name")) in RESERVED:
        found.append(
            (
                ("metadata", "name"),
                f"the platform puts its own {kind} {metadata.get('name')!r} in every environment: "
                "give this one another name",
            )
        )
    for key in metadata.get("labels") or {}:
        if str(key).startswith(PLATFORM_LABEL_DOMAINS):
            found.append(
                (
                    ("metadata", "labels", key),
                    "labels under breakfix.dev/ are the platform's: use another key",
                )
            )
    if metadata.get("finalizers"):
        found.append(
            (
                ("metadata", "finalizers"),
                "finalizers would hold the environment's teardown until someone removes them: remove them",
            )
        )
    return found


def shared_cluster_problems(doc: Obj) -> list[Found]:
    kind = str(doc.get("kind"))
    found: list[Found] = []
    if kind in POD_SPECS:
        found += _pod_spec(doc, POD_SPECS[kind])
    checks = {
        "Service": _service,
        "PersistentVolumeClaim": _claim,
        "RoleBinding": _role_binding,
        "Secret": _secret,
        "NetworkPolicy": _network_policy,
    }
    if kind in checks:
        found += checks[kind](doc)
    return found


def _pod_spec(doc: Obj, spec: Loc) -> list[Found]:
    found: list[Found] = []
    for loc, volume in _items(doc, (*spec, "volumes")):
        if isinstance(volume, dict) and "hostPath" in volume:
            found.append(
                (
                    (*loc, "hostPath"),
                    "hostPath volumes mount the node's own files: use an emptyDir or a ConfigMap",
                )
            )
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if _get(doc, (*spec, field)) is True:
            found.append(
                ((*spec, field), f"{field} shares the node's own namespaces with the pod: remove it")
            )
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for loc, container in _items(doc, (*spec, group)):
            found += _container(container, loc)
    return found


def _container(container: Any, loc: Loc) -> list[Found]:
    found: list[Found] = []
    if _get(container, ("securityContext", "privileged")) is True:
        found.append(
            ((*loc, "securityContext", "privileged"), "privileged containers control the node: remove it")
        )
    added = _get(container, ("securityContext", "capabilities", "add")) or []
    extra = sorted(str(c) for c in added if str(c) not in BASELINE_CAPABILITIES)
    if extra:
        found.append(
            (
                (*loc, "securityContext", "capabilities", "add"),
                f"{', '.join(extra)} reach beyond the container (Pod Security baseline): drop them",
            )
        )
    for port_loc, port in _items(container, ("ports",)):
        if isinstance(port, dict) and port.get("hostPort"):
            found.append(
                (
                    (*loc, *port_loc, "hostPort"),
                    "hostPort opens a port on the node itself: reach the pod through a Service",
                )
            )
    return found


def _service(doc: Obj) -> list[Found]:
    found: list[Found] = []
    if _get(doc, ("spec", "externalIPs")):
        found.append(
            (
                ("spec", "externalIPs"),
                "external IPs would capture traffic meant for other machines (CVE-2020-8554): remove them",
            )
        )
    if _get(doc, ("spec", "type")) in ("NodePort", "LoadBalancer"):
        found.append(
            (
                ("spec", "type"),
                "NodePort and LoadBalancer Services open the shared nodes to the outside: use ClusterIP",
            )
        )
    return found


def _claim(doc: Obj) -> list[Found]:
    found: list[Found] = []
    if _get(doc, ("spec", "volumeName")):
        found.append(
            (
                ("spec", "volumeName"),
                "a claim may not name an existing volume: ask by storageClassName and size",
            )
        )
    if _get(doc, ("spec", "selector")):
        found.append(
            (
                ("spec", "selector"),
                "a claim may not pick existing volumes by label: ask by storageClassName and size",
            )
        )
    if _get(doc, ("spec", "dataSourceRef", "namespace")):
        found.append(
            (
                ("spec", "dataSourceRef", "namespace"),
                "a claim may copy data only from its own namespace: remove namespace",
            )
        )
    return found


def _role_binding(doc: Obj) -> list[Found]:
    found: list[Found] = []
    role = _get(doc, ("roleRef",)) or {}
    if role.get("kind") == "ClusterRole" and role.get("name") not in BINDABLE_CLUSTER_ROLES:
        found.append(
            (
                ("roleRef", "name"),
                f"a challenge may bind the ClusterRoles {' and '.join(sorted(BINDABLE_CLUSTER_ROLES))} only, "
                f"not {role.get('name')!r}: write a Role with what the scenario needs",
            )
        )
    for loc, subject in _items(doc, ("subjects",)):
        if not isinstance(subject, dict):
            continue
        name = str(subject.get("name", ""))
        if subject.get("kind") in ("User", "Group") and name.startswith("system:"):
            # system:authenticated, system:anonymous, system:serviceaccounts...: everyone, or every
            # pod, of the shared cluster. A made-up user for an RBAC scenario ("reporter") is fine.
            found.append(
                (
                    (*loc, "name"),
                    f"{name!r} stands for many users or pods of the whole cluster: bind a made-up user, "
                    "or a ServiceAccount of the attempt's namespace",
                )
            )
        elif subject.get("kind") == "ServiceAccount" and subject.get("namespace"):
            found.append(
                (
                    (*loc, "namespace"),
                    "leave the namespace out: a ServiceAccount subject without one is the attempt's own",
                )
            )
    return found


def _secret(doc: Obj) -> list[Found]:
    if doc.get("type") == "kubernetes.io/service-account-token":
        return [(("type",), "such a Secret holds a token that never expires: use type Opaque")]
    return []


def _network_policy(doc: Obj) -> list[Found]:
    found: list[Found] = []
    for loc, rule in _items(doc, ("spec", "egress")):
        peers = rule.get("to") if isinstance(rule, dict) else None
        if not peers:
            found.append(
                (loc, "an egress rule without `to` allows every destination: name the pods it may reach")
            )
            continue
        for peer_loc, peer in _items(rule, ("to",)):
            if isinstance(peer, dict) and "ipBlock" in peer:
                found.append(
                    (
                        (*loc, *peer_loc, "ipBlock"),
                        "egress to addresses (ipBlock) reaches outside the attempt: use a podSelector",
                    )
                )
            elif isinstance(peer, dict) and "namespaceSelector" in peer and not _cluster_dns(rule, peer):
                found.append(
                    (
                        (*loc, *peer_loc, "namespaceSelector"),
                        "egress to other namespaces reaches outside the attempt: use a podSelector alone "
                        "(cluster DNS is allowed already)",
                    )
                )
    return found


def _cluster_dns(rule: Obj, peer: Obj) -> bool:
    """The one other namespace egress may name, as the platform's own egress policy does: the
    cluster DNS pods, on port 53."""
    namespace = _get(peer, ("namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"))
    app = _get(peer, ("podSelector", "matchLabels", "k8s-app"))
    ports = rule.get("ports") or []
    return (
        namespace == "kube-system"
        and app == "kube-dns"
        and bool(ports)
        and all(isinstance(p, dict) and str(p.get("port")) == "53" and "endPort" not in p for p in ports)
    )
