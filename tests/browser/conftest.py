"""Shared by the browser tests: the whole platform running for real behind the live server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from challenges.backends import NamespaceBackend
from tests.fixtures.browser import LAPTOP, WebServer
from tests.fixtures.cluster import Cluster
from tests.fixtures.console import RunnerProcess
from tests.fixtures.worker import Workers


@pytest.fixture
def platform(
    cluster: Cluster, celery_workers: Workers, console_runner: RunnerProcess, settings: Settings
) -> Iterator[NamespaceBackend]:
    """The content loaded, a worker provisioning on the local control plane, quick checks, the runner."""
    prefix = f"bfb{secrets.token_hex(2)}"
    settings.BREAKFIX_KUBECONFIG = str(cluster.kubeconfig)
    settings.BREAKFIX_ENVIRONMENT_PREFIX = prefix
    settings.BREAKFIX_CHECK_INTERVAL_SECONDS = 1
    call_command("sync_challenges", verbosity=0)
    celery_workers.start(
        concurrency=2,
        BREAKFIX_KUBECONFIG=str(cluster.kubeconfig),
        BREAKFIX_ENVIRONMENT_PREFIX=prefix,
        BREAKFIX_BACKEND="namespace",
    )
    backend = NamespaceBackend(prefix=prefix, kubeconfig=cluster.kubeconfig)
    try:
        yield backend
    finally:
        # Environments outlive the test database otherwise: remove what this test made.
        for environment in backend.list_environments():
            backend.destroy(environment)


@pytest.fixture
def learner_page(browser: Browser, live_server: LiveServer, web_server: WebServer) -> Iterator[Page]:
    """A second person at a second browser: their own cookies, their own session."""
    context = browser.new_context(viewport=LAPTOP, base_url=web_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
