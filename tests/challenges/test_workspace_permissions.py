"""Every URL of the learner's tools: another learner gets a 404, a visitor is sent to log in."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from challenges import secrets
from challenges.models import ConsoleCommand, HintUnlock, Status
from tests.base import BaseTestCase

# (url name, method) for every view in challenges/views/workspace.py and console.py that takes an attempt.
ATTEMPT_URLS = [
    ("attempt_console", "get"),
    ("attempt_console", "post"),
    ("attempt_console_stream", "post"),
    ("attempt_console_stop", "post"),
    ("attempt_console_complete", "post"),
    ("attempt_editor_objects", "get"),
    ("attempt_editor_load", "get"),
    ("attempt_editor_diff", "post"),
    ("attempt_editor_apply", "post"),
    ("attempt_hint", "post"),
    ("attempt_solution", "get"),
    ("attempt_kubeconfig", "get"),
]
KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters:\n- name: bf-1\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
    "users:\n- name: learner\n  user: {token: secret-token}\n"
)


class WorkspacePermissionsTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.attempt = self.make_attempt(
            self.alice,
            "wrong-selector",
            status=Status.SOLVED,
            environment="bf-1",
            solved_at=timezone.now(),
            learner_kubeconfig=secrets.encrypt(KUBECONFIG),
        )

    def request(self, user: object, name: str, method: str) -> object:
        url = reverse(name, args=[self.attempt.pk])
        client = self.client_for(user)  # type: ignore[arg-type]
        data = {"line": "get pods", "manifest": "kind: x", "ref": "Service/frontend"}
        if method == "post":
            return client.post(url, data, HTTP_HX_REQUEST="true")
        return client.get(url, data)

    def test_another_learner_gets_a_404_on_every_url(self) -> None:
        for user in (self.bob, self.ivy, self.sam):
            for name, method in ATTEMPT_URLS:
                with self.subTest(user=user.username, url=name, method=method):
                    self.assertEqual(self.request(user, name, method).status_code, 404)  # type: ignore[attr-defined]
        self.assertFalse(ConsoleCommand.objects.exists())
        self.assertFalse(HintUnlock.objects.exists())

    def test_a_visitor_is_sent_to_log_in(self) -> None:
        for name, method in [*ATTEMPT_URLS, ("profile", "get")]:
            with self.subTest(url=name, method=method):
                url = reverse(name) if name == "profile" else reverse(name, args=[self.attempt.pk])
                client = self.client_for(None)
                r = client.post(url) if method == "post" else client.get(url)
                self.assertRedirects(r, f"{reverse('login')}?next={url}", fetch_redirect_response=False)

    def test_the_learner_downloads_the_kubeconfig(self) -> None:
        r = self.client_for(self.alice).get(reverse("attempt_kubeconfig", args=[self.attempt.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.content.decode(), KUBECONFIG)
        self.assertIn("attachment", r["Content-Disposition"])
        self.assertIn("no-store", r["Cache-Control"])

    def test_a_loopback_api_server_gets_a_note(self) -> None:
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Download kubeconfig")
        self.assertContains(r, "reachable through the console only")

    def test_a_public_api_server_gets_no_note(self) -> None:
        public = KUBECONFIG.replace("127.0.0.1", "k8s.school.example.org")
        type(self.attempt).objects.filter(pk=self.attempt.pk).update(
            learner_kubeconfig=secrets.encrypt(public)
        )
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Download kubeconfig")
        self.assertNotContains(r, "reachable through the console only")

    def test_with_the_download_off_there_is_only_the_console(self) -> None:
        with self.settings(BREAKFIX_KUBECONFIG_DOWNLOAD="off"):
            page = self.client_for(self.alice).get(self.attempt.get_absolute_url())
            download = self.client_for(self.alice).get(reverse("attempt_kubeconfig", args=[self.attempt.pk]))
        self.assertNotContains(page, "Download kubeconfig")
        self.assertContains(page, "through the console and editor on this page only")
        self.assertEqual(download.status_code, 302)

    def test_an_ended_environment_has_no_kubeconfig(self) -> None:
        type(self.attempt).objects.filter(pk=self.attempt.pk).update(status=Status.ENDED)
        r = self.client_for(self.alice).get(reverse("attempt_kubeconfig", args=[self.attempt.pk]))
        self.assertEqual(r.status_code, 302)
