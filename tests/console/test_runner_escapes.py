"""The runner alone holds: hostile kubectl arguments sent straight to it, with no parser in between.

Each trick is one the console-isolation issue found working against the old console (and its
relatives). Here the runner runs it in its real bwrap sandbox with the pinned kubectl against
the local control plane, as a learner. Every trick runs, and the canary planted in the web
process's environment, in a world-readable file and in a copy of the platform kubeconfig, the
runner's token, the secret key and the control plane admin's key appear in no output.
"""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
import yaml

from challenges.console.runner import Exit, Output, RunResult, kubectl_run, kubectl_stream
from tests.console.conftest import Planted

pytestmark = pytest.mark.live

NOT_THERE = re.compile(r"no such file or directory|does not exist|not found", re.IGNORECASE)
SECRET = ["create", "secret", "generic", "probe", "--dry-run=client", "-o", "yaml"]

# name → kubectl arguments; {fields} are filled from Planted.fields().
TRICKS: dict[str, list[str]] = {
    "pid 1's environment": [*SECRET, "--from-file=/proc/1/environ"],
    "pid 1's environment, underscore spelling": [*SECRET, "--from_file=/proc/1/environ"],
    "kubectl's own environment": [*SECRET, "--from-file=/proc/self/environ"],
    "the runner's environment": [*SECRET, "--from-file=/proc/{runner_pid}/environ"],
    "the web process's environment": [*SECRET, "--from-file=/proc/{web_pid}/environ"],
    "the web process's environment as an env file": [*SECRET, "--from-env-file=/proc/{web_pid}/environ"],
    "a platform process's environment": [*SECRET, "--from-file=/proc/{platform_pid}/environ"],
    "a platform process's environment as an env file": [
        *SECRET,
        "--from-env-file=/proc/{platform_pid}/environ",
    ],
    "a platform process's open files": [*SECRET, "--from-file=/proc/{platform_pid}/fd"],
    "the platform kubeconfig": [*SECRET, "--from-file={platform_kubeconfig}"],
    "a copy of the platform kubeconfig": [*SECRET, "--from-file={canary_kubeconfig}"],
    "a file anyone may read": [*SECRET, "--from-file={canary_file}"],
    "a file, through pid 1's root": [*SECRET, "--from-file=/proc/1/root{canary_file}"],
    "the repository's .env": [*SECRET, "--from-file={env_file}"],
    "the admin's key": [*SECRET, "--from-file={admin_key}"],
    "a directory": [*SECRET, "--from-file={canary_dir}"],
    "the repository": [*SECRET, "--from-file={repo}"],
    "the root directory": [*SECRET, "--from-file=/"],
    "/etc": [*SECRET, "--from-file=/etc"],
    "the admin's certificate and key": [
        "--client-certificate={admin_cert}",
        "--client-key={admin_key}",
        "auth",
        "whoami",
    ],
    "the admin's certificate, underscore spelling": [
        "--client_certificate={admin_cert}",
        "--client_key={admin_key}",
        "get",
        "nodes",
    ],
    "the platform kubeconfig as --kubeconfig": ["--kubeconfig={platform_kubeconfig}", "get", "nodes"],
    "the copy as --kubeconfig": ["--kubeconfig={canary_kubeconfig}", "config", "view", "--raw"],
    "custom-columns-file of /etc/passwd": ["get", "pods", "-o", "custom-columns-file=/etc/passwd"],
    "custom-columns-file of the canary": ["get", "pods", "-o", "custom-columns-file={canary_file}"],
    "go-template-file of the canary": ["get", "pods", "-o", "go-template-file={canary_file}"],
    "jsonpath-file of the canary": ["get", "pods", "-o", "jsonpath-file={canary_file}"],
    "a manifest file": ["apply", "--dry-run=client", "-f", "{canary_file}"],
    "a manifest directory": ["create", "--dry-run=client", "-f", "{canary_dir}"],
    "kustomize a directory": ["kustomize", "{canary_dir}"],
    "patch-file": ["patch", "configmap", "x", "--type=merge", "--patch-file={canary_file}"],
    "the learner's own kubeconfig": ["config", "view", "--raw"],
    "smuggled verb": ["--cache_dir", "get", "config", "view", "--raw"],
}


def run(planted: Planted, args: list[str], kubeconfig: str) -> RunResult:
    fields = planted.fields()
    filled = [re.sub(r"\{(\w+)\}", lambda m: fields.get(m[1], m[0]), arg) for arg in args]
    return kubectl_run(args=filled, kubeconfig=kubeconfig)


