from __future__ import annotations

import copy
from typing import Any

import pytest

import validators
from tests.validators.fakes import (
    FakeView,
    event,
    pod,
    running,
    terminated,
    waiting,
    with_containers,
    workload,
)
from validators import SpecInvalid

WEB = {"app": "web"}
SPEC: dict[str, Any] = {"workload": {"kind": "Deployment", "name": "web"}}


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("pods", spec, view)


def world(*statuses: dict[str, Any], replicas: int = 2) -> tuple[FakeView, list[dict[str, Any]]]:
    """A rolled-out Deployment whose first pod has these container statuses; the others are healthy."""
    deploy, rs, pods = workload("web", WEB, replicas=replicas)
    for i, p in enumerate(pods):
        with_containers(p, *(statuses if i == 0 and statuses else (running(),)))
    return FakeView([deploy, rs, *pods]), pods


def test_it_passes_when_every_pod_runs_ready_without_restarts() -> None:
    view, _ = world()
    result = run(SPEC, view)
    assert result.passed, result.message
    assert result.message == (
        "All 2 pods of Deployment web are running and ready, with no restart in the last 30 seconds."
    )


def test_it_names_a_crash_loop_with_its_restarts_and_exit_code() -> None:
    crashing = waiting("app", "CrashLoopBackOff", restarts=5)
    crashing["lastState"] = terminated("Error", 1)
    view, pods = world(crashing)
    result = run(SPEC, view)
    assert not result.passed
    assert result.message == (
        f"Container app of pod {pods[0]['metadata']['name']} keeps crashing "
        "(CrashLoopBackOff, 5 restarts; it last exited with code 1, Error)."
    )
    assert result.details["problems"] == {pods[0]["metadata"]["name"]: "CrashLoopBackOff"}


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImagePull"])
def test_it_says_an_image_cannot_be_pulled(reason: str) -> None:
    message = 'Back-off pulling image "nginx:1.27-typo"'
    stuck = waiting("app", reason, message)
    stuck["image"] = "nginx:1.27-typo"
    view, pods = world(stuck)
    assert run(SPEC, view).message == (
        f"Container app of pod {pods[0]['metadata']['name']} cannot pull its image nginx:1.27-typo "
        f'({reason}: Back-off pulling image "nginx:1.27-typo").'
    )


def test_it_says_a_container_cannot_start_for_a_missing_secret() -> None:
    view, pods = world(waiting("app", "CreateContainerConfigError", 'secret "db-credentials" not found'))
    assert run(SPEC, view).message == (
        f"Container app of pod {pods[0]['metadata']['name']} cannot start: "
        'CreateContainerConfigError: secret "db-credentials" not found.'
    )


def test_it_fails_an_oom_kill_and_names_the_memory_limit() -> None:
    killed = running("app", restarts=1, started=200)
    killed["lastState"] = terminated("OOMKilled", 137, finished=205)
    view, pods = world(killed)
    pods[0]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "32Mi"}}
    result = run(SPEC, view)
    assert result.message == (
        f"Container app of pod {pods[0]['metadata']['name']} was killed for using too much memory "
        "(OOMKilled, exit code 137) 3 minutes ago; its memory limit is 32Mi."
    )


def test_it_fails_a_restart_inside_the_window_and_passes_one_before_it() -> None:
    restarted = running("app", restarts=3, started=12)
    restarted["lastState"] = terminated("Error", 1, finished=13)
    view, pods = world(restarted)
    assert run(SPEC, view).message == (
        f"Container app of pod {pods[0]['metadata']['name']} restarted 12 seconds ago "
        "(it exited with code 1, Error); 3 restarts in all."
    )
    assert run({**SPEC, "restartWindowSeconds": 10}, view).passed
    assert run({**SPEC, "restartWindowSeconds": 0}, view).passed


def test_it_reads_twice_when_the_status_has_restarts_but_no_timestamps() -> None:
    bare = running("app", restarts=2)
    del bare["state"]["running"]["startedAt"]
    view, pods = world(bare)
    later = copy.deepcopy(view)
    later.objects[2]["status"]["containerStatuses"][0]["restartCount"] = 3
    view.later = later
    result = run({**SPEC, "sampleSeconds": 0.01}, view)
    assert result.message == (
        f"Container app of pod {pods[0]['metadata']['name']} restarted during the check (restartCount 2 → 3)."
    )
    view.later = None
    assert run({**SPEC, "sampleSeconds": 0.01}, view).passed
    assert view.fresh_calls == 2


def test_it_reads_once_when_timestamps_tell() -> None:
    view, _ = world(running("app", restarts=2, started=600))
    assert run(SPEC, view).passed
    assert view.fresh_calls == 0


def test_it_explains_an_unschedulable_pod() -> None:
    view, pods = world()
    pods[0]["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory.",
            }
        ],
    }
    assert run(SPEC, view).message == (
        f"Pod {pods[0]['metadata']['name']} cannot be scheduled: "
        "0/3 nodes are available: 3 Insufficient memory."
    )


