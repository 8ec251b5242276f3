"""migration-job-fails, cronjob-never-runs and nightly-backup-cronjob are fair both ways.

The Job and CronJob controllers are the real ones; the simulation plays what the containers
do. Each challenge's scenarios run side by side (tests/live/scenarios.py): honest fixes pass
every objective, shortcuts fail the objective that catches them. Guards are tested as the
learner, with dry runs.
"""

from __future__ import annotations

import copy
import json
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
from tests.live.fairness import Obj, apply, as_learner, document, kubectl, load, refused, solve
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
    scenarios.broken(api, MIGRATE, namespace)
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


# --- cronjob-never-runs --------------------------------------------------------------------------

REPORT = "cronjob-never-runs"


def patch_report(c: Cluster, ns: str, **spec: Any) -> None:
    kubectl(c, ns, "patch", "cronjob", "nightly-report", "--type=merge", "-p", json.dumps({"spec": spec}))


def report_fixed(*, run: bool = True, **spec: Any) -> scenarios.Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        patch_report(c, ns, **spec)
        if run:
            kubectl(c, ns, "create", "job", "nightly-report-manual", "--from=cronjob/nightly-report")

    return act


def hand_made_report(api: ApiClient, c: Cluster, ns: str) -> None:
    patch_report(c, ns, suspend=False, schedule="0 2 * * *")
    template = document(load(REPORT), "manifests", "CronJob", "nightly-report")["spec"]["jobTemplate"]
    apply(
        api, ns, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "report-by-hand"}, **template}
    )


REPORT_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(REPORT), ns)),
    Scenario("kubectl patch and create job --from", report_fixed(suspend=False, schedule="0 2 * * *")),
    Scenario(
        "Etc/UTC and zero-padded fields",
        report_fixed(suspend=False, schedule="00 02 * * *", timeZone="Etc/UTC"),
    ),
    Scenario(
        "every minute",
        report_fixed(run=False, suspend=False, schedule="* * * * *"),
        key="fires-nightly",
        fragment="fires many times a day",
        passes=("not-suspended",),
    ),
    Scenario(
        "02:00 in Berlin",
        report_fixed(suspend=False, schedule="0 2 * * *", timeZone="Europe/Berlin"),
        key="fires-nightly",
        fragment="in Europe/Berlin, which fires at",
        passes=("not-suspended", "report-delivered"),
    ),
    Scenario(
        "switched on, still on the 30th of February",
        report_fixed(suspend=False),
        key="fires-nightly",
        fragment="which never fires",
        passes=("not-suspended",),
    ),
    Scenario(
        "a new schedule, still suspended",
        report_fixed(run=False, schedule="0 2 * * *"),
        key="not-suspended",
        fragment="spec.suspend = true",
    ),
    Scenario(
        "a report Job made by hand",
        hand_made_report,
        key="report-delivered",
        fragment="has not created a Job yet",
        passes=("not-suspended", "fires-nightly"),
    ),
]


@pytest.fixture(scope="module")
def report(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, REPORT, REPORT_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in REPORT_SCENARIOS])
def test_cronjob_never_runs_is_fair(report: dict[str, Outcome], label: str) -> None:
    report[label].verify()


