"""A hostile learner gets nothing, through the real path: a real web process (uvicorn), the view,
the parser, the console runner in its bubblewrap sandbox, the pinned kubectl and the local
control plane.

A canary — a random string — is planted where a learner would look for the server's secrets: in
the web process's environment (so in its /proc/<pid>/environ), in a file the web user can read,
and in the platform kubeconfig. Every line of the escape corpus, and every file-reading trick
aimed at those places, runs; the canary appears in no answer, no stored command, no log line.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from django.urls import reverse

from challenges.models import Attempt, ConsoleCommand
from tests.challenges.escape_corpus import corpus
from tests.challenges.live_learner import live_attempt  # noqa: F401
from tests.fixtures.cluster import Cluster
from tests.fixtures.console import RunnerProcess
from tests.fixtures.web import WebProcess, login_cookies, post

pytestmark = [pytest.mark.live, pytest.mark.worker]


@pytest.fixture
def canary(tmp_path: Path) -> str:
    return f"canary-{secrets.token_hex(16)}"


@pytest.fixture
def planted(canary: str, tmp_path: Path, cluster: Cluster) -> dict[str, str]:
    """Where the canary is: a readable file, a copy of the platform kubeconfig, the admin's key pair."""
    secret_file = tmp_path / "secret.env"
    secret_file.write_text(f"DJANGO_SECRET_KEY={canary}\n")
    secret_file.chmod(0o644)
    kubeconfig = tmp_path / "platform-kubeconfig"
    kubeconfig.write_text(cluster.kubeconfig.read_text() + f"\n# {canary}\n")
    kubeconfig.chmod(0o644)
    # kwokctl keeps the cluster's certificates under kwok/clusters/<name>/pki beside our state.
    name = cluster.kubeconfig.parent.name
    pki = cluster.kubeconfig.parent.parent.parent / "kwok" / "clusters" / name / "pki"
    assert (pki / "admin.key").is_file(), f"no admin key pair in {pki}"
    cert, key = str(pki / "admin.crt"), str(pki / "admin.key")
    return {"file": str(secret_file), "kubeconfig": str(kubeconfig), "cert": cert, "key": key}


@pytest.fixture
def web(web_processes, canary: str, planted: dict[str, str]) -> WebProcess:  # type: ignore[no-untyped-def]
    started = web_processes(
        1,
        BREAKFIX_CONSOLE_RATE="100000/m",
        # The corpus's watching lines (get -w, logs -f) run until the time limit on this path.
        BREAKFIX_CONSOLE_TIMEOUT_SECONDS="3",
        BREAKFIX_CANARY_SECRET=canary,
        BREAKFIX_KUBECONFIG=planted["kubeconfig"],
    )
    return started[0]


def tricks(pid: int, planted: dict[str, str]) -> list[str]:
    """The file-reading tricks aimed at where the canary is, in the spellings kubectl accepts."""
    paths = [f"/proc/{pid}/environ", f"/proc/{pid}/cmdline", planted["file"], planted["kubeconfig"]]
    lines = []
    for path in paths:
        directory = str(Path(path).parent)
        lines += [
            f"kubectl create secret generic x --from_file={path}",
            f"kubectl create secret generic x --from-file={path}",
            f"kubectl create secret generic x --from_file x={path}",
            f"kubectl create configmap x --from_env_file={path}",
            f"kubectl create configmap x --from-file={directory}",
            f"kubectl patch deployment frontend --patch_file={path}",
            f"kubectl get pods -o custom-columns-file={path}",
            f"kubectl get pods -o=jsonpath-file={path}",
            f"kubectl get pods --kubeconfig={path}",
            f"kubectl --kubeconfig {path} get pods",
            f"kubectl apply -f {path}",
            f"kubectl --cache_dir {directory} get proxy --www={directory}",
        ]
    lines += [
        f"kubectl get clusterrolebindings --client_certificate={planted['cert']} "
        f"--client_key={planted['key']}",
        f"kubectl --client-certificate={planted['cert']} --client-key={planted['key']} get secrets -A",
        f"kubectl create secret generic x --from_file={planted['key']}",
        "kubectl create secret generic x --from_file=/proc/self/stat",
        "kubectl create secret generic x --from_file=/proc/1/environ",
        f"kubectl config view --raw --kubeconfig={planted['kubeconfig']}",
    ]
    return lines


def _leaks(canary: str, *texts: str) -> list[str]:
    return [text[:200] for text in texts if canary in text]