def test_it_adds_the_probe_failure_to_a_pod_that_is_running_but_not_ready() -> None:
    view, pods = world(running("app", ready=False))
    view.add(
        event(pods[0], "Unhealthy", seconds_ago=20, message="Readiness probe failed: connection refused"),
        event(
            pods[0], "Unhealthy", seconds_ago=5, message="Readiness probe failed: HTTP probe failed with 503"
        ),
    )
    assert run(SPEC, view).message == (
        f"Container app of pod {pods[0]['metadata']['name']} is running but not ready: "
        "Readiness probe failed: HTTP probe failed with 503."
    )
    assert run({**SPEC, "ready": False}, view).passed


def test_it_adds_the_mount_failure_to_a_pod_stuck_creating_its_containers() -> None:
    view, pods = world(waiting("app", "ContainerCreating"))
    message = 'MountVolume.SetUp failed for volume "smtp" : secret "smtp" not found'
    view.add(event(pods[0], "FailedMount", seconds_ago=3, message=message))
    assert run(SPEC, view).message == (
        f"Container app of pod {pods[0]['metadata']['name']} is not running yet (ContainerCreating): "
        f"{message}."
    )


def test_it_counts_the_other_failing_pods() -> None:
    deploy, rs, pods = workload("web", WEB, replicas=3)
    for p in pods:
        with_containers(p, waiting("app", "CrashLoopBackOff", restarts=2))
    assert run(SPEC, FakeView([deploy, rs, *pods])).message.endswith("(2 more pods have problems too.)")


def test_it_fails_while_the_rollout_is_not_finished() -> None:
    # A ResourceQuota stops the new ReplicaSet from creating pods: the old pods are all healthy.
    view, _ = world()
    deploy = view.get("Deployment", "web")
    assert deploy is not None
    deploy["status"]["updatedReplicas"] = 0
    deploy["status"]["conditions"] = [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "reason": "FailedCreate",
            "message": 'pods "web-6c8-x" is forbidden: exceeded quota: compute',
        }
    ]
    assert run(SPEC, view).message == (
        "The rollout of Deployment web is not finished: 0 of 2 pods run its current template "
        '(pods "web-6c8-x" is forbidden: exceeded quota: compute).'
    )
    assert run({**SPEC, "rolledOut": False}, view).passed


def test_it_fails_a_stalled_rollout() -> None:
    view, _ = world()
    deploy = view.get("Deployment", "web")
    assert deploy is not None
    deploy["status"]["updatedReplicas"] = 1
    deploy["status"]["conditions"] = [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
    ]
    assert run(SPEC, view).message == (
        "The rollout of Deployment web has stalled: it exceeded its progress deadline with 1 of 2 pods "
        "on its current template."
    )


def test_it_judges_pods_by_label_selector_with_a_minimum() -> None:
    web = with_containers(pod("web-1", WEB), running())
    spec = {"labelSelector": WEB, "minPods": 2}
    assert (
        run(spec, FakeView([web])).message == "pods matching app=web has 1 pod; the check expects at least 2."
    )
    assert run({"labelSelector": WEB}, FakeView([web])).message == (
        "Pod web-1 is running and ready, with no restart in the last 30 seconds."
    )
    assert run({"labelSelector": WEB}, FakeView()).message == "No pod matches app=web yet."


def test_it_ignores_pods_being_deleted() -> None:
    view, _ = world()
    leaving = with_containers(pod("web-old", WEB, deleting=True), waiting("app", "CrashLoopBackOff"))
    view.add(leaving)
    assert run({"labelSelector": WEB}, view).passed


def test_it_fails_for_a_missing_workload() -> None:
    assert run(SPEC, FakeView()).message == "There is no Deployment web yet."


def test_it_lets_the_author_choose_the_waiting_reasons() -> None:
    view, _ = world(waiting("app", "CrashLoopBackOff"))
    # Not a forbidden reason now, but the container still is not ready.
    result = run({**SPEC, "waitingReasons": ["ImagePullBackOff"]}, view)
    assert result.message.endswith("is not running yet (CrashLoopBackOff).")


def test_it_fails_a_failed_init_container() -> None:
    view, pods = world()
    pods[0]["spec"]["initContainers"] = [{"name": "migrate", "image": "migrate:1"}]
    status = running("migrate", ready=False)
    status["state"] = terminated("Error", 2)
    pods[0]["status"]["phase"] = "Pending"
    pods[0]["status"]["initContainerStatuses"] = [status]
    assert run(SPEC, view).message == (
        f"Init container migrate of pod {pods[0]['metadata']['name']} failed: it exited with code 2, Error."
    )


def test_it_rejects_a_spec_without_pods_or_with_both() -> None:
    with pytest.raises(SpecInvalid, match="exactly one of workload and labelSelector"):
        validators.validate_spec("pods", {})
    with pytest.raises(SpecInvalid, match="exactly one"):
        validators.validate_spec("pods", {**SPEC, "labelSelector": WEB})
    with pytest.raises(SpecInvalid, match="sampleSeconds"):
        validators.validate_spec("pods", {**SPEC, "sampleSeconds": 60})


def test_it_says_how_a_failed_pod_ended() -> None:
    status = running("main", ready=False)
    status["state"] = terminated("Error", 1)
    failed = with_containers(pod("once", WEB, phase="Failed"), status)
    assert run({"labelSelector": WEB}, FakeView([failed])).message == (
        "Pod once has failed: container main exited with code 1, Error."
    )
