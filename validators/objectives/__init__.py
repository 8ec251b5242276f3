"""The objective types. Importing this package registers every one of them.

Spec reference (camelCase keys, as written under `spec:` in challenge.yaml; unknown
keys are refused). A target is `{kind, name}` or `{kind, labelSelector}`; every
object it matches must pass, and matching nothing fails. A workload is
`{kind: Deployment|StatefulSet|DaemonSet|ReplicaSet|Job, name}` (kind defaults to
Deployment): the pods it owns now, never a bare pod that only carries its labels.
Each spec model's docstring documents its fields.

    condition     target, checks: [{type: Ready, status: "True"}]      # status defaults to "True"
    status        target, checks: [{field: readyReplicas, operator: ">=", value: 2}]
                  # field is under .status: a.b, arr[0], arr[name=x].y; == != < <= > >= in contains
    spec          target, checks: [{path: spec.type, equals: ClusterIP}]
                  # or exists: true|false, oneOf: [http, 8080] (equals any), contains: (substring,
                  # list element, sub-mapping),
                  # atLeast / atMost: a number or a quantity (256Mi, 500m); reveal: false hides it
    pods          workload | labelSelector, waitingReasons: [CrashLoopBackOff, ...],
                  terminatedReasons: [OOMKilled], restartWindowSeconds: 30, sampleSeconds: 2,
                  ready: true, minPods: 1, rolledOut: true
    log           target (kind Pod) | workload, expectedStrings: [...], container?,
                  matchMode: allOf|anyOf, sinceSeconds: 300, previous: false
    event         target | workload, forbiddenReasons: [...], requiredReasons: [...], sinceSeconds: 300
    job           name, succeeded?                                      # default: spec.completions or 1
    cronjob       name, everyMinutes?, lastJobSucceeded: true
    rbac          serviceAccount: name, checks: [{verb, resource, group: "", subresource?, name?,
                  namespace?, allowed: true|false}]
    service       name, type: ClusterIP, workload: {kind: Deployment, name},
                  ports: [{port: 80, targetPort: 8080 | http, protocol: TCP}], headless?
    ingress       name, host?, path: /, service, port (number or name), ingressClassName?
                  # or routes: [{host, path, service, port}, ...], every route must hold
    tls           ingress: name, hosts?                                 # default: every rule host
    secret        name, type?: Opaque, keys: [{key: password, sha256?: <hex digest of the value>}]
                  # values are compared by digest and never shown
    placement     workload | labelSelector, nodeLabels?: {accelerator: nvidia-t4}, pinned?: false,
                  spreadBy?: topology.kubernetes.io/zone, spreadRequired?: false, maxSkew?, minDomains?
                  # where the pods run (their nodes' labels); pinned: the template's node selector,
                  # affinity and tolerations admit no other node and it sets no nodeName;
                  # spreadRequired: a DoNotSchedule spread constraint or required anti-affinity
    reachability  from: {workload: name} | {labelSelector: {...}}, to: (same), port: 5678,
                  protocol: TCP, expect: allowed|blocked
                  # or checks: [{from, to, port, protocol, expect}, ...], every path must hold
                  # a peer may also be {namespace: kube-system, labels: {k8s-app: kube-dns}} (a pod
                  # described, judged by policy alone) or {address: 203.0.113.10} (outside the cluster)
"""

from validators.objectives import (
    condition,
    cronjob,
    event,
    ingress,
    job,
    log,
    placement,
    pods,
    rbac,
    reachability,
    secret,
    service,
    spec,
    status,
    tls,
)

__all__ = [
    "condition",
    "cronjob",
    "event",
    "ingress",
    "job",
    "log",
    "placement",
    "pods",
    "rbac",
    "reachability",
    "secret",
    "service",
    "spec",
    "status",
    "tls",
]
