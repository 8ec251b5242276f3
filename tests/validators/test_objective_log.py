from __future__ import annotations

from typing import Any

import pytest

import validators
from tests.validators.fakes import FakeView, pod
from validators.errors import ObjectInvalid, SpecInvalid


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("log", spec, view)


def logs_of(*strings: str, mode: str = "allOf", **extra: Any) -> dict[str, Any]:
    return {
        "target": {"kind": "Pod", "labelSelector": {"app": "web"}},
        "expectedStrings": list(strings),
        "matchMode": mode,
        **extra,
    }


def two_pods(**logs: str | Exception) -> FakeView:
    return FakeView(
        [pod("web-1", {"app": "web"}), pod("web-2", {"app": "web"})],
        logs={(name.replace("_", "-"), "app"): text for name, text in logs.items()},
    )


def test_it_passes_when_a_pod_logged_the_string() -> None:
    result = run(logs_of("Connected to backend"), two_pods(web_1="", web_2="✅ Connected to backend: ok\n"))
    assert result.passed
    assert result.message == 'Pods matching app=web logged "Connected to backend".'
    assert result.details["found"] == {"Connected to backend": "web-2"}


def test_it_counts_strings_found_in_different_pods_for_all_of() -> None:
    result = run(logs_of("listening", "connected"), two_pods(web_1="listening on :80", web_2="connected"))
    assert result.passed


def test_it_fails_all_of_when_one_string_is_missing() -> None:
    result = run(logs_of("listening", "connected"), two_pods(web_1="listening on :80", web_2=""))
    assert not result.passed
    assert (
        result.message
        == 'None of the 2 Pods matching app=web has logged "connected" in the last 300 seconds.'
    )


def test_it_passes_any_of_with_one_string() -> None:
    assert run(logs_of("ready", "connected", mode="anyOf"), two_pods(web_1="", web_2="connected")).passed


def test_it_fails_any_of_when_no_string_appears() -> None:
    result = run(logs_of("ready", "connected", mode="anyOf"), two_pods(web_1="boom", web_2="boom"))
    assert result.message == (
        'None of the 2 Pods matching app=web has logged any of "ready", "connected" in the last 300 seconds.'
    )


def test_it_asks_for_the_window_the_previous_run_and_the_first_container() -> None:
    view = FakeView(
        [pod("web-1", {"app": "web"}, containers=("app", "sidecar"))], logs={("web-1", "app"): "x"}
    )
    run(logs_of("x", sinceSeconds=120, previous=True), view)
    assert view.log_calls == [{"pod": "web-1", "container": "app", "since_seconds": 120, "previous": True}]


def test_it_reads_the_named_container() -> None:
    view = FakeView(
        [pod("web-1", {"app": "web"}, containers=("app", "sidecar"))], logs={("web-1", "sidecar"): "proxy up"}
    )
    assert run(logs_of("proxy up", container="sidecar"), view).passed


def test_it_explains_a_missing_container() -> None:
    view = FakeView([pod("web-1", {"app": "web"})])
    result = run(logs_of("x", container="sidecar"), view)
    assert result.message == (
        'Pod web-1 has not logged "x" in the last 300 seconds. (Pod web-1 has no container named sidecar.)'
    )


def test_it_reports_a_log_that_cannot_be_read_and_reads_the_others() -> None:
    waiting = ObjectInvalid("Could not read the log of pod 'web-1': container \"app\" is waiting to start")
    result = run(logs_of("connected"), two_pods(web_1=waiting, web_2="connected"))
    assert result.passed
    assert "web-1" in result.details["unreadable"]


def test_it_fails_when_no_pod_matches() -> None:
    assert run(logs_of("x"), FakeView()).message == "No Pod matches app=web yet."


def test_it_rejects_a_target_that_is_not_a_pod() -> None:
    with pytest.raises(SpecInvalid, match=r"log objectives read Pod logs; target\.kind is Deployment"):
        validators.validate_spec(
            "log", {"target": {"kind": "Deployment", "name": "web"}, "expectedStrings": ["x"]}
        )


def _crashed(name: str, labels: dict[str, str], **extra: Any) -> dict[str, Any]:
    from tests.validators.fakes import running, terminated, with_containers

    status = running("app", restarts=3)
    status["lastState"] = terminated("Error", 1)
    return with_containers(pod(name, labels, **extra), status)


def test_it_reads_the_previous_run_without_a_window_unless_one_is_given() -> None:
    view = FakeView([_crashed("web-1", {"app": "web"})], logs={("web-1", "app"): "FATAL: DB_HOST is not set"})
    spec = logs_of("DB_HOST is not set", previous=True)
    assert run(spec, view).passed
    assert view.log_calls[-1]["previous"] is True
    assert view.log_calls[-1]["since_seconds"] is None
    run({**spec, "sinceSeconds": 600}, view)
    assert view.log_calls[-1]["since_seconds"] == 600


def test_it_says_a_container_that_never_restarted_has_no_previous_run() -> None:
    from tests.validators.fakes import running, with_containers

    fresh = with_containers(pod("web-1", {"app": "web"}), running())
    view = FakeView([fresh], logs={("web-1", "app"): "anything"})
    result = run(logs_of("DB_HOST", previous=True), view)
    assert result.message == (
        'Pod web-1 has not logged "DB_HOST" in its previous run. '
        "(Container app of pod web-1 has not restarted, so it has no previous run.)"
    )
    assert view.log_calls == []


def test_it_reads_the_logs_of_a_workloads_current_pods() -> None:
    from tests.validators.fakes import workload

    deploy, rs, pods = workload("web", {"app": "web"}, replicas=2)
    stray = pod("web-debug", {"app": "web"})
    names = [p["metadata"]["name"] for p in pods]
    view = FakeView(
        [deploy, rs, *pods, stray],
        logs={(names[0], "app"): "", (names[1], "app"): "listening on :8080", ("web-debug", "app"): "ready"},
    )
    spec = {"workload": {"kind": "Deployment", "name": "web"}, "expectedStrings": ["listening on :8080"]}
    result = run(spec, view)
    assert result.message == 'Pods of Deployment web logged "listening on :8080".'
    assert result.details["matched"] == names
    other = run({**spec, "expectedStrings": ["ready"]}, view)
    assert other.message == 'None of the 2 pods of Deployment web has logged "ready" in the last 300 seconds.'


def test_it_rejects_both_a_target_and_a_workload() -> None:
    with pytest.raises(SpecInvalid, match="exactly one of target and workload"):
        validators.validate_spec("log", {**logs_of("x"), "workload": {"name": "web"}})