def assert_holds_nothing(planted: Planted, result: RunResult) -> None:
    text = result.output
    decoded = " ".join(
        base64.b64decode(value[: len(value) // 4 * 4]).decode(errors="replace")
        for value in re.findall(r"[A-Za-z0-9+/]{16,}", text)
    )
    for secret in planted.secrets():
        assert secret not in text, f"a secret came out: {text[:400]}"
        assert secret not in decoded, f"a secret came out base64-encoded: {text[:400]}"


@pytest.mark.parametrize("trick", list(TRICKS))
def test_no_trick_shows_a_secret(planted: Planted, learner_kubeconfig: str, trick: str) -> None:
    result = run(planted, TRICKS[trick], learner_kubeconfig)
    assert result.output, "kubectl said nothing: did it run at all?"
    assert_holds_nothing(planted, result)


@pytest.mark.parametrize(
    "trick",
    [
        "the platform kubeconfig",
        "a copy of the platform kubeconfig",
        "a file anyone may read",
        "a file, through pid 1's root",
        "the repository's .env",
        "the admin's key",
        "a directory",
        "the repository",
        "the runner's environment",
        "the web process's environment",
        "a platform process's environment",
        "the admin's certificate and key",
        "the platform kubeconfig as --kubeconfig",
        "custom-columns-file of /etc/passwd",
        "go-template-file of the canary",
        "a manifest file",
        "kustomize a directory",
    ],
)
def test_no_host_path_exists_in_the_sandbox(planted: Planted, learner_kubeconfig: str, trick: str) -> None:
    result = run(planted, TRICKS[trick], learner_kubeconfig)
    assert result.exit_code not in (0, None), result.output
    assert NOT_THERE.search(result.output), result.output


def test_pid_1_of_the_sandbox_has_an_empty_environment(planted: Planted, learner_kubeconfig: str) -> None:
    result = run(
        planted,
        [*SECRET[:-2], "-o", "jsonpath={.data.environ}", "--from-file=/proc/1/environ"],
        learner_kubeconfig,
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""


def test_kubectl_runs_as_nobody_in_a_pid_namespace_of_its_own(
    planted: Planted, learner_kubeconfig: str
) -> None:
    args = [*SECRET[:-2], "-o", "jsonpath={.data.status}", "--from-file=/proc/self/status"]
    status = base64.b64decode(run(planted, args, learner_kubeconfig).output).decode()
    assert re.search(r"^Uid:\s+65534\s", status, re.MULTILINE), status
    pid = re.search(r"^Pid:\s+(\d+)$", status, re.MULTILINE)
    assert pid and int(pid.group(1)) < 10, status  # pid 1 is bwrap: a PID namespace of its own
    assert re.search(r"^CapEff:\s+0+$", status, re.MULTILINE), status


def test_etc_holds_only_the_public_files_kubectl_needs(planted: Planted, learner_kubeconfig: str) -> None:
    secret = yaml.safe_load(run(planted, TRICKS["/etc"], learner_kubeconfig).output)
    assert set(secret["data"]) <= {"resolv.conf", "hosts", "nsswitch.conf"}


def test_the_learners_own_credentials_still_work(planted: Planted, learner_kubeconfig: str) -> None:
    result = run(
        planted, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], learner_kubeconfig
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("system:serviceaccount:t-console-runner-")


def test_a_cache_dir_writes_nothing_on_the_host(planted: Planted, learner_kubeconfig: str) -> None:
    target = Path(tempfile.gettempdir()) / f"breakfix-cache-{secrets.token_hex(4)}"
    for args in (
        ["--cache-dir", str(target), "get", "pods"],
        ["--cache_dir=" + str(target / "b"), "api-resources"],
    ):
        result = run(planted, args, learner_kubeconfig)
        assert_holds_nothing(planted, result)
    assert not target.exists()


def _serving_address(events: object) -> str:
    for event in events:  # type: ignore[attr-defined]
        if isinstance(event, Output) and (found := re.search(r"127\.0\.0\.1:(\d+)", event.data)):
            return found.group(0)
    pytest.fail("kubectl proxy never said where it serves")


def test_proxy_www_serves_nothing_of_the_host_and_ends_at_the_time_limit(
    planted: Planted, learner_kubeconfig: str
) -> None:
    stream = kubectl_stream(
        args=["proxy", "--port=0", "--www=/", "--www-prefix=/files/"],
        kubeconfig=learner_kubeconfig,
        timeout_seconds=4,
    )
    address = _serving_address(stream)
    with httpx.Client(base_url=f"http://{address}", timeout=5, trust_env=False) as web:
        listing = web.get("/files/").text
        assert "usr/" in listing and "root/" not in listing and "work/" not in listing
        assert web.get("/files/etc/passwd").status_code == 404
        assert web.get(f"/files{planted.canary_file}").status_code == 404
        assert web.get(f"/files{planted.platform_kubeconfig}").status_code == 404
        environ = web.get("/files/proc/1/environ")
        assert environ.status_code != 200 or environ.content == b""
    end = [event for event in stream if isinstance(event, Exit)]
    assert end and end[0].timed_out and end[0].exit_code is None


def test_port_forward_ends_within_the_time_limit(planted: Planted, learner_kubeconfig: str) -> None:
    events = list(
        kubectl_stream(
            args=["port-forward", "pod/none", "0:80"], kubeconfig=learner_kubeconfig, timeout_seconds=4
        )
    )
    end = events[-1]
    assert isinstance(end, Exit) and end.duration_ms < 6000
    output = "".join(event.data for event in events if isinstance(event, Output))
    assert planted.canary not in output


def test_the_kubeconfig_is_never_on_the_hosts_disk(planted: Planted, learner_kubeconfig: str) -> None:
    marker = f"marker-{secrets.token_hex(12)}"
    kubeconfig = f"{learner_kubeconfig}\n# {marker}\n"
    stream = kubectl_stream(args=["proxy", "--port=0"], kubeconfig=kubeconfig, timeout_seconds=30)
    _serving_address(stream)  # kubectl is up and has read its kubeconfig
    places = [tempfile.gettempdir(), "/var/tmp", "/dev/shm", str(Path.home() / ".cache" / "breakfix"), "/run"]
    found = subprocess.run(
        [
            "grep",
            "-rlIF",
            "-D",
            "skip",
            "--no-messages",
            "-e",
            marker,
            *[place for place in places if Path(place).exists()],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    stream.close()  # type: ignore[attr-defined]
    assert found.stdout == "", f"the learner's kubeconfig is on disk: {found.stdout}"
