"""migration-job-fails, cronjob-never-runs and nightly-backup-cronjob are fair both ways.

The Job and CronJob controllers are the real ones; the simulation plays what the containers
do. Each challenge's scenarios run side by side (tests/live/scenarios.py): honest fixes pass
every objective, shortcuts fail the objective that catches them. Guards are tested as the
learner, with dry runs.
"""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient, BatchV1Api, CoreV1Api

from challenges.kube.recreate import job_from_cronjob
from tests.fixtures.cluster import Cluster
from tests.live import scenarios
from tests.live.fairness import Obj, apply, as_learner, broken, document, kubectl, load, refused, solve
from tests.live.scenarios import Outcome, Scenario

pytestmark = pytest.mark.live


def kubectl_in(cluster: Cluster, namespace: str, stdin: str, *args: str) -> str:
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), "-n", namespace, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def delete_job(api: ApiClient, namespace: str, name: str) -> None:
    BatchV1Api(api).delete_namespaced_job(name, namespace, propagation_policy="Background")


# --- migration-job-fails -------------------------------------------------------------------------

MIGRATE = "migration-job-fails"


def migration(args: list[str] | None = None, *, name: str = "db-migrate", **container: Any) -> Obj:
    """The reference Job, with its container changed."""
    job = document(load(MIGRATE), "solution", "Job", "db-migrate")
    job["metadata"] = {"name": name, "labels": {"app": "db-migrate"}}
    (original,) = job["spec"]["template"]["spec"]["containers"]
    changed = {**original, **container}
    if args is not None:
        changed["args"] = args
    job["spec"]["template"]["spec"]["containers"] = [{k: v for k, v in changed.items() if v is not None}]
    return job


def recreated(job: Obj) -> scenarios.Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        kubectl(c, ns, "delete", "job", "db-migrate", "--wait=true")
        apply(api, ns, job)

    return act


def replace_force(api: ApiClient, c: Cluster, ns: str) -> None:
    """What the hint describes: the cluster's own YAML, corrected, through kubectl replace --force."""
    job = yaml.safe_load(kubectl(c, ns, "get", "job", "db-migrate", "-o", "yaml"))
    job.pop("status", None)
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"):
        job["metadata"].pop(key, None)
    job["spec"].pop("selector", None)
    for labels in (job["metadata"].get("labels") or {}, job["spec"]["template"]["metadata"]["labels"]):
        for key in [k for k in labels if "controller-uid" in k or k == "job-name"]:
            labels.pop(key)
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["args"] = [container["args"][0].replace("pyhton3", "python3")]
    kubectl_in(c, ns, yaml.safe_dump(job), "replace", "--force", "-f", "-")


def hand_made_pod(api: ApiClient, c: Cluster, ns: str) -> None:
    template = copy.deepcopy(migration()["spec"]["template"])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "migrate-by-hand", **template["metadata"]}}
    pod["spec"] = template["spec"]
    apply(api, ns, pod)


MIGRATE_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(MIGRATE), ns)),
    Scenario(
        "python3 without a shell",
        recreated(migration(command=["python3", "/opt/migrations/run.py"], args=None)),
    ),
    Scenario("kubectl replace --force on the cluster's YAML", replace_force),
    Scenario(
        "a Job that only runs true",
        recreated(migration(["true"])),
        key="schema-migrated",
        fragment='has not logged "schema is at 0042_invoice_due_date"',
        passes=("migration-completed",),
    ),
    Scenario(
        "the fixed Job under another name",
        recreated(migration(name="db-migrate-v2")),
        key="migration-completed",
        fragment="There is no Job named db-migrate",
    ),
    Scenario(
        "a higher backoffLimit",
        lambda api, c, ns: kubectl(c, ns, "patch", "job", "db-migrate", "-p", '{"spec":{"backoffLimit":6}}'),
        key="migration-completed",
        fragment="exited with code 127",
    ),
    Scenario(
        "a hand-made pod beside the failed Job",
        hand_made_pod,
        key="schema-migrated",
        fragment="pods of Job db-migrate",
    ),
]


@pytest.fixture(scope="module")
def migrate(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, MIGRATE, MIGRATE_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in MIGRATE_SCENARIOS])
def test_migration_job_fails_is_fair(migrate: dict[str, Outcome], label: str) -> None:
    migrate[label].verify()


def test_guards_keep_the_migration_script_and_image(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    broken(api, MIGRATE, namespace)
    learner = as_learner(cluster, namespace)
    batch = BatchV1Api(learner)
    delete_job(learner, namespace, "db-migrate")
    other_image = migration(image="python:3.13-slim")
    body = refused(lambda: batch.create_namespaced_job(namespace, other_image, dry_run="All"))
    assert "python:3.12-slim" in body
    body = refused(lambda: batch.create_namespaced_job(namespace, migration(["true"]), dry_run="All"))
    assert "/opt/migrations/run.py" in body
    script = {"data": {"run.py": "print('schema is at 0042_invoice_due_date')"}}
    body = refused(
        lambda: CoreV1Api(learner).patch_namespaced_config_map("migrations", namespace, script, dry_run="All")
    )
    assert "leave ConfigMap migrations as it is" in body
    pod = {
        "metadata": {"name": "by-hand", "labels": {"app": "db-migrate"}},
        "spec": migration()["spec"]["template"]["spec"],
    }
    body = refused(lambda: CoreV1Api(learner).create_namespaced_pod(namespace, pod, dry_run="All"))
    assert "run the migration through the Job" in body
    # The honest fix goes through.
    batch.create_namespaced_job(namespace, migration())
