"""`job` and `cronjob` against a real API server: the real Job and CronJob controllers, kwok's pods.

kwok completes a Job's pods as soon as they run, so a Job here succeeds unless its pod
cannot run: a pod no node accepts, under an activeDeadlineSeconds, fails the Job the way
the Job controller fails it anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.client import ApiClient

from tests.fixtures.cluster import Cluster, eventually
from tests.live.test_validators_live import Views, apply, evaluate, passes
from validators import NamespaceView, client_from_file

pytestmark = pytest.mark.live
Obj = dict[str, Any]


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with client_from_file(cluster.kubeconfig) as client:
        yield client


@pytest.fixture
def views(api: ApiClient, namespace: str) -> Views:
    return lambda: NamespaceView(api, namespace)


def pod_template(**spec: Any) -> Obj:
    return {
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "busybox:1.36", "command": ["true"]}],
            **spec,
        }
    }


def job(name: str, *, owner: Obj | None = None, **spec: Any) -> Obj:
    metadata: Obj = {"name": name}
    if owner is not None:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
            }
        ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {"backoffLimit": 0, "template": pod_template(), **spec},
    }


def cronjob(schedule: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "report"},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": pod_template()}}, **spec},
    }


def test_job_passes_when_the_job_controller_completes_it(
    api: ApiClient, views: Views, namespace: str
) -> None:
    apply(api, namespace, job("migrate"))
    result = passes("job", {"name": "migrate"}, views, "the Job to complete")
    assert result.message == "Job migrate completed (1 succeeded)."
    assert evaluate("job", {"name": "migrate", "succeeded": 2}, views).message == (
        "Job migrate completed with 1 pods succeeded; the check expects 2."
    )


def test_job_says_why_the_job_controller_failed_it(api: ApiClient, views: Views, namespace: str) -> None:
    stuck = job("migrate", activeDeadlineSeconds=1, template=pod_template(nodeSelector={"disk": "ssd"}))
    apply(api, namespace, stuck)

    def failed() -> str | None:
        message = evaluate("job", {"name": "migrate"}, views).message
        return message if "failed" in message else None

    message = eventually(failed, "the deadline to pass")
    assert message.startswith("Job migrate failed (DeadlineExceeded: ")


def test_cronjob_reads_the_live_cronjob_and_its_jobs(api: ApiClient, views: Views, namespace: str) -> None:
    apply(api, namespace, cronjob("*/5 * * * *", suspend=True))
    spec = {"name": "report", "everyMinutes": 10}
    assert evaluate("cronjob", spec, views).message == (
        "CronJob report is suspended (spec.suspend: true), so it creates no Jobs."
    )
    apply(api, namespace, cronjob("0 0 30 2 *"))
    assert evaluate("cronjob", spec, views).message == (
        'CronJob report has the schedule "0 0 30 2 *", which never fires, so it creates no Jobs.'
    )
    apply(api, namespace, cronjob("*/5 * * * *"))
    assert evaluate("cronjob", spec, views).message.startswith(
        "CronJob report has not created a Job yet; its next run is at "
    )
    # `kubectl create job --from=cronjob/report` makes a Job the CronJob owns.
    owner = views().get("CronJob", "report")
    assert owner is not None
    apply(api, namespace, job("report-manual", owner=owner))
    result = passes("cronjob", spec, views, "the manual run to complete")
    assert (
        result.message == 'CronJob report runs on "*/5 * * * *" and its latest Job, report-manual, completed.'
    )
