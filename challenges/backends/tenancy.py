"""What makes an attempt's namespace a tenant of a shared cluster (the `namespace` backend).

Three parts, each enough to stop a class of escape on its own:

- platform-wide ValidatingAdmissionPolicies (tenancy-policies.yaml beside this file), one copy
  per installation, bound to that installation's attempt namespaces by their labels and
  matching only ServiceAccounts of the request's namespace, as the challenges' guards do;
- a NetworkPolicy in every attempt namespace that keeps egress to the namespace itself and the
  cluster DNS (so never to cloud metadata addresses, other tenants or the internet);
- the label `breakfix.dev/protected` on everything the platform puts in a namespace, which one
  of the policies uses to keep the learner from changing or deleting those objects.

The policies are applied whenever an environment is prepared: server-side apply changes nothing
when the text is the same, puts them back on a fresh cluster and rolls a new text out. Copies a
newer text no longer has are deleted.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import yaml
from kubernetes.client import ApiClient

from challenges.backends.base import INSTALLATION_LABEL, MANAGED_BY, PLATFORM, Obj
from challenges.kube import apply_documents
from challenges.kube.apply import ADMISSION, BINDING, GUARD_RESOURCES, POLICY
from validators.kube import call

# On the platform's own objects in a namespace: the learner may not change or delete them, nor
# put this label on theirs (tenancy-policies.yaml, breakfix-tenant-platform-objects).
PROTECTED_LABEL = "breakfix.dev/protected"
# On the tenancy policies and bindings, so an upgrade can find the copies it no longer has.
TENANCY_LABEL = "breakfix.dev/tenancy"
EGRESS_POLICY = "breakfix-egress"
POLICIES_FILE = Path(__file__).with_name("tenancy-policies.yaml")
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
EGRESS_DESCRIPTION = (
    "Set by the Breakfix platform for every environment: pods in this namespace may open "
    "connections only to pods of this namespace and to the cluster DNS (kube-system, "
    "k8s-app=kube-dns, port 53), never to other namespaces, the cloud metadata service or the "
    "internet. It selects every pod for Egress only, so your Ingress rules work as you write "
    "them. You cannot change or delete it, and the challenge's checks do not count it: they "
    "judge your own NetworkPolicies."
)


@cache
def policy_texts() -> tuple[Obj, ...]:
    documents = [doc for doc in yaml.safe_load_all(POLICIES_FILE.read_text()) if doc]
    for document in documents:
        if document.get("kind") != POLICY:
            raise ValueError(f"{POLICIES_FILE.name} holds only {POLICY} objects")
    return tuple(documents)


def _labels(prefix: str) -> dict[str, str]:
    return {MANAGED_BY: PLATFORM, INSTALLATION_LABEL: prefix, TENANCY_LABEL: "true"}


def _selector(prefix: str) -> str:
    return ",".join(f"{key}={value}" for key, value in _labels(prefix).items())


def tenancy_policies(prefix: str) -> list[Obj]:
    """The installation `prefix`'s copies of the tenancy policies, each with its binding.

    A copy is named `<policy>.<prefix>`; its binding selects the namespaces carrying this
    installation's labels, which only the platform sets (the learner may not label namespaces).
    """
    documents: list[Obj] = []
    for text in policy_texts():
        policy = copy.deepcopy(text)
        name = f"{policy['metadata']['name']}.{prefix}"
        policy["metadata"] = {"name": name, "labels": _labels(prefix)}
        binding = {
            "apiVersion": ADMISSION,
            "kind": BINDING,
            "metadata": {"name": name, "labels": _labels(prefix)},
            "spec": {
                "policyName": name,
                "validationActions": ["Deny"],
                "matchResources": {
                    "namespaceSelector": {"matchLabels": {MANAGED_BY: PLATFORM, INSTALLATION_LABEL: prefix}}
                },
            },
        }
        documents += [policy, binding]
    return documents


def tenancy_apply(api: ApiClient, prefix: str) -> None:
    """Make the cluster hold exactly this version's tenancy policies for `prefix`. Idempotent."""
    documents = tenancy_policies(prefix)
    # Policies before bindings: a binding of a policy that does not exist yet polices nothing.
    apply_documents(api, "", [doc for doc in documents if doc["kind"] == POLICY], cluster_scoped=True)
    apply_documents(api, "", [doc for doc in documents if doc["kind"] == BINDING], cluster_scoped=True)
    wanted = {(doc["kind"], doc["metadata"]["name"]) for doc in documents}
    selector = _selector(prefix)
    for kind in (BINDING, POLICY):
        resource = GUARD_RESOURCES[kind]
        listed = call(
            api,
            "GET",
            resource.collection(),
            what="list the tenancy policies",
            query=[("labelSelector", selector)],
        )
        for item in (listed or {}).get("items") or []:
            name = str(item["metadata"]["name"])
            if (kind, name) not in wanted:
                what = f"delete the old {kind} {name}"
                call(api, "DELETE", resource.item(name), what=what, missing_ok=True)


def protect(document: Obj) -> Obj:
    """`document` labelled as the platform's own: the learner may not change or delete it."""
    protected = copy.deepcopy(document)
    metadata = protected.setdefault("metadata", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), MANAGED_BY: PLATFORM, PROTECTED_LABEL: "true"}
    return protected


def egress_policy() -> Obj:
    """Egress from every pod of a namespace to that namespace and the cluster DNS, nowhere else.

    No ipBlock anywhere, so no address outside the cluster's pods (169.254.169.254 and
    fd00:ec2::254, the cloud metadata services, included) is ever allowed by it; and the
    tenant-egress policy keeps the learner's own policies from allowing more (allows add up).
    """
    return protect(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": EGRESS_POLICY,
                "annotations": {"kubernetes.io/description": EGRESS_DESCRIPTION},
            },
            "spec": {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"podSelector": {}}]},
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                                },
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": DNS_PORTS,
                    },
                ],
            },
        }
    )


def tenancy_remove(api: ApiClient, prefix: str) -> None:
    """Delete the installation `prefix`'s tenancy policies (uninstalling it). Idempotent."""
    selector = _selector(prefix)
    for kind in (BINDING, POLICY):
        call(
            api,
            "DELETE",
            GUARD_RESOURCES[kind].collection(),
            what="delete the tenancy policies",
            query=[("labelSelector", selector)],
            missing_ok=True,
        )
