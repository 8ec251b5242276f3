"""The console running the real kubectl against the local control plane, as the learner."""

from __future__ import annotations

import pytest
from django.test import override_settings

from challenges.console.runner import TRUNCATED, kubectl_path
from challenges.console.services import console_run
from challenges.models import Attempt
from tests.challenges.live_learner import live_attempt  # noqa: F401
from tests.fixtures.cluster import eventually, require_real
from tests.fixtures.console import RunnerProcess

pytestmark = [pytest.mark.live, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _real_kubectl(console_runner: RunnerProcess) -> None:
    """Every command goes through the session's runner, in its bwrap sandbox, running this kubectl."""
    path = kubectl_path()
    if "controlplane" not in path:
        require_real("kubectl", f"the console would run {path}, not the control plane's kubectl")


def test_it_shows_the_endpoints_of_the_broken_service(live_attempt: Attempt) -> None:  # noqa: F811
    command = console_run(attempt=live_attempt, line="kubectl get endpoints frontend")
    assert command.exit_code == 0, command.output
    assert "frontend" in command.output
    assert "<none>" in command.output  # the selector matches no pod


def test_it_lists_the_pods_of_the_namespace_with_their_labels(live_attempt: Attempt) -> None:  # noqa: F811
    def three_pods() -> str | None:
        output = console_run(attempt=live_attempt, line="get pods --show-labels").output
        return output if output.count("app=frontend") == 3 else None

    assert "tier=web" in eventually(three_pods, "three frontend pods")


def test_rbac_refusals_come_back_in_the_api_servers_words(live_attempt: Attempt) -> None:  # noqa: F811
    command = console_run(attempt=live_attempt, line="kubectl get nodes")
    assert command.exit_code != 0
    assert "Forbidden" in command.output
    assert f"system:serviceaccount:{live_attempt.environment}:learner" in command.output


def test_a_guard_refuses_a_shortcut_with_its_message(live_attempt: Attempt) -> None:  # noqa: F811
    line = "kubectl set image deployment/frontend nginx=nginx:1.28-alpine --dry-run=server"

    def refused() -> str | None:
        # The API server picks new admission policies up from an informer: allow it a moment.
        command = console_run(attempt=live_attempt, line=line)
        return command.output if command.exit_code else None

    assert "The frontend image is not the problem" in eventually(refused, "the guard to refuse a new image")


def test_the_learner_can_fix_the_service_from_the_console(live_attempt: Attempt) -> None:  # noqa: F811
    patch = """kubectl patch service frontend -p '{"spec":{"selector":{"app":"frontend","tier":"web"}}}'"""
    command = console_run(attempt=live_attempt, line=patch)
    assert command.exit_code == 0, command.output
    assert "patched" in command.output

    def endpoints() -> str | None:
        output = console_run(attempt=live_attempt, line="get endpoints frontend").output
        return output if "<none>" not in output and ":80" in output else None

    eventually(endpoints, "the Service's endpoints")


def test_it_refuses_another_namespace_before_kubectl_runs(live_attempt: Attempt) -> None:  # noqa: F811
    command = console_run(attempt=live_attempt, line="kubectl get pods -n kube-system")
    assert command.refused
    assert command.exit_code is None


def test_a_refused_flag_never_reaches_the_api_server(live_attempt: Attempt) -> None:  # noqa: F811
    command = console_run(attempt=live_attempt, line="kubectl get secrets --as=system:admin")
    assert command.refused
    assert "impersonates" in command.output


def test_the_learners_kubeconfig_is_the_only_credential(live_attempt: Attempt) -> None:  # noqa: F811
    command = console_run(attempt=live_attempt, line="kubectl auth whoami")
    assert command.exit_code == 0, command.output
    assert f"system:serviceaccount:{live_attempt.environment}:learner" in command.output


@override_settings(BREAKFIX_CONSOLE_OUTPUT_LIMIT=300)
def test_long_output_is_cut_with_a_note(live_attempt: Attempt) -> None:  # noqa: F811
    command = console_run(attempt=live_attempt, line="kubectl api-resources")
    assert TRUNCATED in command.output


def test_the_real_kubectl_knows_every_verb_the_rules_allow() -> None:
    """The rules name real kubectl commands: each allowed verb has help in this kubectl."""
    import subprocess

    from challenges.console import rules

    help_text = subprocess.run([kubectl_path(), "help"], capture_output=True, text=True, check=True).stdout
    listed = {line.split()[0] for line in help_text.splitlines() if line.startswith("  ") and line.split()}
    allowed = {path[0] for path in rules.ALLOWED_COMMANDS if path}
    assert allowed - {"help", "options"} <= listed
    assert {
        "cp",
        "proxy",
        "port-forward",
        "attach",
        "edit",
        "debug",
        "config",
        "plugin",
        "kustomize",
    } <= listed
