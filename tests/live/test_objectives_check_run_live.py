"""The new objective types together in one check run: correct, concurrent and quick."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kubernetes.client import ApiClient

from tests.fixtures.cluster import Cluster
from tests.live.test_objectives_ingress_live import ingress
from tests.live.test_objectives_jobs_live import cronjob, job
from tests.live.test_validators_live import Views, apply, deployment, passes, ready_pods, service
from tests.validators import pki
from validators import NamespaceView, Objective, client_from_file, run_check

pytestmark = pytest.mark.live


@pytest.fixture
def api(cluster: Cluster) -> Iterator[ApiClient]:
    with client_from_file(cluster.kubeconfig) as client:
        yield client


@pytest.fixture
def views(api: ApiClient, namespace: str) -> Views:
    return lambda: NamespaceView(api, namespace)


def test_a_check_run_of_the_new_types_is_quick(api: ApiClient, views: Views, namespace: str) -> None:
    hosts = ["shop.example.com", "www.shop.example.com"]
    apply(
        api,
        namespace,
        deployment("web", replicas=2),
        deployment("api", replicas=2),
        service("web", {"app": "web"}, target="http"),
        service("api", {"app": "api"}, target="http"),
        pki.for_hosts("web-tls", *hosts),
        ingress(tls=[{"hosts": hosts, "secretName": "web-tls"}]),
        job("migrate"),
        cronjob("*/5 * * * *"),
    )
    ready_pods(views, "web", 2)
    ready_pods(views, "api", 2)
    passes("job", {"name": "migrate"}, views, "the Job")
    web = {"kind": "Deployment", "name": "web"}
    objectives = [
        Objective("pods", "Pods", "pods", {"workload": web}, "The web pods are unhealthy."),
        Objective(
            "service",
            "Service",
            "service",
            {"name": "web", "workload": web, "ports": [{"port": 80, "targetPort": 8080}]},
            "The Service does not front web.",
        ),
        Objective(
            "route",
            "Route",
            "ingress",
            {"name": "shop", "host": "shop.example.com", "path": "/api", "service": "api", "port": 80},
            "The API is not routed.",
        ),
        Objective("tls", "TLS", "tls", {"ingress": "shop"}, "HTTPS is broken."),
        Objective("job", "Job", "job", {"name": "migrate"}, "The migration did not run."),
        Objective(
            "cronjob",
            "CronJob",
            "cronjob",
            {"name": "report", "everyMinutes": 10, "lastJobSucceeded": False},
            "The report never runs.",
        ),
        Objective(
            "no-backoff",
            "No back-off",
            "event",
            {"workload": web, "forbiddenReasons": ["BackOff", "Unhealthy"]},
            "The web pods keep failing.",
        ),
    ]
    run_check(objectives, views())  # warm the connection pool
    timings = []
    for _ in range(11):
        started = time.perf_counter()
        results = run_check(objectives, views())
        timings.append(time.perf_counter() - started)
    assert [(r.key, r.passed) for r in results] == [(o.key, True) for o in objectives], [
        r.message for r in results if not r.passed
    ]
    median = sorted(timings)[5]
    worst = max(timings) * 1000
    print(f"check run of {len(objectives)} objectives: median {median * 1000:.0f} ms, max {worst:.0f} ms")
    # No restart sampling happened (nothing restarted), so nothing slept: one round of reads.
    assert median < 0.5, f"a check run took {median:.2f}s (median of {[round(t, 3) for t in timings]})"
