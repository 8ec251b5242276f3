"""The learner of a namespace environment can make each reference fix, through the guards.

The namespace gets what the namespace backend gives every attempt (the learner's ServiceAccount
and Role, the quota and the limit range), then the challenge's broken state and guards; the
solution is then applied *as the learner*. A guard that refuses the honest fix, or a learner Role
that cannot write what the fix needs (an Ingress, a Role it must hold the rules of), fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from challenges.backends import NamespaceBackend
from challenges.backends.base import LEARNER
from challenges.kube import apply_documents
from challenges.services import authoring
from tests.live.fairness import assert_passes, broken

pytestmark = pytest.mark.live

SLUGS = [
    "ingress-wrong-backend",
    "dns-egress-blocked",
    "tls-host-mismatch",
    "expose-over-https",
    "forbidden-report",
    "least-privilege",
    "password-in-configmap",
    "quota-blocks-rollout",
]


@pytest.mark.parametrize("slug", SLUGS)
def test_the_learner_can_apply_the_reference_solution(cluster: Any, namespace: str, slug: str) -> None:
    api = cluster.api_client()
    backend = NamespaceBackend(prefix="bf-content-live", kubeconfig=cluster.kubeconfig)
    apply_documents(api, namespace, backend.access_documents(namespace))
    challenge = broken(api, slug, namespace)
    learner = cluster.api_client()
    learner.set_default_header("Impersonate-User", f"system:serviceaccount:{namespace}:{LEARNER}")
    authoring.challenge_apply(api_client=learner, challenge=challenge, namespace=namespace, solution=True)
    assert_passes(api, challenge, namespace)
