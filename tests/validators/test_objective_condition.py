from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, deployment, pod


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("condition", spec, view)


PODS_READY = {
    "target": {"kind": "Pod", "labelSelector": {"app": "web"}},
    "checks": [{"type": "Ready", "status": "True"}],
}


def test_it_passes_when_every_matched_pod_is_ready() -> None:
    result = run(PODS_READY, FakeView([pod("web-1", {"app": "web"}), pod("web-2", {"app": "web"})]))
    assert result.passed
    assert result.message == "All 2 Pods matching app=web are Ready."
    assert result.details["matched"] == ["web-1", "web-2"]


def test_it_fails_when_one_pod_is_not_ready() -> None:
    view = FakeView(
        [
            pod("web-1", {"app": "web"}),
            pod(
                "web-2",
                {"app": "web"},
                conditions=[
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "ContainersNotReady",
                        "message": "containers with unready status: [app]",
                    },
                ],
            ),
        ]
    )
    result = run(PODS_READY, view)
    assert not result.passed
    assert (
        result.message
        == "Pod web-2 is not Ready (ContainersNotReady: containers with unready status: [app])."
    )


def test_it_fails_with_its_own_message_when_nothing_matches() -> None:
    result = run(PODS_READY, FakeView([pod("api-1", {"app": "api"})]))
    assert not result.passed
    assert result.message == "No Pod matches app=web yet."


def test_it_fails_when_the_named_object_does_not_exist() -> None:
    spec = {"target": {"kind": "Deployment", "name": "web"}, "checks": [{"type": "Available"}]}
    result = run(spec, FakeView())
    assert result.message == "There is no Deployment named web yet."


def test_it_fails_when_the_condition_is_missing() -> None:
    result = run(PODS_READY, FakeView([pod("web-1", {"app": "web"}, conditions=[])]))
    assert result.message == "Pod web-1 does not report a Ready condition yet."


def test_it_checks_any_kind_of_object() -> None:
    deploy = deployment(
        "web", {"app": "web"}, status={"conditions": [{"type": "Available", "status": "True"}]}
    )
    spec = {
        "target": {"kind": "Deployment", "name": "web"},
        "checks": [{"type": "Available", "status": True}],
    }
    result = run(spec, FakeView([deploy]))
    assert result.passed
    assert result.message == "Deployment web is Available."


def test_it_can_require_a_condition_to_be_false() -> None:
    deploy = deployment(
        "web", {"app": "web"}, status={"conditions": [{"type": "ReplicaFailure", "status": "True"}]}
    )
    spec = {
        "target": {"kind": "Deployment", "name": "web"},
        "checks": [{"type": "ReplicaFailure", "status": "False"}],
    }
    result = run(spec, FakeView([deploy]))
    assert not result.passed
    assert result.message == "Deployment web has ReplicaFailure=True, expected False."


def test_it_ignores_pods_that_are_being_deleted() -> None:
    view = FakeView(
        [pod("web-1", {"app": "web"}), pod("web-old", {"app": "web"}, ready=False, deleting=True)]
    )
    assert run(PODS_READY, view).passed