def test_guards_keep_the_report_and_its_template(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    scenarios.broken(api, REPORT, namespace)
    learner = as_learner(cluster, namespace)
    batch = BatchV1Api(learner)
    body = refused(lambda: batch.delete_namespaced_cron_job("nightly-report", namespace, dry_run="All"))
    assert "instead of deleting it" in body
    other = {"spec": {"jobTemplate": {"spec": {"backoffLimit": 0}}}}
    body = refused(lambda: batch.patch_namespaced_cron_job("nightly-report", namespace, other, dry_run="All"))
    assert "leave the job template of nightly-report as it is" in body
    batch.patch_namespaced_cron_job(
        "nightly-report", namespace, {"spec": {"suspend": False, "schedule": "0 2 * * *"}}
    )


def test_a_run_from_the_platform_is_the_job_kubectl_makes(cluster: Cluster, namespace: str) -> None:
    api = cluster.api_client()
    scenarios.broken(api, REPORT, namespace)
    kubectl(cluster, namespace, "create", "job", "by-kubectl", "--from=cronjob/nightly-report")
    ours = job_from_cronjob(api, namespace, "nightly-report")
    theirs = BatchV1Api(api).read_namespaced_job("by-kubectl", namespace).to_dict()
    assert ours["metadata"]["name"].startswith("nightly-report-manual-")
    assert ours["metadata"]["annotations"] == theirs["metadata"]["annotations"]
    assert [
        (r["kind"], r["name"], r["uid"], r["controller"]) for r in ours["metadata"]["ownerReferences"]
    ] == [(r["kind"], r["name"], r["uid"], r["controller"]) for r in theirs["metadata"]["owner_references"]]
    assert (
        ours["spec"]["template"]["spec"]["containers"][0]["args"]
        == (theirs["spec"]["template"]["spec"]["containers"][0]["args"])
    )


# --- nightly-backup-cronjob ----------------------------------------------------------------------

BACKUP = "nightly-backup-cronjob"
PG_DUMP = [
    "pg_dump",
    "--host=orders-db",
    "--username=backup",
    "--dbname=orders",
    "--file=/backup/orders.sql",
    "--verbose",
]


def backup(**spec: Any) -> Obj:
    """The reference CronJob with spec fields changed (None removes one)."""
    cronjob = document(load(BACKUP), "solution", "CronJob", "db-backup")
    cronjob["metadata"] = {"name": "db-backup", "labels": {"app": "db-backup"}}
    cronjob["spec"].update(spec)
    cronjob["spec"] = {k: v for k, v in cronjob["spec"].items() if v is not None}
    return cronjob


def backup_container(cronjob: Obj) -> Obj:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def built(cronjob: Obj, *, run: bool = True) -> scenarios.Act:
    def act(api: ApiClient, c: Cluster, ns: str) -> None:
        apply(api, ns, cronjob)
        if run:
            kubectl(c, ns, "create", "job", "db-backup-first", "--from=cronjob/db-backup")

    return act


def from_a_skeleton(api: ApiClient, c: Cluster, ns: str) -> None:
    """kubectl create cronjob's skeleton, completed by hand, the password by kubectl set env."""
    skeleton = yaml.safe_load(
        kubectl(
            c,
            ns,
            "create",
            "cronjob",
            "db-backup",
            "--image=postgres:16-alpine",
            "--schedule=30 01 * * *",
            "--restart=Never",
            "--dry-run=client",
            "-o",
            "yaml",
            "--",
            *PG_DUMP,
        )
    )
    spec = skeleton["spec"]
    spec.update(
        timeZone="Europe/Berlin",
        concurrencyPolicy="Forbid",
        startingDeadlineSeconds=600,
        successfulJobsHistoryLimit=7,
        failedJobsHistoryLimit=3,
    )
    job = spec["jobTemplate"]["spec"]
    job["backoffLimit"] = 2
    job["template"]["metadata"] = {"labels": {"app": "db-backup"}}
    pod = job["template"]["spec"]
    pod["volumes"] = [{"name": "dump", "emptyDir": {}}]
    container = pod["containers"][0]
    container["name"] = "backup"
    container["volumeMounts"] = [{"name": "dump", "mountPath": "/backup"}]
    kubectl_in(c, ns, yaml.safe_dump(skeleton), "apply", "-f", "-")
    kubectl(
        c,
        ns,
        "set",
        "env",
        "cronjob/db-backup",
        "--from=secret/orders-db-backup",
        "--keys=password",
        "--prefix=PG",
    )
    kubectl(c, ns, "create", "job", "db-backup-first", "--from=cronjob/db-backup")


def literal_password() -> Obj:
    cronjob = backup()
    backup_container(cronjob)["env"] = [{"name": "PGPASSWORD", "value": "n1ghtly-b4ckup-orders"}]
    return cronjob


def wrong_key() -> Obj:
    cronjob = backup()
    backup_container(cronjob)["env"][0]["valueFrom"]["secretKeyRef"]["key"] = "passwd"
    return cronjob


BACKUP_SCENARIOS = [
    Scenario("the reference solution", lambda api, c, ns: solve(api, load(BACKUP), ns)),
    Scenario("kubectl create cronjob, completed, with kubectl set env", from_a_skeleton),
    Scenario(
        "a literal password",
        built(literal_password()),
        key="backup-container",
        fragment="secretKeyRef",
        passes=("first-backup", "dump-written"),
    ),
    Scenario(
        "00:30 UTC instead of Berlin time",
        built(backup(schedule="30 0 * * *", timeZone=None)),
        key="runs-as-specified",
        fragment="spec.timeZone",
        passes=("first-backup",),
    ),
    Scenario(
        "two backups may overlap",
        built(backup(concurrencyPolicy=None)),
        key="runs-as-specified",
        fragment="spec.concurrencyPolicy = Allow",
        passes=("runs-nightly-in-berlin", "first-backup", "dump-written"),
    ),
    Scenario(
        "never run",
        built(backup(), run=False),
        key="first-backup",
        fragment="has not created a Job yet",
        passes=("runs-nightly-in-berlin", "runs-as-specified", "backup-container"),
    ),
    Scenario(
        "the wrong key of the Secret",
        built(wrong_key()),
        key="backup-container",
        fragment="does not contain",
    ),
]


@pytest.fixture(scope="module")
def backups(cluster: Cluster) -> Iterator[dict[str, Outcome]]:
    with scenarios.played(cluster, BACKUP, BACKUP_SCENARIOS) as outcomes:
        yield outcomes


@pytest.mark.parametrize("label", [s.label for s in BACKUP_SCENARIOS])
def test_nightly_backup_cronjob_is_fair(backups: dict[str, Outcome], label: str) -> None:
    backups[label].verify()


def test_guards_keep_the_database_and_the_password_out_of_the_cronjob(
    cluster: Cluster, namespace: str
) -> None:
    api = cluster.api_client()
    scenarios.broken(api, BACKUP, namespace)
    learner = as_learner(cluster, namespace)
    body = refused(
        lambda: BatchV1Api(learner).create_namespaced_cron_job(namespace, literal_password(), dry_run="All")
    )
    assert "take PGPASSWORD from Secret orders-db-backup" in body
    body = refused(
        lambda: CoreV1Api(learner).delete_namespaced_secret("orders-db-backup", namespace, dry_run="All")
    )
    assert "build the backup around them" in body
    BatchV1Api(learner).create_namespaced_cron_job(namespace, backup())
