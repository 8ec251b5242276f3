from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, deployment, event, pod


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("event", spec, view)


PODS = {"kind": "Pod", "labelSelector": {"app": "web"}}


def test_it_passes_without_forbidden_events() -> None:
    web = pod("web-1", {"app": "web"})
    view = FakeView([web, event(web, "Pulled"), event(web, "Started")])
    result = run({"target": PODS, "forbiddenReasons": ["BackOff", "OOMKilling"]}, view)
    assert result.passed
    assert result.message == "Pod web-1 had no BackOff, OOMKilling events in the last 300 seconds."


def test_it_fails_on_a_recent_forbidden_event() -> None:
    web = pod("web-1", {"app": "web"})
    view = FakeView(
        [web, event(web, "BackOff", seconds_ago=12, message="Back-off restarting failed container")]
    )
    result = run({"target": PODS, "forbiddenReasons": ["BackOff"]}, view)
    assert not result.passed
    assert result.message.startswith("Pod web-1 had a BackOff event ")
    assert result.message.endswith("s ago: Back-off restarting failed container")


def test_it_ignores_forbidden_events_outside_the_window() -> None:
    web = pod("web-1", {"app": "web"})
    view = FakeView([web, event(web, "BackOff", seconds_ago=600)])
    assert run({"target": PODS, "forbiddenReasons": ["BackOff"], "sinceSeconds": 300}, view).passed


def test_it_ignores_events_about_other_objects() -> None:
    web, other = pod("web-1", {"app": "web"}), pod("api-1", {"app": "api"})
    view = FakeView([web, other, event(other, "BackOff")])
    assert run({"target": PODS, "forbiddenReasons": ["BackOff"]}, view).passed


def test_it_ignores_events_about_an_earlier_object_of_the_same_name() -> None:
    web = pod("web-1", {"app": "web"})
    old = event(web, "BackOff")
    old["involvedObject"]["uid"] = "uid-of-a-deleted-pod"
    assert run({"target": PODS, "forbiddenReasons": ["BackOff"]}, FakeView([web, old])).passed


def test_it_requires_reasons_for_every_matched_object() -> None:
    web1, web2 = pod("web-1", {"app": "web"}), pod("web-2", {"app": "web"})
    view = FakeView([web1, web2, event(web1, "Scheduled")])
    result = run({"target": PODS, "requiredReasons": ["Scheduled"]}, view)
    assert result.message == "Pod web-2 has had no Scheduled event in the last 300 seconds."
    view.add(event(web2, "Scheduled"))
    assert run({"target": PODS, "requiredReasons": ["Scheduled"]}, view).passed


def test_it_reads_events_of_the_events_api() -> None:
    deploy = deployment("web", {"app": "web"})
    new_style = event(deploy, "ScalingReplicaSet")
    for key in ("firstTimestamp", "lastTimestamp"):
        del new_style[key]
    new_style["eventTime"] = new_style["metadata"]["creationTimestamp"] = _now()
    spec = {"target": {"kind": "Deployment", "name": "web"}, "requiredReasons": ["ScalingReplicaSet"]}
    assert run(spec, FakeView([deploy, new_style])).passed


def test_it_fails_when_nothing_matches() -> None:
    assert (
        run({"target": PODS, "forbiddenReasons": ["BackOff"]}, FakeView()).message
        == "No Pod matches app=web yet."
    )


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_it_judges_the_events_of_a_workloads_current_pods() -> None:
    from tests.validators.fakes import workload

    deploy, rs, pods = workload("web", {"app": "web"}, replicas=1)
    gone = pod("web-5d9f-old", {"app": "web"})  # a pod the fix replaced: not in the namespace any more
    view = FakeView([deploy, rs, *pods, event(gone, "BackOff"), event(pods[0], "Started")])
    spec = {"workload": {"kind": "Deployment", "name": "web"}, "forbiddenReasons": ["BackOff"]}
    result = run(spec, view)
    assert result.passed, result.message
    assert (
        result.message == f"Pod {pods[0]['metadata']['name']} had no BackOff events in the last 300 seconds."
    )
    view.add(event(pods[0], "BackOff", message="Back-off restarting failed container app"))
    assert run(spec, view).message.endswith("s ago: Back-off restarting failed container app")
    assert run({**spec, "workload": {"name": "api"}}, view).message == "There is no Deployment api yet."
