"""The console service and runner: history, refusals, and how kubectl is started.

Every command runs for real: through the session's console runner, in its bwrap sandbox, with
the control plane's kubectl. The learner's kubeconfig here points at a port where nothing
listens, so kubectl answers at once, with "connection refused", and no cluster is needed; what
kubectl was given is seen by spying on the runner client. The same commands against the live
control plane are in test_console_live.py, hostile ones in tests/console/.
"""

from __future__ import annotations

import base64
from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse

from challenges import secrets
from challenges.console import runner
from challenges.console.runner import TRUNCATED, kubectl_run
from challenges.console.services import ConsoleUnavailable, console_run
from challenges.models import Attempt, ConsoleCommand, Status
from tests.base import BaseTestCase

KUBECONFIG = """\
apiVersion: v1
kind: Config
# learner token for bf-1
clusters: [{name: bf, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: learner, user: {token: learner-token-bf-1}}]
contexts: [{name: bf, context: {cluster: bf, user: learner, namespace: bf-1}}]
current-context: bf
"""


def environment_of(args: list[str]) -> dict[str, str]:
    """The environment kubectl runs with, as kubectl itself reads it from /proc/self/environ."""
    probe = ["create", "secret", "generic", "env", "--from-file=/proc/self/environ", "--dry-run=client"]
    result = kubectl_run(args=[*probe, "-o", "jsonpath={.data.environ}", *args], kubeconfig=KUBECONFIG)
    assert result.exit_code == 0, result.output
    raw = base64.b64decode(result.output).decode()
    return dict(entry.split("=", 1) for entry in raw.split("\0") if entry)


@pytest.mark.usefixtures("console_runner")
class ConsoleTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.attempt = self.make_attempt(
            self.alice, "wrong-selector", environment="bf-1", learner_kubeconfig=secrets.encrypt(KUBECONFIG)
        )

    def run_spied(self, line: str) -> tuple[ConsoleCommand, list[str]]:
        """Run `line` through the console; also return the arguments the runner was given."""
        with mock.patch("challenges.console.services.kubectl_run", wraps=kubectl_run) as spy:
            command = console_run(attempt=self.attempt, line=line)
        spy.assert_called_once()
        return command, spy.call_args.kwargs["args"]


class ConsoleRunTestCase(ConsoleTestCase):
    def test_it_runs_kubectl_with_the_arguments_split_and_the_namespace_forced(self) -> None:
        command, args = self.run_spied("kubectl get pods -l 'app in (a, b)'")
        self.assertFalse(command.refused)
        self.assertEqual(args, ["--namespace=bf-1", "get", "pods", "-l", "app in (a, b)"])
        self.assertIn("127.0.0.1:1", command.output)  # kubectl ran and tried the learner's server

    def test_it_stores_each_command_with_the_attempt(self) -> None:
        console_run(attempt=self.attempt, line="get pods")
        console_run(attempt=self.attempt, line="get services")
        self.assertEqual(
            list(self.attempt.console_commands.values_list("command", flat=True)),
            ["get pods", "get services"],
        )

    def test_it_gives_kubectl_the_learners_kubeconfig(self) -> None:
        result = kubectl_run(
            args=["config", "view", "--raw", "-o", "jsonpath={.users[0].user.token}"], kubeconfig=KUBECONFIG
        )
        self.assertEqual(result.output, "learner-token-bf-1")

    def test_it_strips_the_environment_to_a_minimum(self) -> None:
        server_env = {
            "KUBECTL_EXTERNAL_DIFF": "evil",
            "HTTPS_PROXY": "http://x",
            "AWS_SECRET_ACCESS_KEY": "s",
        }
        with mock.patch.dict("os.environ", server_env):
            env = environment_of([])
        self.assertEqual(
            set(env) - {"PWD"}, {"HOME", "KUBECONFIG", "KUBERC", "PATH", "LANG", "TERM", "NO_COLOR"}
        )
        self.assertEqual(env["KUBERC"], "off")
        self.assertEqual(env["PATH"], "/nonexistent")

    def test_it_keeps_stderr_and_the_exit_code(self) -> None:
        command = console_run(attempt=self.attempt, line="get pods")
        self.assertEqual(command.exit_code, 1)
        self.assertIn("connection to the server 127.0.0.1:1 was refused", command.output)

    def test_it_stores_a_refused_command_without_running_it(self) -> None:
        with mock.patch("challenges.console.services.kubectl_run", wraps=kubectl_run) as spy:
            command = console_run(attempt=self.attempt, line="kubectl get pods --as=system:admin")
        spy.assert_not_called()
        self.assertTrue(command.refused)
        self.assertIsNone(command.exit_code)
        self.assertIn("impersonates", command.output)
        self.assertTrue(ConsoleCommand.objects.filter(pk=command.pk, refused=True).exists())

    def test_a_line_with_a_nul_byte_is_refused_and_stored_as_text(self) -> None:
        command = console_run(attempt=self.attempt, line="kubectl get secrets\x00 --as=admin")
        self.assertTrue(command.refused)
        self.assertIn("NUL", command.output)
        command.refresh_from_db()
        self.assertEqual(command.command, "kubectl get secrets\\x00 --as=admin")

    def test_a_smuggled_command_is_refused_before_kubectl_runs(self) -> None:
        command = console_run(attempt=self.attempt, line="kubectl --cache_dir get proxy --www=/")
        self.assertTrue(command.refused)
        self.assertIn("kubectl proxy", command.output)
        self.assertIsNone(command.exit_code)

    def test_it_refuses_when_the_environment_is_not_running(self) -> None:
        Attempt.objects.filter(pk=self.attempt.pk).update(status=Status.PROVISIONING)
        self.attempt.refresh_from_db()
        with self.assertRaises(ConsoleUnavailable):
            console_run(attempt=self.attempt, line="get pods")
        self.assertFalse(ConsoleCommand.objects.exists())

    def test_a_solved_environment_still_answers_during_its_grace_period(self) -> None:
        Attempt.objects.filter(pk=self.attempt.pk).update(status=Status.SOLVED)
        self.attempt.refresh_from_db()
        self.assertFalse(console_run(attempt=self.attempt, line="get pods").refused)

    def test_on_a_cluster_of_ones_own_it_keeps_the_learners_namespace(self) -> None:
        Attempt.objects.filter(pk=self.attempt.pk).update(backend="kind")
        self.attempt.refresh_from_db()
        _, args = self.run_spied("get pods -n kube-system")
        self.assertEqual(args, ["get", "pods", "-n", "kube-system"])


