"""The objective types. Importing this package registers every one of them.

Spec reference (camelCase keys, as written under `spec:` in challenge.yaml; unknown
keys are refused). A target is `{kind, name}` or `{kind, labelSelector}`; every
object it matches must pass, and matching nothing fails.

    condition     target, checks: [{type: Ready, status: "True"}]      # status defaults to "True"
    status        target, checks: [{field: readyReplicas, operator: ">=", value: 2}]
                  # field is under .status: a.b, arr[0], arr[name=x].y; == != < <= > >= in contains
    spec          target, checks: [{path: spec.type, equals: ClusterIP}]
                  # or exists: true|false, or contains: (substring, list element, sub-mapping)
    log           target (kind Pod), expectedStrings: [...], container?, matchMode: allOf|anyOf,
                  sinceSeconds: 300, previous: false
    event         target, forbiddenReasons: [...], requiredReasons: [...], sinceSeconds: 300
    rbac          serviceAccount: name, checks: [{verb, resource, group: "", subresource?, name?,
                  namespace?, allowed: true|false}]
    service       name, type: ClusterIP, workload: {kind: Deployment, name},
                  ports: [{port: 80, targetPort: 8080 | http, protocol: TCP}]
    reachability  from: {workload: name} | {labelSelector: {...}}, to: (same), port: 5678,
                  protocol: TCP, expect: allowed|blocked
                  # or checks: [{from, to, port, protocol, expect}, ...], every path must hold
"""

from validators.objectives import (
    condition,
    event,
    ingress,
    log,
    pods,
    rbac,
    reachability,
    service,
    spec,
    status,
    tls,
)

__all__ = [
    "condition",
    "event",
    "ingress",
    "log",
    "pods",
    "rbac",
    "reachability",
    "service",
    "spec",
    "status",
    "tls",
]
