"""The NetworkPolicy engine on its own, against the examples of the Kubernetes documentation.

Each case names where it comes from in
https://kubernetes.io/docs/concepts/services-networking/network-policies/
(or the API reference of NetworkPolicySpec), the policies in force, a source pod,
a destination pod and a port, and the answer the documentation gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from validators.netpol import ContainerPort, PodRef, decide, policy_types

NAMESPACES = {
    "default": {"kubernetes.io/metadata.name": "default"},
    "myproject": {"kubernetes.io/metadata.name": "myproject", "project": "myproject"},
    "other": {"kubernetes.io/metadata.name": "other"},
    "alice": {"kubernetes.io/metadata.name": "alice", "user": "alice"},
    "bob": {"kubernetes.io/metadata.name": "bob", "user": "bob"},
}


def pod(
    name: str,
    labels: dict[str, str] | None = None,
    *,
    ns: str = "default",
    ip: str | None = None,
    ports: tuple[ContainerPort, ...] = (),
) -> PodRef:
    return PodRef(name=name, namespace=ns, labels=labels or {}, ip=ip, ports=ports)


def policy(name: str, spec: dict[str, Any], ns: str = "default") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


# -- the policies of the documentation ------------------------------------------------------------

# "The NetworkPolicy resource": the `test-network-policy` example.
TEST_NETWORK_POLICY = policy(
    "test-network-policy",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
        "egress": [
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}
        ],
    },
)
DEFAULT_DENY_INGRESS = policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_ALL_INGRESS = policy(
    "allow-all-ingress", {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}
)
DEFAULT_DENY_EGRESS = policy("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_ALL_EGRESS = policy("allow-all-egress", {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
DEFAULT_DENY_ALL = policy("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
# "Behavior of to and from selectors": one peer with both selectors (AND) ...
AND_PEER = policy(
    "alice-clients",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"user": "alice"}},
                        "podSelector": {"matchLabels": {"role": "client"}},
                    }
                ]
            }
        ],
    },
)
# ... and two peers, one selector each (OR).
OR_PEERS = policy(
    "alice-or-clients",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "ingress": [
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"user": "alice"}}},
                    {"podSelector": {"matchLabels": {"role": "client"}}},
                ]
            }
        ],
    },
)
# "Targeting a range of ports".
END_PORT = policy(
    "multi-port-egress",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}],
            }
        ],
    },
)
# NetworkPolicyPort: "port ... can be a number or a named port on a pod".
NAMED_INGRESS = policy(
    "allow-http",
    {
        "podSelector": {"matchLabels": {"app": "web"}},
        "ingress": [{"ports": [{"port": "http"}]}],
    },
)
NAMED_EGRESS = policy(
    "egress-to-api-http",
    {
        "podSelector": {"matchLabels": {"app": "web"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": "http"}]}],
    },
)
# NetworkPolicySpec.policyTypes: "If this field is not specified, it will default based on the
# existence of ingress or egress rules; policies that contain an egress section are assumed to
# affect egress, and all policies (whether or not they contain an ingress section) are assumed to
# affect ingress."
EGRESS_RULES_NO_TYPES = policy(
    "egress-only-rules",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "egress": [{"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}],
    },
)
INGRESS_RULES_NO_TYPES = policy(
    "ingress-only-rules",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}]}],
    },
)
EMPTY_EGRESS_NO_TYPES = policy("empty-egress", {"podSelector": {"matchLabels": {"role": "db"}}, "egress": []})
TYPES_IGNORE_EGRESS_RULES = policy(
    "ingress-type-only",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress"],
        "ingress": [{}],
        "egress": [{"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}],
    },
)
SAME_NAMESPACE = policy("same-namespace", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
ANY_NAMESPACE = policy(
    "any-namespace",
    {
        "podSelector": {},
        "ingress": [{"from": [{"namespaceSelector": {}}]}],
    },
)
EXPRESSIONS = policy(
    "tiers",
    {
        "podSelector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["db", "cache"]}]},
        "ingress": [
            {
                "from": [
                    {
                        "podSelector": {
                            "matchExpressions": [
                                {"key": "tier", "operator": "NotIn", "values": ["batch"]},
                                {"key": "role", "operator": "Exists"},
                            ]
                        }
                    }
                ]
            }
        ],
    },
)
OTHER_NAMESPACE_DENY = policy("deny-in-other", {"podSelector": {}, "policyTypes": ["Ingress"]}, ns="other")
EMPTY_FROM = policy(
    "empty-from",
    {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [], "ports": [{"port": 6379}]}]},
)
UDP_ONLY = policy(
    "udp-only",
    {"podSelector": {"matchLabels": {"role": "dns"}}, "ingress": [{"ports": [{"protocol": "UDP"}]}]},
)
IPBLOCK_ONLY = policy(
    "ipblock-only",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
    },
)

# -- the pods -----------------------------------------------------------------------------------

DB = pod("db-0", {"role": "db"}, ip="10.0.0.20")
DB_2 = pod("db-1", {"role": "db"}, ip="10.0.0.21")
FRONTEND = pod("frontend-0", {"role": "frontend"}, ip="10.0.0.30")
BACKEND_IN_BLOCK = pod("backend-0", {"role": "backend"}, ip="172.17.0.5")
BACKEND_IN_EXCEPT = pod("backend-1", {"role": "backend"}, ip="172.17.1.5")
BACKEND_OUTSIDE = pod("backend-2", {"role": "backend"}, ip="192.168.1.1")
MYPROJECT_POD = pod("anything-0", {"app": "anything"}, ns="myproject", ip="10.0.0.40")
OTHER_FRONTEND = pod("frontend-x", {"role": "frontend"}, ns="other", ip="10.0.0.41")
IN_CIDR = pod("svc-0", {"app": "svc"}, ip="10.0.0.7")
OUT_OF_CIDR = pod("svc-1", {"app": "svc"}, ip="10.0.1.7")
ALICE_CLIENT = pod("client-a", {"role": "client"}, ns="alice", ip="10.0.0.50")
ALICE_OTHER = pod("other-a", {"role": "other"}, ns="alice", ip="10.0.0.51")
BOB_CLIENT = pod("client-b", {"role": "client"}, ns="bob", ip="10.0.0.52")
LOCAL_CLIENT = pod("client-0", {"role": "client"}, ip="10.0.0.53")
WEB = pod("web-0", {"app": "web"}, ip="10.0.0.60", ports=(ContainerPort(8080, "http"),))
WEB_NO_NAMES = pod("web-1", {"app": "web"}, ip="10.0.0.61", ports=(ContainerPort(8080),))
API_8080 = pod("api-0", {"app": "api"}, ip="10.0.0.70", ports=(ContainerPort(8080, "http"),))
API_9090 = pod("api-1", {"app": "api"}, ip="10.0.0.71", ports=(ContainerPort(9090, "http"),))
CACHE = pod("cache-0", {"role": "cache"}, ip="10.0.0.80")
BATCH = pod("batch-0", {"role": "worker", "tier": "batch"}, ip="10.0.0.81")
WORKER = pod("worker-0", {"role": "worker", "tier": "online"}, ip="10.0.0.82")
UNLABELLED = pod("plain-0", ip="10.0.0.83")
DNS = pod("dns-0", {"role": "dns"}, ip="10.0.0.90")
NO_IP = pod("pending-0", {"role": "backend"})


@dataclass(frozen=True)
class Case:
    id: str
    policies: list[dict[str, Any]]
    source: PodRef
    destination: PodRef
    port: int
    allowed: bool
    protocol: str = "TCP"
    reason_mentions: tuple[str, ...] = field(default_factory=tuple)


CASES = [
    # test-network-policy: ingress to role=db on TCP 6379
    Case(
        "example-admits-frontend-pods-of-its-namespace",
        [TEST_NETWORK_POLICY],
        FRONTEND,
        DB,
        6379,
        True,
        reason_mentions=("`test-network-policy`", "(ingress)"),
    ),
    Case(
        "example-refuses-frontend-on-another-port",
        [TEST_NETWORK_POLICY],
        FRONTEND,
        DB,
        6380,
        False,
        reason_mentions=("`test-network-policy` selects role=db for Ingress", "role=frontend on TCP 6380"),
    ),
    Case(
        "example-admits-any-pod-of-a-project-namespace", [TEST_NETWORK_POLICY], MYPROJECT_POD, DB, 6379, True
    ),
    Case(
        "example-refuses-frontend-pods-of-other-namespaces",
        [TEST_NETWORK_POLICY],
        OTHER_FRONTEND,
        DB,
        6379,
        False,
    ),
    Case("example-admits-an-ip-in-the-block", [TEST_NETWORK_POLICY], BACKEND_IN_BLOCK, DB, 6379, True),
    Case(
        "example-refuses-an-ip-in-the-except-range", [TEST_NETWORK_POLICY], BACKEND_IN_EXCEPT, DB, 6379, False
    ),
    Case("example-refuses-an-ip-outside-the-block", [TEST_NETWORK_POLICY], BACKEND_OUTSIDE, DB, 6379, False),
    Case("example-refuses-ipblock-for-a-pod-without-ip", [TEST_NETWORK_POLICY], NO_IP, DB, 6379, False),
    # test-network-policy: egress from role=db to 10.0.0.0/24 on TCP 5978
    Case(
        "example-lets-db-reach-the-cidr-on-5978",
        [TEST_NETWORK_POLICY],
        DB,
        IN_CIDR,
        5978,
        True,
        reason_mentions=("(egress)", "no policy selects app=svc for Ingress"),
    ),
    Case(
        "example-stops-db-egress-on-another-port",
        [TEST_NETWORK_POLICY],
        DB,
        IN_CIDR,
        6379,
        False,
        reason_mentions=("for Egress",),
    ),
    Case("example-stops-db-egress-outside-the-cidr", [TEST_NETWORK_POLICY], DB, OUT_OF_CIDR, 5978, False),
    Case("example-leaves-unselected-pods-alone", [TEST_NETWORK_POLICY], FRONTEND, IN_CIDR, 1234, True),
    Case(
        "example-needs-both-directions-between-db-pods",
        [TEST_NETWORK_POLICY],
        DB,
        DB_2,
        6379,
        False,
        reason_mentions=("for Ingress", "for Egress"),
    ),
    # Default policies
    Case(
        "default-deny-ingress-blocks-every-pod",
        [DEFAULT_DENY_INGRESS],
        FRONTEND,
        DB,
        80,
        False,
        reason_mentions=("policy `default-deny-ingress` selects role=db for Ingress",),
    ),
    Case(
        "default-deny-ingress-leaves-egress-open", [DEFAULT_DENY_INGRESS], FRONTEND, OTHER_FRONTEND, 80, True
    ),
    Case("default-deny-ingress-only-governs-its-namespace", [OTHER_NAMESPACE_DENY], FRONTEND, DB, 80, True),
    Case(
        "allow-all-ingress-adds-to-default-deny",
        [DEFAULT_DENY_INGRESS, ALLOW_ALL_INGRESS],
        FRONTEND,
        DB,
        80,
        True,
        reason_mentions=("`allow-all-ingress`",),
    ),
    Case("allow-all-ingress-alone", [ALLOW_ALL_INGRESS], OTHER_FRONTEND, DB, 443, True),
    Case(
        "default-deny-egress-blocks-every-pod",
        [DEFAULT_DENY_EGRESS],
        FRONTEND,
        OTHER_FRONTEND,
        80,
        False,
        reason_mentions=("`default-deny-egress` selects role=frontend for Egress",),
    ),
    Case("default-deny-egress-leaves-ingress-open", [DEFAULT_DENY_EGRESS], OTHER_FRONTEND, DB, 80, True),
    Case(
        "allow-all-egress-adds-to-default-deny",
        [DEFAULT_DENY_EGRESS, ALLOW_ALL_EGRESS],
        FRONTEND,
        DB,
        80,
        True,
    ),
    Case(
        "default-deny-all-blocks-both-ways",
        [DEFAULT_DENY_ALL],
        FRONTEND,
        DB,
        80,
        False,
        reason_mentions=("for Ingress", "for Egress"),
    ),
    Case("default-deny-all-blocks-traffic-from-outside", [DEFAULT_DENY_ALL], OTHER_FRONTEND, DB, 80, False),
    # namespaceSelector AND podSelector vs OR
    Case("and-peer-admits-the-right-pod-in-the-right-namespace", [AND_PEER], ALICE_CLIENT, DB, 80, True),
    Case("and-peer-refuses-another-pod-of-that-namespace", [AND_PEER], ALICE_OTHER, DB, 80, False),
    Case("and-peer-refuses-the-right-pod-in-another-namespace", [AND_PEER], BOB_CLIENT, DB, 80, False),
    Case("or-peers-admit-any-pod-of-the-namespace", [OR_PEERS], ALICE_OTHER, DB, 80, True),
    Case("or-peers-admit-matching-pods-of-the-policy-namespace", [OR_PEERS], LOCAL_CLIENT, DB, 80, True),
    Case("or-peers-podselector-stays-in-the-policy-namespace", [OR_PEERS], BOB_CLIENT, DB, 80, False),
    # endPort
    Case("end-port-range-includes-its-start", [END_PORT], DB, IN_CIDR, 32000, True),
    Case("end-port-range-includes-its-end", [END_PORT], DB, IN_CIDR, 32768, True),
    Case("end-port-range-excludes-the-next-port", [END_PORT], DB, IN_CIDR, 32769, False),
    Case("end-port-range-excludes-the-port-before", [END_PORT], DB, IN_CIDR, 31999, False),
    Case("end-port-range-is-for-its-protocol-only", [END_PORT], DB, IN_CIDR, 32000, False, protocol="UDP"),
    # Named ports
    Case("named-ingress-port-resolves-on-the-destination", [NAMED_INGRESS], FRONTEND, WEB, 8080, True),
    Case("named-ingress-port-is-not-another-port", [NAMED_INGRESS], FRONTEND, WEB, 80, False),
    Case(
        "named-ingress-port-needs-the-name-on-the-pod", [NAMED_INGRESS], FRONTEND, WEB_NO_NAMES, 8080, False
    ),
    Case("named-egress-port-resolves-on-the-destination", [NAMED_EGRESS], WEB, API_8080, 8080, True),
    Case("named-egress-port-follows-each-destination", [NAMED_EGRESS], WEB, API_9090, 8080, False),
    Case("named-egress-port-on-its-own-number", [NAMED_EGRESS], WEB, API_9090, 9090, True),
    # policyTypes defaulting
    Case(
        "egress-rules-without-types-also-isolate-ingress",
        [EGRESS_RULES_NO_TYPES],
        FRONTEND,
        DB,
        6379,
        False,
        reason_mentions=("`egress-only-rules` selects role=db for Ingress",),
    ),
    Case(
        "egress-rules-without-types-isolate-egress",
        [EGRESS_RULES_NO_TYPES],
        DB,
        IN_CIDR,
        80,
        False,
        reason_mentions=("for Egress",),
    ),
    Case(
        "ingress-rules-without-types-leave-egress-open", [INGRESS_RULES_NO_TYPES], DB, OUT_OF_CIDR, 80, True
    ),
    Case("ingress-rules-without-types-admit-their-peers", [INGRESS_RULES_NO_TYPES], FRONTEND, DB, 80, True),
    Case(
        "empty-egress-list-without-types-is-ingress-only", [EMPTY_EGRESS_NO_TYPES], DB, OUT_OF_CIDR, 80, True
    ),
    Case(
        "empty-egress-list-without-types-isolates-ingress", [EMPTY_EGRESS_NO_TYPES], FRONTEND, DB, 80, False
    ),
    Case("declared-types-ignore-egress-rules", [TYPES_IGNORE_EGRESS_RULES], DB, OUT_OF_CIDR, 80, True),
    # Empty selectors, expressions, empty lists
    Case("empty-pod-selector-peer-means-the-policy-namespace", [SAME_NAMESPACE], FRONTEND, DB, 80, True),
    Case("empty-pod-selector-peer-refuses-other-namespaces", [SAME_NAMESPACE], OTHER_FRONTEND, DB, 80, False),
    Case("empty-namespace-selector-peer-means-every-namespace", [ANY_NAMESPACE], BOB_CLIENT, DB, 80, True),
    Case("match-expressions-select-and-admit", [EXPRESSIONS], WORKER, CACHE, 80, True),
    Case("match-expressions-notin-refuses", [EXPRESSIONS], BATCH, CACHE, 80, False),
    Case("match-expressions-exists-refuses-unlabelled", [EXPRESSIONS], UNLABELLED, DB, 80, False),
    Case("match-expressions-leave-other-roles-unselected", [EXPRESSIONS], UNLABELLED, FRONTEND, 80, True),
    Case("empty-from-list-admits-every-source", [EMPTY_FROM], OTHER_FRONTEND, DB, 6379, True),
    Case("rule-ports-still-apply-with-empty-from", [EMPTY_FROM], OTHER_FRONTEND, DB, 6380, False),
    Case("protocol-without-port-admits-all-its-ports", [UDP_ONLY], FRONTEND, DNS, 53, True, protocol="UDP"),
    Case("protocol-without-port-refuses-other-protocols", [UDP_ONLY], FRONTEND, DNS, 53, False),
    Case("ipblock-everything-admits-a-pod-with-an-ip", [IPBLOCK_ONLY], FRONTEND, DB, 80, True),
    Case("ipblock-everything-refuses-a-pod-without-ip", [IPBLOCK_ONLY], NO_IP, DB, 80, False),
    Case(
        "no-policies-allow-everything",
        [],
        FRONTEND,
        DB,
        80,
        True,
        reason_mentions=("no policy selects role=db for Ingress or role=frontend for Egress",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_it_decides_like_the_documentation(case: Case) -> None:
    decision = decide(
        case.source,
        case.destination,
        case.port,
        policies=case.policies,
        namespaces=NAMESPACES,
        protocol=case.protocol,
    )
    assert decision.allowed is case.allowed, decision.reason
    assert decision.reason.startswith("allowed: " if case.allowed else "blocked: ")
    for text in case.reason_mentions:
        assert text in decision.reason


def test_the_table_is_broad() -> None:
    assert len(CASES) >= 30
    assert sum(c.allowed for c in CASES) >= 10
    assert sum(not c.allowed for c in CASES) >= 10


def test_it_names_every_isolating_policy_when_blocked() -> None:
    deny = policy("deny-a", {"podSelector": {}, "policyTypes": ["Ingress"]})
    web_only = policy(
        "web-only",
        {
            "podSelector": {"matchLabels": {"role": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        },
    )
    decision = decide(FRONTEND, DB, 80, policies=[deny, web_only], namespaces=NAMESPACES)
    assert not decision.allowed
    assert decision.reason == (
        "blocked: policies `deny-a`, `web-only` select role=db for Ingress "
        "and no policy admits role=frontend on TCP 80"
    )
    assert decision.ingress.selecting == ("deny-a", "web-only")
    assert decision.ingress.admitting == ()
    assert not decision.egress.isolated


def test_it_names_the_admitting_policies_when_allowed() -> None:
    decision = decide(
        FRONTEND, DB, 6379, policies=[DEFAULT_DENY_INGRESS, TEST_NETWORK_POLICY], namespaces=NAMESPACES
    )
    assert decision.allowed
    assert decision.ingress.selecting == ("default-deny-ingress", "test-network-policy")
    assert decision.ingress.admitting == ("test-network-policy",)
    assert decision.reason == (
        "allowed: policy `test-network-policy` admits role=frontend into role=db on TCP 6379 (ingress); "
        "no policy selects role=frontend for Egress"
    )


def test_it_uses_the_display_name_given_for_a_pod() -> None:
    source = PodRef(
        "frontend-abc", "default", {"app": "frontend", "pod-template-hash": "x"}, display="app=frontend"
    )
    destination = PodRef("payments-xyz", "default", {"app": "payments", "pod-template-hash": "y"})
    deny = policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
    decision = decide(source, destination, 8443, policies=[deny])
    assert decision.reason == (
        "blocked: policy `default-deny-ingress` selects app=payments for Ingress "
        "and no policy admits app=frontend on TCP 8443"
    )


def test_it_assumes_the_automatic_namespace_name_label() -> None:
    by_name = policy(
        "from-monitoring",
        {
            "podSelector": {},
            "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}}}]}
            ],
        },
    )
    assert decide(OTHER_FRONTEND, DB, 80, policies=[by_name]).allowed
    assert not decide(FRONTEND, DB, 80, policies=[by_name]).allowed


def test_it_reads_pods_as_the_api_serves_them() -> None:
    served = {
        "metadata": {
            "name": "web-7d9-abc",
            "namespace": "shop",
            "labels": {"app": "web", "pod-template-hash": "7d9"},
        },
        "spec": {
            "containers": [
                {"name": "app", "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]},
                {"name": "sidecar", "ports": [{"containerPort": 9901, "protocol": "UDP"}]},
            ]
        },
        "status": {"podIP": "10.244.0.7"},
    }
    ref = PodRef.from_pod(served)
    assert ref.namespace == "shop"
    assert ref.ip == "10.244.0.7"
    assert ref.ports == (ContainerPort(8080, "http", "TCP"), ContainerPort(9901, None, "UDP"))
    assert ref.label == "app=web"


@pytest.mark.parametrize(
    ("spec", "types"),
    [
        ({"podSelector": {}}, ("Ingress",)),
        ({"podSelector": {}, "ingress": [{}]}, ("Ingress",)),
        ({"podSelector": {}, "egress": [{}]}, ("Ingress", "Egress")),
        ({"podSelector": {}, "egress": []}, ("Ingress",)),
        ({"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]}, ("Egress",)),
    ],
)
def test_it_defaults_policy_types_like_the_api_server(spec: dict[str, Any], types: tuple[str, ...]) -> None:
    assert policy_types({"spec": spec}) == types
