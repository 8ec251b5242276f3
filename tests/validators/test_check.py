from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.validators.fakes import FakeView, pod
from validators import ClusterUnavailable, ObjectInvalid, Objective, ObjectiveResult, run_check


def ready(key: str, app: str, failure: str = "The pods are not ready.") -> Objective:
    return Objective(
        key=key,
        title=f"{app} ready",
        type="condition",
        failure_message=failure,
        spec={
            "target": {"kind": "Pod", "labelSelector": {"app": app}},
            "checks": [{"type": "Ready", "status": "True"}],
        },
    )


def test_it_returns_results_in_objective_order() -> None:
    view = FakeView([pod("web-1", {"app": "web"}), pod("api-1", {"app": "api"}, ready=False)])
    objectives = [ready("web-ready", "web"), ready("api-ready", "api"), ready("db-ready", "db")]
    results = run_check(objectives, view)
    assert [r.key for r in results] == ["web-ready", "api-ready", "db-ready"]
    assert [r.passed for r in results] == [True, False, False]


def test_it_gives_a_passing_objective_the_validators_message() -> None:
    [result] = run_check([ready("web-ready", "web")], FakeView([pod("web-1", {"app": "web"})]))
    assert result == ObjectiveResult(
        "web-ready", "web ready", True, "Pod web-1 is Ready.", {"matched": ["web-1"]}
    )


def test_it_puts_the_failure_message_before_the_specific_reason() -> None:
    objective = ready("web-ready", "web", failure="The frontend is not serving yet")
    [result] = run_check([objective], FakeView())
    assert not result.passed
    assert result.message == "The frontend is not serving yet. No Pod matches app=web yet."
    assert result.details["reason"] == "No Pod matches app=web yet."


def test_it_fails_an_objective_whose_spec_is_invalid() -> None:
    broken = Objective(
        key="broken",
        title="Broken",
        type="status",
        failure_message="Not yet.",
        spec={"target": {"kind": "Pod", "name": "x"}, "checks": [{"field": "a..b", "value": 1}]},
    )
    [result] = run_check([broken], FakeView())
    assert not result.passed
    assert result.message.startswith(
        "Not yet. This objective's spec is invalid: invalid 'status' spec: checks[0].field"
    )
    assert result.details["error"] == "spec"


def test_it_fails_an_objective_of_an_unknown_type() -> None:
    unknown = Objective(key="probe", title="Probe", type="connectivity", failure_message="Not yet.", spec={})
    [result] = run_check([unknown], FakeView())
    assert "unknown objective type 'connectivity'" in result.message


class Refusing(FakeView):
    def list(self, kind: str, label_selector: Any = None) -> list[dict[str, Any]]:
        raise ObjectInvalid(f"Could not list {kind}s: pods is forbidden")


def test_it_fails_an_objective_whose_objects_cannot_be_read() -> None:
    [result] = run_check([ready("web-ready", "web", "Not yet.")], Refusing())
    assert not result.passed
    assert result.message == "Not yet. Could not list Pods: pods is forbidden."
    assert result.details["error"] == "object"


class FlakyForApi(FakeView):
    def list(self, kind: str, label_selector: Any = None) -> list[dict[str, Any]]:
        if label_selector == {"app": "api"}:
            raise ClusterUnavailable("Could not list Pods: the Kubernetes API is unreachable")
        return super().list(kind, label_selector)


def test_it_lets_cluster_unavailable_through_for_the_caller_to_retry() -> None:
    view = FlakyForApi([pod("web-1", {"app": "web"})])
    with pytest.raises(ClusterUnavailable, match="unreachable"):
        run_check([ready("web-ready", "web"), ready("api-ready", "api")], view)


class Rendezvous(FakeView):
    """Every list call waits until `parties` calls are in flight at once: only concurrency gets through."""

    def __init__(self, parties: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.barrier = threading.Barrier(parties, timeout=10)
        self.threads: set[str] = set()

    def list(self, kind: str, label_selector: Any = None) -> list[dict[str, Any]]:
        self.threads.add(threading.current_thread().name)
        self.barrier.wait()
        return super().list(kind, label_selector)


def test_it_evaluates_objectives_concurrently() -> None:
    view = Rendezvous(4, [pod(f"{app}-1", {"app": app}) for app in ("a", "b", "c", "d")])
    results = run_check([ready(app, app) for app in ("a", "b", "c", "d")], view)
    assert all(r.passed for r in results)
    assert len(view.threads) == 4


def test_it_caps_the_workers() -> None:
    view = Rendezvous(1, [pod(f"{app}-1", {"app": app}) for app in ("a", "b", "c")])
    results = run_check([ready(app, app) for app in ("a", "b", "c")], view, max_workers=1)
    assert all(r.passed for r in results)
    assert len(view.threads) == 1


def test_it_returns_nothing_for_no_objectives() -> None:
    assert run_check([], FakeView()) == []
