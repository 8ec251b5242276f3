"""`apply_guards` returns only once the API server enforces the guards, against a real API server.

kube-apiserver compiles new admission policies about once a second: without the wait, the
learner's first command after "ready" could slip through (and a shortcut taken then stays).
Each round below binds a new policy and tries the refused request at once, without retrying.
"""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

from challenges.kube import apply_guards
from tests.live.lifecycle import guards_of
from tests.live.test_challenges_live import as_learner

pytestmark = pytest.mark.live
LEARNER_ONLY = "request.userInfo.username.startsWith('system:serviceaccount:' + request.namespace + ':')"


def guard(name: str) -> list[dict[str, Any]]:
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["configmaps"],
                        "operations": ["CREATE"],
                    }
                ]
            },
            "matchConditions": [
                {
                    "name": "learner-only",
                    "expression": LEARNER_ONLY,
                }
            ],
            "validations": [
                {"expression": f"object.metadata.name != '{name}'", "message": f"{name} refuses it."}
            ],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return [policy, binding]


def test_the_guards_refuse_at_once_when_apply_guards_returns(cluster: Any, namespace: str) -> None:
    api = cluster.api_client()
    learner = CoreV1Api(as_learner(cluster, namespace))
    names = [f"no-config-{round_}" for round_ in range(3)]
    for name in names:
        apply_guards(api, namespace, guard(name))
        with pytest.raises(ApiException) as refused:
            learner.create_namespaced_config_map(namespace, {"metadata": {"name": name}})
        assert f"{name} refuses it." in str(refused.value.body)
    # The probe that proved it is gone again: only the guards themselves remain.
    assert guards_of(api, namespace) == sorted(f"{name}.{namespace}" for name in names for _ in range(2))
