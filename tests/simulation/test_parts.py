"""The pieces of the simulated kubelet: images, environment and volumes, the spec, logs, phases."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from simulation import images, podstatus, quantity, resolve
from simulation.behaviour import Facts, RunContext, holds, plan_run
from simulation.containers import backoff_seconds, go_duration, pull_backoff_seconds
from simulation.logfiles import LogStore, cri_line
from simulation.spec import Condition, SimulationSpec

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reference", "normalized"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("ghcr.io/shop/api:2.4", "ghcr.io/shop/api:2.4"),
        ("localhost:5000/api", "localhost:5000/api:latest"),
        ("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc"),
    ],
)
def test_image_references_are_normalized_as_containerd_does(reference: str, normalized: str) -> None:
    assert images.normalize(reference) == normalized


def test_a_missing_image_is_missing_however_it_is_written() -> None:
    assert images.is_missing("nginx:1.27-alpinee", ["docker.io/library/nginx:1.27-alpinee"])
    assert not images.is_missing("nginx:1.27-alpine", ["nginx:1.27-alpinee"])


def test_quantities_parse_binary_and_decimal_suffixes() -> None:
    assert quantity.parse("128Mi") == 128 * 2**20
    assert quantity.parse("1.5Gi") == int(1.5 * 2**30)
    assert quantity.parse("500m") == quantity.parse("0.5")
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity.parse("lots")


def test_the_back_offs_are_the_kubelets_capped_low() -> None:
    assert [backoff_seconds(n) for n in range(6)] == [0, 10, 20, 40, 40, 40]
    assert [pull_backoff_seconds(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 40]
    assert [go_duration(s) for s in (10, 40, 80, 300)] == ["10s", "40s", "1m20s", "5m0s"]


# --- environment and volumes ---------------------------------------------------------------------

POD = {
    "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1", "labels": {"app": "web"}},
    "spec": {"nodeName": "kwok-node-0"},
    "status": {"podIP": "10.244.0.9"},
}


def objects(**configmaps: dict[str, str]) -> resolve.Objects:
    secret = {"data": {"password": base64.b64encode(b"s3cret").decode()}}
    return resolve.Objects("shop", {k: {"data": v} for k, v in configmaps.items()}, {"db": secret})


def test_env_from_comes_first_and_env_overrides_and_expands() -> None:
    container = {
        "envFrom": [{"configMapRef": {"name": "app"}, "prefix": "APP_"}, {"secretRef": {"name": "db"}}],
        "env": [
            {"name": "APP_MODE", "value": "strict"},
            {"name": "URL", "value": "postgres://$(APP_HOST)/shop"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        ],
    }
    env = resolve.environment(POD, container, objects(app={"MODE": "loose", "HOST": "db"}))
    assert env == {
        "APP_MODE": "strict",
        "APP_HOST": "db",
        "password": "s3cret",
        "URL": "postgres://db/shop",
        "POD": "web-1",
        "TIER": "web",
    }


@pytest.mark.parametrize(
    ("container", "message"),
    [
        ({"envFrom": [{"configMapRef": {"name": "nope"}}]}, 'configmap "nope" not found'),
        ({"envFrom": [{"secretRef": {"name": "nope"}}]}, 'secret "nope" not found'),
        (
            {"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "x"}}}]},
            "couldn't find key x in ConfigMap shop/app",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "db", "key": "user"}}}]},
            "couldn't find key user in Secret shop/db",
        ),
    ],
)
def test_a_missing_object_or_key_refuses_the_container_in_the_kubelets_words(
    container: dict, message: str
) -> None:
    with pytest.raises(resolve.ConfigError, match=message):
        resolve.environment(POD, container, objects(app={}))


def test_optional_references_to_missing_things_are_skipped() -> None:
    container = {
        "envFrom": [{"configMapRef": {"name": "nope", "optional": True}}],
        "env": [
            {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "x", "optional": True}}}
        ],
    }
    assert resolve.environment(POD, container, objects(app={})) == {}


def test_volumes_give_files_and_a_missing_configmap_cannot_be_mounted() -> None:
    pod = {
        **POD,
        "spec": {
            "volumes": [
                {
                    "name": "config",
                    "configMap": {"name": "app", "items": [{"key": "app.yaml", "path": "conf/app.yaml"}]},
                },
                {"name": "scratch", "emptyDir": {}},
            ]
        },
    }
    mounted = resolve.volumes(pod, objects(app={"app.yaml": "db: x"}))
    container = {
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/app"},
            {"name": "config", "mountPath": "/app.yaml", "subPath": "conf/app.yaml"},
        ]
    }
    assert resolve.files(container, mounted) == {"/etc/app/conf/app.yaml": "db: x", "/app.yaml": "db: x"}
    with pytest.raises(resolve.MountError) as raised:
        resolve.volumes(pod, objects())
    assert str(raised.value) == 'MountVolume.SetUp failed for volume "config" : configmap "app" not found'
    assert resolve.volumes(pod, objects(), strict=False)["config"] == {}


# --- the spec and its conditions -----------------------------------------------------------------


def test_a_failure_needs_exactly_one_trigger_and_one_outcome() -> None:
    with pytest.raises(ValidationError, match="exactly one of when and unless"):
        SimulationSpec.model_validate({"containers": [{"name": "a", "failures": [{"exitCode": 1}]}]})
    with pytest.raises(ValidationError, match="either exits"):
        SimulationSpec.model_validate(
            {
                "containers": [
                    {"name": "a", "failures": [{"unless": {"env": ["A"]}, "exitCode": 1, "waits": True}]}
                ]
            }
        )
    with pytest.raises(ValidationError, match="at least one of"):
        Condition.model_validate({})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SimulationSpec.model_validate({"containers": [{"name": "a", "exitsWith": 1}]})


def test_the_most_specific_description_of_a_container_wins() -> None:
    spec = SimulationSpec.model_validate(
        {
            "containers": [
                {"name": "api", "listens": [1]},
                {"name": "api", "podLabels": {"track": "canary"}, "listens": [2]},
            ]
        }
    )
    assert spec.behaviour_for("api", {"track": "canary"}).listens == [2]  # type: ignore[union-attr]
    assert spec.behaviour_for("api", {}).listens == [1]  # type: ignore[union-attr]
    assert spec.behaviour_for("web", {}) is None


def test_conditions_read_what_the_run_was_started_with_and_what_the_namespace_has() -> None:
    run = RunContext(
        env={"A": "1", "EMPTY": ""},
        files={"/etc/app.yaml": "db: x"},
        argv=("python", "manage.py migrate"),
        image="shop/api:2",
    )
    facts = Facts(services=frozenset({"db"}), endpoints=frozenset())
    assert holds(Condition(env=["A"]), run, facts)
    assert not holds(Condition(env=["EMPTY"]), run, facts)
    assert holds(Condition(file_contains={"/etc/app.yaml": "db:"}), run, facts)
    assert holds(Condition(argv_includes=["migrate"]), run, facts)
    assert holds(Condition(image=["docker.io/shop/api:2"]), run, facts)
    assert holds(Condition(services=["db"]), run, facts)
    assert not holds(Condition(endpoints=["db"]), run, facts)


def test_healthy_logs_spread_over_the_start_and_expand_variables() -> None:
    spec = SimulationSpec.model_validate(
        {"containers": [{"name": "api", "startSeconds": 4, "logs": ["starting", "db ${DB}", "ready"]}]}
    )
    plan = plan_run(
        behaviour=spec.behaviour_for("api", {}),
        run=RunContext(env={"DB": "x"}),
        facts=Facts(),
        started_at=T0,
        completes_by_default=False,
        memory_limit=None,
    )
    assert [(line.at - T0).total_seconds() for line in plan.lines] == [0, 2, 4]
    assert [line.text for line in plan.logs_until(T0 + timedelta(seconds=3))] == ["starting", "db x"]
    assert plan.serving_from == T0 + timedelta(seconds=4) and plan.ends_at is None


# --- logs and phases -----------------------------------------------------------------------------


def test_log_files_are_cri_lines_and_previous_follows_the_runs(tmp_path: Path) -> None:
    assert cri_line(T0, "hello") == "2026-12-01T12:00:00.000000000Z stdout F hello\n"
    store = LogStore(tmp_path)
    store.write("shop", "u1", "api", 0, [(T0, "first run")])
    assert store.current("shop", "u1", "api").read_text() == cri_line(T0, "first run")
    assert store.previous("shop", "u1", "api").read_text() == ""
    store.write("shop", "u1", "api", 1, [(T0, "second run")])
    assert "first run" in store.previous("shop", "u1", "api").read_text()
    assert "second run" in store.current("shop", "u1", "api").read_text()
    store.write("shop", "u1", "api", 3, [])
    assert not (tmp_path / "shop" / "u1" / "api" / "0.log").exists()
    store.remove("shop", "u1")
    assert not (tmp_path / "shop").exists()


def test_a_crash_looping_pod_is_running_and_a_failed_job_pod_failed() -> None:
    looping = {
        "name": "a",
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1}},
    }
    assert (
        podstatus.phase({"containers": [{"name": "a"}]}, [], [looping], is_terminal=False, initialized=True)
        == "Running"
    )
    spec = {"restartPolicy": "Never", "containers": [{"name": "a"}]}
    failed = [{"name": "a", "state": {"terminated": {"exitCode": 2}}}]
    assert podstatus.terminal(spec, [], failed)
    assert podstatus.phase(spec, [], failed, is_terminal=True, initialized=True) == "Failed"


def test_a_container_given_a_gpu_sees_the_device_plugins_variable_and_no_other_does() -> None:
    objects = resolve.Objects("shop")
    gpu = {"name": "model", "resources": {"limits": {"nvidia.com/gpu": "1"}}}
    seen = resolve.environment(POD, gpu, objects)
    assert seen["NVIDIA_VISIBLE_DEVICES"].startswith("GPU-")
    assert resolve.environment(POD, gpu, objects) == seen  # the same device at every start
    assert "NVIDIA_VISIBLE_DEVICES" not in resolve.environment(POD, {"name": "cpu"}, objects)
    # Set by hand, it does not survive: the runtime's value wins, and without a GPU there is none.
    forged = {**gpu, "env": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]}
    assert (
        resolve.environment(POD, forged, objects)["NVIDIA_VISIBLE_DEVICES"] == seen["NVIDIA_VISIBLE_DEVICES"]
    )
