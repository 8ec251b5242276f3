"""The console service and runner: history, refusals, and how kubectl is started.

A stand-in `kubectl` (a small Python script) reports what it was given: its arguments, its
environment, and the kubeconfig file it was pointed at. The real kubectl runs against the
local control plane in test_console_live.py.
"""

from __future__ import annotations

import json
import stat
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any
from unittest import mock

from django.test import override_settings
from django.urls import reverse

from challenges import secrets
from challenges.console.runner import TRUNCATED, kubectl_run
from challenges.console.services import ConsoleUnavailable, console_run
from challenges.models import Attempt, ConsoleCommand, Status
from tests.base import BaseTestCase

KUBECONFIG = "apiVersion: v1\nkind: Config\n# learner token for bf-1\n"

REPORTER = textwrap.dedent(
    f"""\
    #!{sys.executable}
    import json, os, sys, time
    path = os.environ.get("KUBECONFIG", "")
    mode = oct(os.stat(path).st_mode & 0o777) if path and os.path.exists(path) else None
    if "sleep" in sys.argv:
        time.sleep(30)
    if "flood" in sys.argv:
        sys.stdout.write("x" * 200_000)
        sys.stdout.flush()
        time.sleep(30)
    print(json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "kubeconfig": path, "mode": mode,
                       "config": open(path).read() if path else None}}))
    print("to stderr", file=sys.stderr)
    sys.exit(3 if "fail" in sys.argv else 0)
    """
)


class ConsoleTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.kubectl = Path(directory.name) / "kubectl"
        self.kubectl.write_text(REPORTER)
        self.kubectl.chmod(self.kubectl.stat().st_mode | stat.S_IXUSR)
        patcher = override_settings(BREAKFIX_KUBECTL=str(self.kubectl))
        patcher.enable()
        self.addCleanup(patcher.disable)
        self.attempt = self.make_attempt(
            self.alice, "wrong-selector", environment="bf-1", learner_kubeconfig=secrets.encrypt(KUBECONFIG)
        )

    def report(self, command: ConsoleCommand) -> dict[str, Any]:
        return json.loads(next(line for line in command.output.splitlines() if line.startswith("{")))


class ConsoleRunTestCase(ConsoleTestCase):
    def test_it_runs_kubectl_with_the_arguments_split_and_the_namespace_forced(self) -> None:
        command = console_run(attempt=self.attempt, line="kubectl get pods -l 'app in (a, b)'")
        self.assertFalse(command.refused)
        self.assertEqual(
            self.report(command)["argv"], ["--namespace=bf-1", "get", "pods", "-l", "app in (a, b)"]
        )
        self.assertEqual(command.exit_code, 0)

    def test_it_stores_each_command_with_the_attempt(self) -> None:
        console_run(attempt=self.attempt, line="get pods")
        console_run(attempt=self.attempt, line="get services")
        self.assertEqual(
            list(self.attempt.console_commands.values_list("command", flat=True)),
            ["get pods", "get services"],
        )

    def test_it_gives_kubectl_the_learners_kubeconfig_in_a_private_file_that_is_gone_afterwards(self) -> None:
        report = self.report(console_run(attempt=self.attempt, line="get pods"))
        self.assertEqual(report["config"], KUBECONFIG)
        self.assertEqual(report["mode"], "0o600")
        self.assertFalse(Path(report["kubeconfig"]).exists())
        self.assertFalse(Path(report["env"]["HOME"]).exists())

    def test_it_strips_the_environment_to_a_minimum(self) -> None:
        server_env = {
            "KUBECTL_EXTERNAL_DIFF": "evil",
            "HTTPS_PROXY": "http://x",
            "AWS_SECRET_ACCESS_KEY": "s",
        }
        with mock.patch.dict("os.environ", server_env):
            env = self.report(console_run(attempt=self.attempt, line="get pods"))["env"]
        self.assertEqual(
            set(env) - {"PWD", "LC_CTYPE"},
            {"HOME", "KUBECONFIG", "KUBERC", "PATH", "LANG", "TERM", "NO_COLOR"},
        )
        self.assertEqual(env["KUBERC"], "off")

    def test_it_keeps_stderr_and_the_exit_code(self) -> None:
        command = console_run(attempt=self.attempt, line="get fail")
        self.assertEqual(command.exit_code, 3)
        self.assertIn("to stderr", command.output)

    def test_it_stores_a_refused_command_without_running_it(self) -> None:
        command = console_run(attempt=self.attempt, line="kubectl get pods --as=system:admin")
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
        command = console_run(attempt=self.attempt, line="get pods -n kube-system")
        self.assertEqual(self.report(command)["argv"], ["get", "pods", "-n", "kube-system"])


class RunnerLimitsTestCase(ConsoleTestCase):
    @override_settings(BREAKFIX_CONSOLE_TIMEOUT_SECONDS=1)
    def test_it_stops_a_command_at_the_time_limit(self) -> None:
        result = kubectl_run(args=["sleep"], kubeconfig=KUBECONFIG)
        self.assertTrue(result.timed_out)
        self.assertIsNone(result.exit_code)
        self.assertIn("[stopped after 1 s]", result.output)
        self.assertLess(result.duration_ms, 5000)

    @override_settings(BREAKFIX_CONSOLE_OUTPUT_LIMIT=1000)
    def test_it_caps_the_output_with_a_visible_note(self) -> None:
        result = kubectl_run(args=["flood"], kubeconfig=KUBECONFIG)
        self.assertTrue(result.truncated)
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
