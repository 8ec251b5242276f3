"""The simulated kubelet, through simulated time: what a pod shows, and when it recovers."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.simulation.driver import Run, condition, pod, state, world

CRASH_UNLESS_DB = {
    "containers": [
        {
            "name": "app",
            "listens": [8080],
            "startSeconds": 2,
            "logs": ["starting", "connected to ${DATABASE_URL}", "listening on :8080"],
            "failures": [
                {
                    "unless": {"env": ["DATABASE_URL"]},
                    "exitCode": 1,
                    "afterSeconds": 1,
                    "logs": ["starting", "FATAL: DATABASE_URL is not set"],
                },
            ],
        }
    ]
}


def crashing(**around: object) -> Run:
    container = {"name": "app", "image": "shop/api:1.4", "envFrom": [{"configMapRef": {"name": "api"}}]}
    configmaps = {"api": {"data": {"DB_URL": "postgres://db/shop"}}}
    return Run(pod(containers=[container]), world(CRASH_UNLESS_DB, configmaps=configmaps, **around))  # type: ignore[arg-type]


def test_an_ordinary_pod_is_running_and_ready_at_the_first_sync_with_an_ip() -> None:
    run = Run(pod(), world())
    run.sync()
    status = run.pod["status"]
    assert status["phase"] == "Running"
    assert status["podIP"] == "10.244.0.7" and status["hostIP"] == "172.18.0.10"
    assert condition(status, "Ready") == "True"
    assert run.container()["ready"] is True and state(run.container()) == "running"
    assert run.reasons() == ["Pulling", "Pulled", "Created", "Started"]


def test_a_synced_pod_that_nothing_changes_needs_no_new_status() -> None:
    run = Run(pod(), world())
    run.sync()
    assert run.sync().status is None


def test_a_crashing_container_restarts_at_once_then_backs_off_10_20_40_seconds() -> None:
    run = crashing()
    restarts_at: dict[int, datetime] = {}
    run.until(120, stop=lambda s: False)
    for at, status in run.history:
        container = status["containerStatuses"][0]
        if state(container) == "running":
            restarts_at.setdefault(container["restartCount"], at)
    gaps = [(restarts_at[n + 1] - restarts_at[n]).total_seconds() for n in range(4)]
    # Run for 1 s each time; the first exit is restarted at once (1 s shown as Error), then
    # CrashLoopBackOff waits 10, 20, 40 (capped) seconds after each exit.
    assert gaps == [2, 11, 21, 41]
    container = run.container()
    assert container["lastState"]["terminated"]["exitCode"] == 1
    assert container["lastState"]["terminated"]["reason"] == "Error"
    assert run.pod["status"]["phase"] == "Running"
    assert condition(run.pod["status"], "Ready") == "False"


def test_crash_loop_back_off_says_so_in_status_and_events() -> None:
    run = crashing()
    run.until(5)
    container = run.container()
    assert state(container) == "waiting:CrashLoopBackOff"
    assert container["state"]["waiting"]["message"] == (
        "back-off 10s restarting failed container=app pod=web_shop(uid-web)"
    )
    assert "BackOff" in run.reasons()
    backoff = next(e for _, e in run.events if e.reason == "BackOff")
    assert backoff.message == "Back-off restarting failed container app in pod web_shop(uid-web)"
    assert backoff.type == "Warning" and backoff.field_path == "spec.containers{app}"


def test_the_crash_log_is_current_during_back_off_and_previous_after_the_next_start() -> None:
    run = crashing()
    run.until(5)
    assert state(run.container()) == "waiting:CrashLoopBackOff"
    assert run.logs["app"][0] == 1  # the run that crashed is current, the one before it previous
    run.until(10, stop=lambda s: state(s["containerStatuses"][0]) == "running")
    assert state(run.container()) == "running"
    assert run.logs["app"][0] == 2


def test_the_logs_of_a_crashing_run_end_with_the_error_at_exit_time() -> None:
    run = crashing()
    run.until(1.5)
    live, lines = run.logs["app"]
    assert live == 0 and lines is not None
    assert [text for _, text in lines] == ["starting", "FATAL: DATABASE_URL is not set"]
    assert lines[-1][0] == run.history[0][0] + timedelta(seconds=1)


def test_fixing_the_configmap_heals_the_pod_at_its_next_restart() -> None:
    run = crashing()
    run.until(15)
    assert state(run.container()) in ("waiting:CrashLoopBackOff", "running", "terminated:Error")
    configmaps = {"api": {"data": {"DATABASE_URL": "postgres://db/shop"}}}
    run.around = world(CRASH_UNLESS_DB, configmaps=configmaps)
    run.until(60)
    container = run.container()
    assert state(container) == "running" and container["ready"] is True
    assert condition(run.pod["status"], "Ready") == "True"
    _, lines = run.logs["app"]
    assert lines and lines[-1][1] == "listening on :8080"
    assert "connected to postgres://db/shop" in [text for _, text in lines]


def test_a_running_container_keeps_the_environment_it_was_started_with() -> None:
    configmaps = {"api": {"data": {"DATABASE_URL": "postgres://db/shop"}}}
    container = {"name": "app", "image": "shop/api:1.4", "envFrom": [{"configMapRef": {"name": "api"}}]}
    run = Run(pod(containers=[container]), world(CRASH_UNLESS_DB, configmaps=configmaps))
    run.until(5)
    run.around = world(CRASH_UNLESS_DB, configmaps={"api": {"data": {}}})
    run.until(60)
    assert state(run.container()) == "running" and run.container()["restartCount"] == 0


def test_an_image_that_does_not_exist_alternates_err_image_pull_and_image_pull_back_off() -> None:
    run = Run(
        pod(containers=[{"name": "app", "image": "nginx:1.27-alpinee"}]),
        world({"missingImages": ["docker.io/library/nginx:1.27-alpinee"]}),
    )
    run.until(40)
    seen = [state(s["containerStatuses"][0]) for _, s in run.history]
    assert seen[:4] == [
        "waiting:ErrImagePull",
        "waiting:ImagePullBackOff",
        "waiting:ErrImagePull",
        "waiting:ImagePullBackOff",
    ]
    assert run.pod["status"]["phase"] == "Pending"
    messages = [e.message for _, e in run.events]
    assert 'Pulling image "nginx:1.27-alpinee"' in messages
    assert 'Back-off pulling image "nginx:1.27-alpinee"' in messages
    assert "Error: ImagePullBackOff" in messages
    failed = next(m for m in messages if m.startswith("Failed to pull image"))
    assert "docker.io/library/nginx:1.27-alpinee: not found" in failed


def test_a_missing_configmap_key_is_create_container_config_error_until_it_exists() -> None:
    container = {
        "name": "app",
        "image": "nginx:1.27",
        "env": [{"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "api", "key": "level"}}}],
    }
    run = Run(pod(containers=[container]), world(configmaps={"api": {"data": {}}}))
    run.until(5)
    assert state(run.container()) == "waiting:CreateContainerConfigError"
    assert run.container()["state"]["waiting"]["message"] == "couldn't find key level in ConfigMap shop/api"
    assert run.pod["status"]["phase"] == "Pending"
    run.around = world(configmaps={"api": {"data": {"level": "debug"}}})
    run.sync()
    assert state(run.container()) == "running"


def test_a_missing_secret_volume_keeps_the_pod_container_creating_with_failed_mount() -> None:
    volumes = [{"name": "creds", "secret": {"secretName": "db"}}]
    container = {
        "name": "app",
        "image": "nginx:1.27",
        "volumeMounts": [{"name": "creds", "mountPath": "/creds"}],
    }
    run = Run(pod(containers=[container], volumes=volumes), world())
    run.until(20)
    assert state(run.container()) == "waiting:ContainerCreating"
    assert "podIP" not in run.pod["status"]
    mount = [e for _, e in run.events if e.reason == "FailedMount"]
    assert mount and mount[0].message == 'MountVolume.SetUp failed for volume "creds" : secret "db" not found'
    run.around = world(secrets={"db": {"data": {}}})
    run.sync()
    assert state(run.container()) == "running"


def test_a_memory_limit_below_what_the_app_needs_is_oom_killed_137() -> None:
    simulation = {"containers": [{"name": "app", "memory": "300Mi", "startSeconds": 3}]}
    container = {"name": "app", "image": "shop/cache:2", "resources": {"limits": {"memory": "128Mi"}}}
    run = Run(pod(containers=[container]), world(simulation))
    run.until(4)
    ended = next(
        s["containerStatuses"][0]["state"]["terminated"]
        for _, s in run.history
        if "terminated" in s["containerStatuses"][0]["state"]
    )
    assert ended["reason"] == "OOMKilled" and ended["exitCode"] == 137
    enough = {"name": "app", "image": "shop/cache:2", "resources": {"limits": {"memory": "512Mi"}}}
    healthy = Run(pod(containers=[enough]), world(simulation))
    healthy.until(30)
    assert state(healthy.container()) == "running" and healthy.container()["restartCount"] == 0


def test_a_readiness_probe_on_a_port_nothing_listens_on_never_passes() -> None:
    simulation = {"containers": [{"name": "app", "listens": [8080]}]}
    probe = {"httpGet": {"path": "/healthz", "port": 8081}, "periodSeconds": 5}
    run = Run(
        pod(containers=[{"name": "app", "image": "nginx:1.27", "readinessProbe": probe}]), world(simulation)
    )
    run.until(30)
    assert state(run.container()) == "running" and run.container()["ready"] is False
    assert condition(run.pod["status"], "Ready") == "False"
    unhealthy = [e for _, e in run.events if e.reason == "Unhealthy"]
    assert unhealthy[-1].count == 7  # ticks at 0, 5, …, 30
    assert unhealthy[-1].message == (
        'Readiness probe failed: Get "http://10.244.0.7:8081/healthz": dial tcp 10.244.0.7:8081: '
        "connect: connection refused"
    )


def test_a_readiness_probe_on_the_right_port_passes_once_the_app_has_started() -> None:
    simulation = {"containers": [{"name": "app", "listens": [8080], "startSeconds": 7}]}
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}
    run = Run(
        pod(containers=[{"name": "app", "image": "nginx:1.27", "readinessProbe": probe}]), world(simulation)
    )
    run.until(30)
    ready_at = next(at for at, s in run.history if s["containerStatuses"][0]["ready"])
    assert (ready_at - run.history[0][0]).total_seconds() == 10


def test_a_liveness_probe_kills_a_slow_starter_and_a_startup_probe_saves_it() -> None:
    simulation = {"containers": [{"name": "app", "listens": [8080], "startSeconds": 45}]}
    liveness = {"httpGet": {"path": "/", "port": 8080}, "initialDelaySeconds": 10, "periodSeconds": 10}
    killed = Run(
        pod(containers=[{"name": "app", "image": "shop/slow:1", "livenessProbe": liveness}]),
        world(simulation),
    )
    killed.until(40)
    assert killed.container()["restartCount"] >= 1
    last = killed.container()["lastState"]["terminated"]
    assert last["exitCode"] == 137
    assert "Container app failed liveness probe, will be restarted" in [e.message for _, e in killed.events]

    startup = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 10, "failureThreshold": 10}
    saved = Run(
        pod(
            containers=[
                {"name": "app", "image": "shop/slow:1", "livenessProbe": liveness, "startupProbe": startup}
            ]
        ),
        world(simulation),
    )
    saved.until(120)
    assert saved.container()["restartCount"] == 0 and saved.container()["started"] is True
    assert saved.container()["ready"] is True


def test_an_init_container_waiting_for_a_service_holds_the_pod_until_the_service_exists() -> None:
    simulation = {
        "containers": [
            {
                "name": "wait-db",
                "logs": ["db is up"],
                "failures": [{"unless": {"services": ["db"]}, "waits": True, "logs": ["waiting for db"]}],
            }
        ]
    }
    run = Run(pod(init=[{"name": "wait-db", "image": "busybox:1.36"}]), world(simulation))
    run.until(20)
    assert state(run.container("wait-db", init=True)) == "running"
    assert state(run.container()) == "waiting:PodInitializing"
    assert condition(run.pod["status"], "Initialized") == "False"
    run.around = world(simulation, services=frozenset({"db"}))
    run.until(5)
    assert run.container("wait-db", init=True)["state"]["terminated"]["reason"] == "Completed"
    assert state(run.container()) == "running"
    assert condition(run.pod["status"], "Initialized") == "True"


def test_a_failing_init_container_crash_loops_and_fails_the_pod_with_restart_policy_never() -> None:
    simulation = {
        "containers": [
            {
                "name": "migrate",
                "failures": [
                    {
                        "when": {"argvIncludes": ["migrat"]},
                        "exitCode": 2,
                        "logs": ["Unknown command: 'migrat'"],
                    }
                ],
            }
        ]
    }
    init = [{"name": "migrate", "image": "shop/api:1", "command": ["python", "manage.py", "migrat"]}]
    looping = Run(pod(init=init), world(simulation))
    looping.until(20)
    assert looping.container("migrate", init=True)["restartCount"] >= 1
    assert looping.pod["status"]["phase"] == "Pending"
    never = Run(pod(init=init, restart_policy="Never"), world(simulation))
    never.until(10)
    assert never.pod["status"]["phase"] == "Failed"


def test_job_pods_complete_by_default_and_fail_when_their_command_is_wrong() -> None:
    ok = Run(pod(restart_policy="Never", owner="Job"), world())
    ok.until(5)
    assert ok.pod["status"]["phase"] == "Succeeded"
    assert ok.container()["state"]["terminated"]["reason"] == "Completed"
    simulation = {
        "containers": [
            {
                "name": "app",
                "failures": [
                    {
                        "unless": {"argv": ["python", "manage.py", "migrate"]},
                        "exitCode": 1,
                        "logs": ["bad command"],
                    }
                ],
            }
        ]
    }
    failing = Run(
        pod(
            restart_policy="Never",
            owner="Job",
            containers=[{"name": "app", "image": "shop/api:1", "command": ["python", "migrat"]}],
        ),
        world(simulation),
    )
    failing.until(5)
    assert failing.pod["status"]["phase"] == "Failed"
    assert condition(failing.pod["status"], "Ready") == "False"
