"""A challenge's fairness scenarios run side by side: a namespace each, one wait for them all.

Most of a fairness test is waiting: for the broken state to show (a crash loop, a failed Job),
then for the fix to take (a rollout, a slow start, a back-off). Run one after the other, eight
scenarios of a challenge wait eight times; run here, in threads, they wait once. Each scenario
still gets its own fresh namespace with the broken state and its guards, and its own verdict:
an honest fix must pass every objective; a shortcut must fail `key` with a message naming
`fragment` (and pass `passes`, where the shortcut does fix those). Shortcuts are applied with
the platform's credentials, past the guards: a guard is a courtesy, the check is the judge.
"""

from __future__ import annotations

import json
import secrets
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from kubernetes.client import ApiClient

import validators
from challenges.services import authoring
from tests.fixtures.cluster import TEST_LABEL, Cluster
from tests.live.fairness import kubectl, load, solve

# What an act returns (kubectl's output, say) is ignored.
Act = Callable[[ApiClient, Cluster, str], object]
Results = dict[str, validators.ObjectiveResult]
SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class Scenario:
    label: str
    act: Act
    key: str = ""  # a shortcut: the objective that must fail…
    fragment: str = ""  # …with a message naming this
    passes: tuple[str, ...] = ()  # objectives the shortcut does fix, which must pass
    timeout: float = 90.0

    @property
    def honest(self) -> bool:
        return not self.key

    def done(self, results: Results) -> bool:
        if self.honest:
            return all(r.passed for r in results.values())
        failed = not results[self.key].passed and self.fragment in results[self.key].message
        return failed and all(results[k].passed for k in self.passes)


@dataclass
class Outcome:
    scenario: Scenario
    namespace: str
    results: Results = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    def messages(self) -> dict[str, str]:
        return {k: f"{'PASS' if r.passed else 'FAIL'}: {r.message}" for k, r in self.results.items()}

    def verify(self) -> None:
        assert not self.error, f"{self.scenario.label}: {self.error}"
        assert self.scenario.done(self.results), (self.scenario.label, self.messages())


def honest(outcomes: dict[str, Outcome]) -> list[str]:
    return [label for label, o in outcomes.items() if o.scenario.honest]


def shortcuts(outcomes: dict[str, Outcome]) -> list[str]:
    return [label for label, o in outcomes.items() if not o.scenario.honest]


def check(api: ApiClient, challenge: authoring.LoadedChallenge, namespace: str) -> Results:
    return {
        r.key: r for r in authoring.challenge_check(api_client=api, challenge=challenge, namespace=namespace)
    }


