from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import validators
from tests.validators.fakes import FakeView, meta, owner, pod, running, terminated, waiting, with_containers


def run(type: str, spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate(type, spec, view)


def job(name: str, *, conditions: Sequence[dict[str, Any]] = (), owned_by: dict[str, Any] | None = None,
        created: float = 60, **status: Any) -> dict[str, Any]:  # fmt: skip
    uid_labels = {"job-name": name}
    metadata = meta(name, uid_labels)
    metadata["creationTimestamp"] = _ago(created)
    if owned_by is not None:
        metadata["ownerReferences"] = owner(owned_by)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {"completions": 1, "selector": {"matchLabels": uid_labels}},
        "status": {"conditions": list(conditions), **status},
    }


def job_pod(
    j: dict[str, Any], suffix: str, *statuses: dict[str, Any], phase: str = "Running"
) -> dict[str, Any]:
    p = pod(f"{j['metadata']['name']}-{suffix}", {"job-name": j["metadata"]["name"]}, owned_by=j, phase=phase)
    return with_containers(p, *statuses)


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


COMPLETE = {"type": "Complete", "status": "True"}
FAILED = {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
          "message": "Job has reached the specified backoff limit"}  # fmt: skip


def test_job_passes_once_complete() -> None:
    done = job("migrate", conditions=[COMPLETE], succeeded=1)
    result = run("job", {"name": "migrate"}, FakeView([done]))
    assert result.passed
    assert result.message == "Job migrate completed (1 succeeded)."


def test_job_says_why_it_failed_and_how_its_pod_ended() -> None:
    broken = job("migrate", conditions=[FAILED], failed=2)
    ended = running("main", ready=False)
    ended["state"] = terminated("Error", 127)
    ended["state"]["terminated"]["message"] = 'exec: "pyhton": executable file not found in $PATH'
    view = FakeView([broken, job_pod(broken, "x1", ended, phase="Failed")])
    assert run("job", {"name": "migrate"}, view).message == (
        "Job migrate failed (BackoffLimitExceeded: Job has reached the specified backoff limit); "
        'its pod migrate-x1 exited with code 127 (Error, exec: "pyhton": executable file not found in $PATH).'
    )


def test_job_says_what_holds_a_running_job_up() -> None:
    stuck = job("migrate", active=1)
    view = FakeView([stuck, job_pod(stuck, "x1", waiting("main", "ImagePullBackOff"))])
    assert run("job", {"name": "migrate"}, view).message == (
        "Job migrate has not completed (0 succeeded, 1 running): container main of pod migrate-x1 cannot "
        "pull its image nginx (ImagePullBackOff)."
    )


def test_job_needs_the_pods_it_was_asked_for() -> None:
    done = job("batch", conditions=[COMPLETE], succeeded=2)
    assert run("job", {"name": "batch", "succeeded": 3}, FakeView([done])).message == (
        "Job batch completed with 2 pods succeeded; the check expects 3."
    )
    assert run("job", {"name": "nope"}, FakeView()).message == "There is no Job named nope yet."


def cronjob(schedule: str = "*/5 * * * *", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta("report"),
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {}}, **spec},
    }


def test_cronjob_fails_while_suspended_or_never_firing() -> None:
    assert run("cronjob", {"name": "report"}, FakeView([cronjob(suspend=True)])).message == (
        "CronJob report is suspended (spec.suspend: true), so it creates no Jobs."
    )
    assert run("cronjob", {"name": "report"}, FakeView([cronjob("0 0 30 2 *")])).message == (
        'CronJob report has the schedule "0 0 30 2 *", which never fires, so it creates no Jobs.'
    )


def test_cronjob_checks_how_often_it_runs() -> None:
    daily = FakeView([cronjob("0 3 * * *")])
    result = run("cronjob", {"name": "report", "everyMinutes": 60, "lastJobSucceeded": False}, daily)
    assert result.message == (
        'CronJob report runs on "0 3 * * *", which leaves up to 1440 minutes between runs; '
        "the check expects a run at least every 60 minutes."
    )


def test_cronjob_judges_its_newest_job() -> None:
    schedule = cronjob()
    old = job("report-1", conditions=[COMPLETE], succeeded=1, owned_by=schedule, created=600)
    new = job("report-2", conditions=[FAILED], failed=1, owned_by=schedule, created=60)
    view = FakeView([schedule, old, new])
    message = run("cronjob", {"name": "report"}, view).message
    assert message.startswith(
        "Its latest Job, report-2, failed "
        "(BackoffLimitExceeded: Job has reached the specified backoff limit). Its next run is at "
    )
    fixed = job("report-3", conditions=[COMPLETE], succeeded=1, owned_by=schedule, created=5)
    view.add(fixed)
    result = run("cronjob", {"name": "report"}, view)
    assert result.passed
    assert result.message == 'CronJob report runs on "*/5 * * * *" and its latest Job, report-3, completed.'


def test_cronjob_without_a_job_yet_says_when_it_runs() -> None:
    message = run("cronjob", {"name": "report"}, FakeView([cronjob()])).message
    assert message.startswith("CronJob report has not created a Job yet; its next run is at ")
    assert message.endswith("UTC (in 4 minutes).") or "minute" in message


def test_cronjob_refuses_an_unknown_time_zone() -> None:
    view = FakeView([cronjob(timeZone="Mars/Olympus")])
    assert run("cronjob", {"name": "report"}, view).message.startswith(
        "CronJob report has a schedule the controller cannot use"
    )