def test_no_corpus_line_or_trick_reaches_a_secret(
    live_attempt: Attempt,  # noqa: F811
    web: WebProcess,
    canary: str,
    planted: dict[str, str],
    console_runner: RunnerProcess,
) -> None:
    cookies = login_cookies(live_attempt.learner)
    url = reverse("attempt_console", args=[live_attempt.pk])
    cases = corpus(live_attempt.environment)
    assert len(cases) >= 250
    trick_lines = tricks(web.process.pid, planted)
    wrong: list[str] = []
    answers: list[str] = []
    ran = 0
    for case in cases:
        answer = post(web, url, cookies, {"line": case.line})
        if not case.line.strip(" \t"):
            assert answer.status_code == 204  # an empty line does nothing
            continue
        ran += 1
        assert answer.status_code == 200, (case.line, answer.status_code, answer.text[:300])
        answers.append(answer.text)
        stored = ConsoleCommand.objects.filter(attempt=live_attempt).order_by("-pk").first()
        assert stored is not None
        refused = case.expected is not None
        try:
            case.line.encode()
        except UnicodeEncodeError:
            continue  # sent as raw bytes, which Django decodes with replacement: only no leak counts
        if stored.refused != refused:
            outcome = "refused" if refused else "run"
            wrong.append(f"{case.line!r}: expected {outcome}, got {stored.output[:120]!r}")
    for line in trick_lines:
        answer = post(web, url, cookies, {"line": line})
        assert answer.status_code == 200, (line, answer.text[:300])
        answers.append(answer.text)
        stored = ConsoleCommand.objects.filter(attempt=live_attempt).order_by("-pk").first()
        assert stored is not None and stored.refused, f"{line!r} ran: {stored.output[:200] if stored else ''}"
    assert not wrong, "\n".join(wrong)
    stored_texts = [f"{c.command}\n{c.output}" for c in ConsoleCommand.objects.filter(attempt=live_attempt)]
    assert ConsoleCommand.objects.filter(attempt=live_attempt).count() == ran + len(trick_lines)
    assert not _leaks(canary, *answers), "an answer holds the canary"
    assert not _leaks(canary, *stored_texts), "a stored command holds the canary"
    assert not _leaks(canary, web.output(), console_runner.output()), "a log line holds the canary"


def test_the_issues_list_is_refused_or_harmless_on_the_real_path(
    live_attempt: Attempt,  # noqa: F811
    web: WebProcess,
    planted: dict[str, str],
    tmp_path: Path,
) -> None:
    cookies = login_cookies(live_attempt.learner)
    url = reverse("attempt_console", args=[live_attempt.pk])

    def run(line: str) -> ConsoleCommand:
        answer = post(web, url, cookies, {"line": line})
        assert answer.status_code == 200, (line, answer.status_code)
        latest = ConsoleCommand.objects.filter(attempt=live_attempt).order_by("-pk").first()
        assert latest is not None
        return latest

    # The web process's environment through --from_file, with the pid found through /proc/self/stat.
    assert run("kubectl create secret generic x --from_file=/proc/self/stat").refused
    assert run(f"kubectl create secret generic x --from_file=/proc/{web.process.pid}/environ").refused
    assert "NotFound" in run("kubectl get secret x -o jsonpath={.data}").output
    # The platform's credentials, by file and by directory; env files and patch files.
    for flag in ("--from_file", "--from_env_file", "--from-file"):
        assert run(f"kubectl create secret generic y {flag}={planted['kubeconfig']}").refused
    assert run(f"kubectl create secret generic y --from_file={Path(planted['kubeconfig']).parent}").refused
    assert run(f"kubectl patch deployment frontend --patch_file={planted['kubeconfig']}").refused
    # The admin's certificate does not make the learner system:masters.
    certificate = f"--client_certificate={planted['cert']} --client_key={planted['key']}"
    assert run(f"kubectl auth can-i create clusterrolebindings {certificate}").refused
    answer = run("kubectl auth can-i create clusterrolebindings")
    assert not answer.refused and answer.output.strip().endswith("no")
    # A refused command behind an unknown or value-taking flag placed before the verb.
    cache_dir = tmp_path / "cache-from-the-learner"
    for line in (
        f"kubectl --cache_dir {cache_dir} get proxy --www=/ --port=0",
        f"kubectl --cache_dir={cache_dir} get pods",
        "kubectl --request-timeout get port-forward pod/x 8080:80",
        "kubectl --v get config view --raw",
        "kubectl -s get kustomize /",
        "kubectl --token get attach pod/x",
        "kubectl proxy --www=/",
        "kubectl port-forward deployment/frontend 8080:80",
        "kubectl config view --raw",
        "kubectl kustomize /",
        "kubectl attach deployment/frontend",
    ):
        assert run(line).refused, line
    assert not cache_dir.exists()
    # Server files with no trick at all.
    assert run("kubectl get pods -o custom-columns-file=/etc/passwd").refused
    # A NUL byte is refused, not a server error; the stored line shows it escaped.
    command = run("kubectl get pods\x00--kubeconfig=/etc/passwd")
    assert command.refused and "\\x00" in command.command
    # An honest command still works, through the same path.
    assert "frontend" in run("kubectl get deployments").output
