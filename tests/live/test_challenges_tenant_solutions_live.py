"""A namespace environment's learner can make each reference fix, with their own token.

One namespace backend makes an environment per challenge, exactly as provisioning does (the
installation's tenancy policies, the labelled namespace, the learner's ServiceAccount, Role,
quota, limit range and egress policy). The platform applies the broken state and its guards
(in force once applied); the learner applies the solution with a real token of their
ServiceAccount, through the guards and the tenancy policies, and the checks (read as the
platform reads an attempt) all pass. A guard that refuses the honest fix, or a Role that cannot
do what the fix does (delete a Job and create it anew, run a CronJob, delete pods), fails here.
The environments run side by side.
"""

from __future__ import annotations

import secrets
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

import validators
from challenges.backends import NamespaceBackend
from challenges.backends.tenancy import tenancy_remove
from challenges.services import authoring
from tests.fixtures.cluster import Cluster
from tests.live.fairness import load
from validators.kube import client_from_file, client_from_text

pytestmark = pytest.mark.live

SLUGS = [
    "migration-job-fails",
    "cronjob-never-runs",
    "nightly-backup-cronjob",
    "readiness-wrong-port",
    "liveness-kills-slow-start",
    "probes-for-new-service",
    "checkout-is-down",
    "friday-night-incident",
]
SOLVE_SECONDS = 90.0


@dataclass
class Solved:
    slug: str
    environment: str
    results: list[validators.ObjectiveResult] = field(default_factory=list)
    error: str = ""


def _solve(backend: NamespaceBackend, solved: Solved) -> None:
    challenge = load(solved.slug)
    namespace = solved.environment
    try:
        with backend.platform_client(namespace) as api:
            authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace)
            deadline = time.monotonic() + 60
            while not authoring.workloads_settled(api_client=api, challenge=challenge, namespace=namespace):
                assert time.monotonic() < deadline, "the broken state never settled"
                time.sleep(0.5)
            kubeconfig = backend.learner_kubeconfig(solved.environment, seconds=3600)
            with client_from_text(kubeconfig) as learner:
                authoring.challenge_apply(
                    api_client=learner, challenge=challenge, namespace=namespace, solution=True
                )
            objectives = authoring.objectives_of(challenge)
            deadline = time.monotonic() + SOLVE_SECONDS
            while True:
                solved.results = validators.run_check(
                    objectives, backend.namespace_view(api, solved.environment)
                )
                if all(r.passed for r in solved.results) or time.monotonic() > deadline:
                    return
                time.sleep(1.0)
    except Exception:
        solved.error = traceback.format_exc(limit=6)


@pytest.fixture(scope="module")
def solutions(cluster: Cluster) -> Iterator[dict[str, Solved]]:
    prefix = f"bfsol{secrets.token_hex(3)}"
    backend = NamespaceBackend(prefix=prefix, kubeconfig=cluster.kubeconfig)
    found = {slug: Solved(slug, backend.environment_name(i)) for i, slug in enumerate(SLUGS, start=1)}
    try:
        for i, solved in enumerate(found.values(), start=1):
            backend.create(solved.environment, attempt_id=i)
        with ThreadPoolExecutor(max_workers=len(found), thread_name_prefix="tenant-solution") as pool:
            list(pool.map(lambda s: _solve(backend, s), found.values()))
        yield found
    finally:
        for environment in backend.list_environments() | {s.environment for s in found.values()}:
            backend.destroy(environment)
        with client_from_file(cluster.kubeconfig) as api:
            tenancy_remove(api, prefix)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_learner_applies_the_reference_solution_with_their_own_token(
    solutions: dict[str, Solved], slug: str
) -> None:
    solved = solutions[slug]
    assert not solved.error, solved.error
    assert solved.results and all(r.passed for r in solved.results), {
        r.key: r.message for r in solved.results
    }