class RunnerUnreachableTestCase(ConsoleTestCase):
    def test_a_runner_that_is_down_is_a_message_not_an_error(self) -> None:
        with (
            override_settings(BREAKFIX_CONSOLE_RUNNER="unix:///nonexistent/breakfix/runner.sock"),
            self.assertRaisesMessage(ConsoleUnavailable, "The console is not available right now"),
        ):
            console_run(attempt=self.attempt, line="get pods")

    def test_a_wrong_token_is_refused_and_said_so_to_the_operator(self) -> None:
        with (
            override_settings(BREAKFIX_CONSOLE_TOKEN="not-the-token-" * 4),
            self.assertRaisesMessage(runner.RunnerUnavailable, "refused BREAKFIX_CONSOLE_TOKEN"),
        ):
            kubectl_run(args=["version", "--client"], kubeconfig=KUBECONFIG)


class RunnerLimitsTestCase(ConsoleTestCase):
    @override_settings(BREAKFIX_CONSOLE_TIMEOUT_SECONDS=1)
    def test_it_stops_a_command_at_the_time_limit(self) -> None:
        result = kubectl_run(args=["proxy", "--port=0"], kubeconfig=KUBECONFIG)
        self.assertTrue(result.timed_out)
        self.assertIsNone(result.exit_code)
        self.assertIn("Starting to serve", result.output)
        self.assertIn("[stopped after 1 s]", result.output)
        self.assertLess(result.duration_ms, 5000)

    @override_settings(BREAKFIX_CONSOLE_OUTPUT_LIMIT=1000)
    def test_it_caps_the_output_with_a_visible_note(self) -> None:
        result = kubectl_run(args=["completion", "bash"], kubeconfig=KUBECONFIG)
        self.assertTrue(result.truncated)
        self.assertIsNone(result.exit_code)
        self.assertIn(TRUNCATED, result.output)
        self.assertLess(len(result.output), 1300)
        self.assertLess(result.duration_ms, 5000)


class ConsoleViewTestCase(ConsoleTestCase):
    def url(self) -> str:
        return reverse("attempt_console", args=[self.attempt.pk])

    def test_htmx_gets_the_new_entry_to_append(self) -> None:
        r = self.client_for(self.alice).post(self.url(), {"line": "get pods"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "console-entry")
        self.assertContains(r, "kubectl get pods")
        self.assertNotContains(r, "<html")

    def test_a_refusal_is_shown_in_the_log(self) -> None:
        r = self.client_for(self.alice).post(self.url(), {"line": "ls /etc"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "is-refused")
        self.assertContains(r, "not a kubectl command")

    def test_a_nul_byte_gets_a_refusal_not_an_error_page(self) -> None:
        r = self.client_for(self.alice).post(self.url(), {"line": "get pods\x00"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "is-refused")
        self.assertContains(r, "NUL byte")

    def test_what_the_learner_typed_is_shown_as_text(self) -> None:
        line = "kubectl get pods -n '<script>alert(1)</script>'"
        r = self.client_for(self.alice).post(self.url(), {"line": line}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>")
        self.assertNotContains(r, "<script>")

    def test_without_javascript_it_comes_back_to_the_workspace(self) -> None:
        r = self.client_for(self.alice).post(self.url(), {"line": "get pods"})
        self.assertRedirects(r, self.attempt.get_absolute_url() + "#console", fetch_redirect_response=False)

    def test_an_empty_line_does_nothing(self) -> None:
        r = self.client_for(self.alice).post(self.url(), {"line": "  "}, HTTP_HX_REQUEST="true")
        self.assertEqual(r.status_code, 204)
        self.assertFalse(ConsoleCommand.objects.exists())

    def test_the_workspace_shows_the_history(self) -> None:
        console_run(attempt=self.attempt, line="kubectl get endpoints frontend")
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, 'id="console"')
        self.assertContains(r, "kubectl get endpoints frontend")

    def test_an_environment_that_is_not_running_says_so(self) -> None:
        Attempt.objects.filter(pk=self.attempt.pk).update(status=Status.ENDED)
        r = self.client_for(self.alice).post(self.url(), {"line": "get pods"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "not running")
