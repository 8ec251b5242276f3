from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, deployment, pod


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("status", spec, view)


def ready_replicas(value: Any, operator: str = ">=") -> dict[str, Any]:
    return {
        "target": {"kind": "Deployment", "name": "web"},
        "checks": [{"field": "readyReplicas", "operator": operator, "value": value}],
    }


def test_it_passes_a_numeric_comparison() -> None:
    view = FakeView([deployment("web", {"app": "web"}, status={"readyReplicas": 2, "replicas": 2})])
    result = run(ready_replicas(2), view)
    assert result.passed
    assert result.message == "Deployment web has status.readyReplicas >= 2."


def test_it_fails_a_numeric_comparison_with_the_actual_value() -> None:
    view = FakeView([deployment("web", {"app": "web"}, status={"readyReplicas": 1})])
    result = run(ready_replicas(2), view)
    assert not result.passed
    assert result.message == "Deployment web has status.readyReplicas = 1; the check expects >= 2."


def test_it_reads_an_omitted_counter_as_zero() -> None:
    # The API leaves readyReplicas out of status while it is 0.
    view = FakeView([deployment("web", {"app": "web"}, status={"replicas": 2})])
    assert not run(ready_replicas(1), view).passed
    assert run(ready_replicas(0, "=="), view).passed


def test_it_fails_when_a_non_numeric_field_is_missing() -> None:
    spec = {
        "target": {"kind": "Pod", "name": "web-1"},
        "checks": [
            {"field": "containerStatuses[name=app].state.running", "operator": "contains", "value": {}}
        ],
    }
    result = run(spec, FakeView([pod("web-1")]))
    assert result.message == (
        "Pod web-1 does not report status.containerStatuses[name=app].state.running yet "
        "(the check expects contains {})."
    )


def test_it_follows_list_filters_under_status() -> None:
    statuses = {
        "containerStatuses": [{"name": "sidecar", "restartCount": 9}, {"name": "app", "restartCount": 0}]
    }
    spec = {
        "target": {"kind": "Pod", "labelSelector": {"app": "web"}},
        "checks": [
            {"field": "containerStatuses[name=app].restartCount", "operator": "<=", "value": 0},
            {"field": "phase", "value": "Running"},
        ],
    }
    view = FakeView(
        [pod("web-1", {"app": "web"}, status=statuses), pod("web-2", {"app": "web"}, status=statuses)]
    )
    result = run(spec, view)
    assert result.passed
    assert result.message == (
        "All 2 Pods matching app=web have status.containerStatuses[name=app].restartCount <= 0, "
        "status.phase == Running."
    )


def test_it_accepts_a_field_written_with_its_status_prefix() -> None:
    spec = {
        "target": {"kind": "Pod", "name": "web-1"},
        "checks": [{"field": "status.phase", "value": "Running"}],
    }
    assert run(spec, FakeView([pod("web-1")])).passed


def test_it_supports_in() -> None:
    spec = {
        "target": {"kind": "Pod", "name": "web-1"},
        "checks": [{"field": "phase", "operator": "in", "value": ["Succeeded", "Failed"]}],
    }
    result = run(spec, FakeView([pod("web-1")]))
    assert (
        result.message
        == 'Pod web-1 has status.phase = Running; the check expects in ["Succeeded", "Failed"].'
    )


def test_it_fails_when_any_matched_object_fails() -> None:
    spec = {
        "target": {"kind": "Pod", "labelSelector": {"app": "web"}},
        "checks": [{"field": "phase", "value": "Running"}],
    }
    view = FakeView([pod("web-1", {"app": "web"}), pod("web-2", {"app": "web"}, phase="Pending")])
    assert run(spec, view).message == "Pod web-2 has status.phase = Pending; the check expects == Running."


def test_it_refuses_an_ordering_against_a_string() -> None:
    view = FakeView([deployment("web", {"app": "web"}, status={"readyReplicas": 2})])
    spec = {
        "target": {"kind": "Deployment", "name": "web"},
        "checks": [{"field": "conditions[type=Available].status", "operator": ">", "value": 1}],
    }
    assert not run(spec, view).passed


def test_it_orders_quantities_when_the_expected_value_is_one() -> None:
    from tests.validators.fakes import meta

    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": meta("compute"),
        "status": {"hard": {"limits.memory": "2Gi"}, "used": {"limits.memory": "1536Mi", "pods": "3"}},
    }
    spec = {
        "target": {"kind": "ResourceQuota", "name": "compute"},
        "checks": [
            {"field": 'used["limits.memory"]', "operator": "<=", "value": "2Gi"},
            {"field": "used.pods", "operator": "<", "value": "4"},
        ],
    }
    assert validators.evaluate("status", spec, FakeView([quota])).passed
    tight = {**spec, "checks": [{"field": 'used["limits.memory"]', "operator": "<=", "value": "1Gi"}]}
    assert validators.evaluate("status", tight, FakeView([quota])).message == (
        'ResourceQuota compute has status.used["limits.memory"] = 1536Mi; the check expects <= 1Gi.'
    )
