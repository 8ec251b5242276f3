"""Fair use: rate limits on log-in, sign-up and the console, counted in the shared Redis cache."""

from __future__ import annotations

from django.test import override_settings
from django.urls import reverse

from challenges.console.services import printable_output
from tests.base import BaseTestCase


@override_settings(BREAKFIX_LOGIN_RATE="3/m")
class LoginRateTestCase(BaseTestCase):
    def test_it_refuses_log_in_after_too_many_tries_from_one_address(self) -> None:
        for _ in range(3):
            r = self.client.post(reverse("login"), {"username": "alice", "password": "wrong"})
            self.assertEqual(r.status_code, 200)  # the form again, with its error
        r = self.client.post(reverse("login"), {"username": "alice", "password": "password-alice"})
        self.assertContains(r, "Too many tries", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_counts_tries_per_user_name_across_addresses(self) -> None:
        for i in range(3):
            self.client.post(
                reverse("login"), {"username": "bob", "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{i}"
            )
        r = self.client.post(
            reverse("login"), {"username": "bob", "password": "password-bob"}, REMOTE_ADDR="10.0.0.99"
        )
        self.assertEqual(r.status_code, 429)

    def test_a_correct_log_in_within_the_limit_works(self) -> None:
        r = self.client.post(reverse("login"), {"username": "alice", "password": "password-alice"})
        self.assertRedirects(r, reverse("catalog"), fetch_redirect_response=False)


@override_settings(BREAKFIX_SIGNUP_RATE="2/h")
class SignupRateTestCase(BaseTestCase):
    def test_it_refuses_a_third_sign_up_from_one_address_within_the_hour(self) -> None:
        for name in ("carol", "dave"):
            r = self.client_for(None).post(
                reverse("signup"),
                {"username": name, "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
            )
            self.assertEqual(r.status_code, 302)
        r = self.client_for(None).post(
            reverse("signup"),
            {"username": "erin", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
        )
        self.assertContains(r, "Too many tries", status_code=429)


class PrintableTestCase(BaseTestCase):
    def test_control_characters_are_kept_as_escapes(self) -> None:
        self.assertEqual(printable_output("get\x00pods\x1b[31m\r"), "get\\x00pods\\x1b[31m\\x0d")

    def test_tabs_and_newlines_stay(self) -> None:
        self.assertEqual(printable_output("a\tb\nc"), "a\tb\nc")


class ConsoleFairUseTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        from challenges import secrets

        self.attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            environment="breakfix-1",
            learner_kubeconfig=secrets.encrypt("apiVersion: v1\nkind: Config\n"),
        )
        self.url = reverse("attempt_console", args=[self.attempt.pk])

    @override_settings(BREAKFIX_CONSOLE_RATE="3/m")
    def test_it_refuses_commands_beyond_the_learners_rate(self) -> None:
        client = self.client_for(self.alice)
        for _ in range(3):
            r = client.post(self.url, {"line": "kubectl proxy"}, HTTP_HX_REQUEST="true")
            self.assertContains(r, "Not run.")
            self.assertNotContains(r, "faster than")
        r = client.post(self.url, {"line": "kubectl proxy"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, "faster than this console takes them")
        self.assertEqual(self.attempt.console_commands.count(), 3)

    def test_a_second_command_while_one_runs_is_refused(self) -> None:
        from django.core.cache import cache

        from challenges.console.services import ConsoleBusy, console_run

        cache.add(f"console:running:{self.attempt.pk}", "another web process", timeout=30)
        with self.assertRaises(ConsoleBusy) as raised:
            console_run(attempt=self.attempt, line="kubectl get pods")
        self.assertIn("still running", str(raised.exception))
        self.assertEqual(self.attempt.console_commands.count(), 0)

    def test_a_nul_byte_is_no_server_error(self) -> None:
        r = self.client_for(self.alice).post(
            self.url, {"line": "kubectl get pods\x00"}, HTTP_HX_REQUEST="true"
        )
        self.assertEqual(r.status_code, 200)
        command = self.attempt.console_commands.get()
        self.assertTrue(command.refused)
        self.assertNotIn("\x00", command.command)