def settle(api: ApiClient, challenge: authoring.LoadedChallenge, namespace: str) -> Results:
    """Wait until the broken state shows; every objective must then fail."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while not authoring.workloads_settled(api_client=api, challenge=challenge, namespace=namespace):
        assert time.monotonic() < deadline, "the broken state never settled"
        time.sleep(0.3)
    results = check(api, challenge, namespace)
    assert not any(r.passed for r in results.values()), {k: r.message for k, r in results.items()}
    return results


def broken(api: ApiClient, slug: str, namespace: str) -> authoring.LoadedChallenge:
    """The broken state and its guards in `namespace`, once it shows (a crash loop, a failed probe)."""
    challenge = load(slug)
    authoring.challenge_apply(api_client=api, challenge=challenge, namespace=namespace)
    settle(api, challenge, namespace)
    return challenge


def _play(cluster: Cluster, challenge: authoring.LoadedChallenge, outcome: Outcome) -> None:
    started = time.monotonic()
    scenario = outcome.scenario
    try:
        with cluster.api_client() as api:
            authoring.challenge_apply(api_client=api, challenge=challenge, namespace=outcome.namespace)
            settle(api, challenge, outcome.namespace)
            scenario.act(api, cluster, outcome.namespace)
            deadline = time.monotonic() + scenario.timeout
            while True:
                outcome.results = check(api, challenge, outcome.namespace)
                if scenario.done(outcome.results) or time.monotonic() > deadline:
                    break
                time.sleep(1.0)
    except Exception:
        outcome.error = traceback.format_exc(limit=6)
    outcome.seconds = time.monotonic() - started


@contextmanager
def played(cluster: Cluster, slug: str, scenarios: Sequence[Scenario]) -> Iterator[dict[str, Outcome]]:
    """Every scenario of `slug` at once; the namespaces go afterwards."""
    challenge = load(slug)
    labels = [s.label for s in scenarios]
    assert len(set(labels)) == len(labels), "scenario labels must be unique"
    tag = secrets.token_hex(2)
    outcomes = {
        s.label: Outcome(s, f"t-{slug[:36]}-{tag}-{i}".replace("--", "-")) for i, s in enumerate(scenarios)
    }
    with cluster.api_client() as api:
        for outcome in outcomes.values():
            authoring.namespace_create(api, name=outcome.namespace, labels={TEST_LABEL: "true"})
        _wait_for_service_accounts(api, [o.namespace for o in outcomes.values()])
        try:
            with ThreadPoolExecutor(max_workers=len(scenarios), thread_name_prefix=f"fair-{slug}") as pool:
                list(pool.map(lambda o: _play(cluster, challenge, o), outcomes.values()))
            slowest = max(outcomes.values(), key=lambda o: o.seconds)
            label = slowest.scenario.label
            print(f"{slug}: {len(outcomes)} scenarios side by side, slowest {slowest.seconds:.0f}s ({label})")
            yield outcomes
        finally:
            for outcome in outcomes.values():
                authoring.namespace_delete(api, name=outcome.namespace)


def _wait_for_service_accounts(api: ApiClient, namespaces: list[str]) -> None:
    """The ServiceAccount admission plugin refuses pods until a namespace's default account exists."""
    from kubernetes.client import CoreV1Api

    core = CoreV1Api(api)
    deadline = time.monotonic() + 20
    for name in namespaces:
        while not core.list_namespaced_service_account(name, field_selector="metadata.name=default").items:
            assert time.monotonic() < deadline, f"namespace {name} got no default ServiceAccount"
            time.sleep(0.1)


# --- the acts and verdicts the scenario tables are written with

UNTOUCHED = "the broken state, untouched"


def run(*args: str) -> Act:
    """`kubectl ARGS…` in the scenario's namespace, with the platform's credentials."""
    return lambda api, c, ns: kubectl(c, ns, *args)


def steps(*acts: Act) -> Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        for one in acts:
            one(api, c, ns)

    return act


def nothing(api: ApiClient, c: Cluster, ns: str) -> None:
    """The broken state as the learner finds it."""


def solution(slug: str) -> Act:
    return lambda api, c, ns: solve(api, load(slug), ns)


def verdicts(cluster: Cluster, slug: str, scenarios: Sequence[Scenario]) -> dict[str, Outcome]:
    """The scenarios' verdicts, their namespaces already gone: the next challenge gets the nodes."""
    with played(cluster, slug, scenarios) as outcomes:
        return outcomes


def assert_messages(outcome: Outcome, expected: dict[str, str]) -> None:
    """Every objective named fails, with a message holding its fragment (the outcome as a whole
    being what its scenario expects)."""
    outcome.verify()
    for key, fragment in expected.items():
        result = outcome.results[key]
        assert not result.passed and fragment in result.message, (key, outcome.messages())


# Wrong Selector, half fixed: the Service's selector no longer asks for the wrong label, but still
# not for the app's own one, so one objective of its two passes (the assessments' partial credit).
WRONG_SELECTOR_HALF_FIX = json.dumps([{"op": "replace", "path": "/spec/selector", "value": {"tier": "web"}}])


def half_fix_wrong_selector(cluster: Cluster, namespace: str) -> None:
    """Half fix Wrong Selector in `namespace` as a learner would, with kubectl."""
    kubectl(cluster, namespace, "patch", "service", "frontend", "--type=json", "-p", WRONG_SELECTOR_HALF_FIX)
