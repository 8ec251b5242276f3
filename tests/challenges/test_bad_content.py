"""The bad-content table of issue 11: every broken challenge folder is refused, naming the file, the
line and the field; the database is unchanged and nothing reaches a cluster (lint needs none).

Each case breaks a copy of the shipped `wrong-selector` challenge one way. The installation is a
namespace backend (a shared cluster), as in the tests' settings.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from challenges.lint.yaml_strict import MAX_FILE_BYTES
from challenges.loader import ContentError, ContentProblem, load_all
from challenges.models import Challenge, ChallengeVersion

CONTENT = Path(settings.BREAKFIX_CONTENT_DIR)
SLUG = "wrong-selector"
BAD = "manifests/90-bad.yaml"


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Path], None]  # given the challenge folder
    file: str  # relative to the challenge folder ("" for the folder itself)
    line: int | None
    field: str | None
    says: str


def add(text: str, name: str = BAD) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / name).write_text(text)

    return write


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / file
        assert old in path.read_text(), f"test setup: {old!r} not in {file}"
        path.write_text(path.read_text().replace(old, new, 1))

    return edit


def link(name: str, target: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).symlink_to(target)

    return make


def outside_secret(folder: Path) -> None:
    secret = folder.parent.parent / "elsewhere" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\nstringData:\n  token: hunter2\n"
    )
    (folder / "manifests" / "90-secret.yaml").symlink_to(secret)


def linked_folder(folder: Path) -> None:
    real = folder.parent.parent / "elsewhere-manifests"
    shutil.move(folder / "manifests", real)
    (folder / "manifests").symlink_to(real, target_is_directory=True)


def not_utf8(file: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        path = folder / file
        path.write_bytes(path.read_bytes() + "# café\n".encode("latin-1"))

    return write


def huge(folder: Path) -> None:
    filler = "x" * 1000
    lines = "".join(f"  k{i}: {filler}\n" for i in range(5 * 1024))
    (folder / BAD).write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{lines}")


def too_much(folder: Path) -> None:
    # Each file under the per-file limit; together over the per-challenge one.
    filler = "x" * 1000
    for n in range(6):
        lines = "".join(f"  k{i}: {filler}\n" for i in range(MAX_FILE_BYTES // 1100))
        (folder / f"manifests/9{n}-data.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: data-{n}\ndata:\n{lines}"
        )


ALIAS_BOMB = """apiVersion: v1
kind: ConfigMap
metadata:
  name: bomb
data:
  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
"""
POD = """apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox
"""

CASES = [
    Case(
        "a PriorityClass (cluster-scoped)",
        add("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: urgent\nvalue: 10\n"),
        BAD, 2, "kind", "PriorityClass is cluster-scoped",
    ),
    Case(
        "a PersistentVolume with hostPath (cluster-scoped)",
        add(
            "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: node-root\nspec:\n"
            "  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n  hostPath: {path: /}\n"
        ),
        BAD, 2, "kind", "PersistentVolume is cluster-scoped",
    ),
    Case(
        "a ValidatingWebhookConfiguration",
        add(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
            "metadata:\n  name: spy\nwebhooks: []\n"
        ),
        BAD, 2, "kind", "a webhook makes the API server call out",
    ),
    Case(
        "a ClusterRoleBinding to cluster-admin (cluster-scoped)",
        add(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
            "metadata:\n  name: everyone\n"
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
            "subjects: [{kind: Group, name: 'system:authenticated', apiGroup: rbac.authorization.k8s.io}]\n"
        ),
        BAD, 2, "kind", "ClusterRoleBinding is cluster-scoped",
    ),
    Case(
        "a Namespace",
        add("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: elsewhere\n"),
        BAD, 2, "kind", "the platform makes the attempt's namespace",
    ),
    Case(
        "a CustomResourceDefinition",
        add("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x.io\n"),
        BAD, 2, "kind", "a new API type would outlive the attempt",
    ),
    Case(
        "a symlink to a file outside the folder",
        outside_secret,
        "manifests/90-secret.yaml", None, None, "is a symbolic link",
    ),
    Case(
        "a symlink to a file inside the folder",
        link("manifests/03-copy.yaml", "02-service.yaml"),
        "manifests/03-copy.yaml", None, None, "is a symbolic link",
    ),
    Case(
        "a folder that is a symlink",
        linked_folder,
        "manifests", None, None, "is a symbolic link",
    ),
    Case(
        "a manifest that is not UTF-8",
        not_utf8("manifests/02-service.yaml"),
        "manifests/02-service.yaml", 15, None, "is not UTF-8 text",
    ),
    Case(
        "a challenge.yaml that is not UTF-8",
        not_utf8("challenge.yaml"),
        "challenge.yaml", 44, None, "is not UTF-8 text",
    ),
    Case(
        "a duplicate key in a manifest",
        replace("manifests/02-service.yaml", "  selector:\n", "  selector:\n    app: web\n  selector:\n"),
        "manifests/02-service.yaml", 11, "spec.selector",
        "the key 'selector' is given twice (first on line 9)",
    ),
    Case(
        "a duplicate key in challenge.yaml",
        replace("challenge.yaml", "difficulty: easy\n", "difficulty: easy\ndifficulty: hard\n"),
        "challenge.yaml", 4, "difficulty", "is given twice",
    ),
    Case(
        "an alias bomb",
        add(ALIAS_BOMB),
        BAD, 6, None, "YAML anchors (&a) are not allowed",
    ),
    Case(
        "a merge key",
        replace("manifests/02-service.yaml", "    app: frontend\n", "    <<: {app: frontend}\n"),
        "manifests/02-service.yaml", 6, None, "merge keys (<<) are not allowed",
    ),
    Case(
        "a 5 MB manifest",
        huge,
        BAD, None, None, f"a challenge file may hold at most {MAX_FILE_BYTES:,}",
    ),
    Case(
        "a challenge larger than its limit",
        too_much,
        "", None, None, "a challenge may hold at most 1,048,576",
    ),
    Case(
        "an unknown kind",
        replace("manifests/01-deployment.yaml", "kind: Deployment", "kind: Deploymnet"),
        "manifests/01-deployment.yaml", 2, "kind", "did you mean Deployment?",
    ),
    Case(
        "a kind in an apiVersion that does not serve it",
        replace("manifests/01-deployment.yaml", "apiVersion: apps/v1", "apiVersion: apps/v1beta1"),
        "manifests/01-deployment.yaml", 1, "apiVersion", "Deployment is served as apps/v1, not apps/v1beta1",
    ),
    Case(
        "an unknown field",
        replace("manifests/02-service.yaml", "  type: ClusterIP", "  typ: ClusterIP"),
        "manifests/02-service.yaml", 8, "spec.typ", "did you mean type?",
    ),
    Case(
        "a string where a number belongs",
        replace("manifests/01-deployment.yaml", "replicas: 3", 'replicas: "three"'),
        "manifests/01-deployment.yaml", 9, "spec.replicas", "must be a whole number, not the text 'three'",
    ),
    Case(
        "a value outside a field's enum",
        replace(
            "manifests/01-deployment.yaml",
            "          image: nginx:1.27-alpine\n",
            "          image: nginx:1.27-alpine\n          imagePullPolicy: Sometimes\n",
        ),
        "manifests/01-deployment.yaml", 23, "spec.template.spec.containers[0].imagePullPolicy",
        "must be one of Always, IfNotPresent, Never",
    ),
    Case(
        "a hostPath volume in a workload",
        replace(
            "manifests/01-deployment.yaml",
            "      containers:\n",
            "      volumes:\n        - name: root\n          hostPath: {path: /}\n      containers:\n",
        ),
        "manifests/01-deployment.yaml", 22, "spec.template.spec.volumes[0].hostPath",
        "hostPath volumes mount the node",
    ),
    Case(
        "a privileged container",
        add(POD + "      securityContext: {privileged: true}\n"),
        BAD, 9, "spec.containers[0].securityContext.privileged", "privileged containers control the node",
    ),
    Case(
        "a Service with external IPs",
        replace("manifests/02-service.yaml", "ClusterIP\n", "ClusterIP\n  externalIPs: [10.0.0.1]\n"),
        "manifests/02-service.yaml", 9, "spec.externalIPs", "CVE-2020-8554",
    ),
    Case(
        "a RoleBinding of every authenticated user",
        add(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: open\n"
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n"
            "subjects:\n  - {kind: Group, name: 'system:authenticated',"
            " apiGroup: rbac.authorization.k8s.io}\n"
        ),
        BAD, 7, "subjects[0].name", "stands for many users or pods of the whole cluster",
    ),
    Case(
        "an egress rule to any address",
        add(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: out\nspec:\n"
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n    - to:\n"
            "        - ipBlock: {cidr: 0.0.0.0/0}\n"
        ),
        BAD, 10, "spec.egress[0].to[0].ipBlock", "reaches outside the attempt",
    ),
    Case(
        "an object in the platform's place",
        add(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: breakfix-egress\n"
            "spec:\n  podSelector: {}\n"
        ),
        BAD, 4, "metadata.name",
        "the platform puts its own NetworkPolicy 'breakfix-egress' in every environment",
    ),
]  # fmt: skip

MORE = [
    Case(
        "finalizers that would hold teardown",
        replace("manifests/02-service.yaml", "frontend\nspec", "frontend\n  finalizers: [x.io/hold]\nspec"),
        "manifests/02-service.yaml", 7, "metadata.finalizers", "would hold the environment's teardown",
    ),
    Case(
        "a token Secret that never expires",
        add("apiVersion: v1\nkind: Secret\nmetadata: {name: t}\ntype: kubernetes.io/service-account-token\n"),
        BAD, 4, "type", "never expires",
    ),
    Case(
        "an unquoted date",
        add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: release\ndata:\n  date: 2024-01-01\n"),
        BAD, 6, "data.date", "is read as a date",
    ),
    Case(
        "nesting ten thousand levels deep",
        add("a: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        BAD, 1, None, "nests deeper than",
    ),
    Case(
        "a fraction in an integer field",
        replace("manifests/01-deployment.yaml", "containerPort: 80", "containerPort: 80.5"),
        "manifests/01-deployment.yaml", 25, "spec.template.spec.containers[0].ports[0].containerPort",
        "must be a whole number",
    ),
    Case(
        "a label value that is not text",
        replace("manifests/01-deployment.yaml", "    tier: web\n", "    tier: 1\n"),
        "manifests/01-deployment.yaml", 7, "metadata.labels.tier", "must be text, not the number 1",
    ),
    Case(
        "a NodePort Service",
        replace("manifests/02-service.yaml", "  type: ClusterIP", "  type: NodePort"),
        "manifests/02-service.yaml", 8, "spec.type", "open the shared nodes",
    ),
    Case(
        "a claim on an existing volume",
        add(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: grab\nspec:\n"
            "  volumeName: someone-elses\n  accessModes: [ReadWriteOnce]\n"
            "  resources: {requests: {storage: 1Gi}}\n"
        ),
        BAD, 6, "spec.volumeName", "may not name an existing volume",
    ),
    Case(
        "a guard that is not a policy",
        add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n", "guards/90-bad.yaml"),
        "guards/90-bad.yaml", 2, "kind", "guards/ holds only ValidatingAdmissionPolicy",
    ),
]  # fmt: skip


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target, symlinks=True)
    return target


def sync(content_dir: Path) -> str:
    out = StringIO()
    call_command("sync_challenges", content_dir=content_dir, stdout=out)
    return out.getvalue()


def _matching(problems: list[ContentProblem], case: Case, folder: Path) -> list[ContentProblem]:
    path = folder / case.file if case.file else folder
    return [
        p
        for p in problems
        if p.file == path and p.line == case.line and p.field == case.field and case.says in p.message
    ]


def test_the_table_has_the_issues_28_cases() -> None:
    assert len({case.name for case in CASES}) == 28


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES + MORE, ids=[case.name for case in CASES + MORE])
def test_bad_content_is_refused_with_file_line_and_field(content: Path, case: Case) -> None:
    sync(content)
    before = list(Challenge.objects.order_by("slug").values())
    versions = list(ChallengeVersion.objects.order_by("pk").values_list("pk", "content_hash"))
    folder = content / SLUG
    case.breaks(folder)

    # Lint and sync judge files alone: nothing is sent to any cluster, none is needed.
    with mock.patch("validators.kube.transport.request", side_effect=AssertionError("a cluster was asked")):
        with pytest.raises(ContentError) as raised:
            load_all(content)
        with pytest.raises(CommandError) as refused:
            sync(content)

    found = _matching(raised.value.problems, case, folder)
    assert found, (
        f"no problem at {case.file}:{case.line} {case.field} saying {case.says!r} in:\n{raised.value}"
    )
    assert "nothing was changed" in str(refused.value)
    assert str(found[0]) in str(refused.value)
    assert list(Challenge.objects.order_by("slug").values()) == before
    assert list(ChallengeVersion.objects.order_by("pk").values_list("pk", "content_hash")) == versions


def test_a_challenge_that_needs_a_whole_cluster_loads_where_attempts_get_one(content: Path) -> None:
    folder = content / SLUG
    CASES[0].breaks(folder)  # a PriorityClass
    loaded = {c.slug: c for c in load_all(content, whole_cluster=True)}
    assert loaded[SLUG].needs_cluster
    assert not loaded["expose-internally"].needs_cluster


def test_the_lint_command_says_which_backend_a_challenge_needs(content: Path) -> None:
    CASES[0].breaks(content / SLUG)
    with pytest.raises(CommandError) as raised:
        call_command("challenge", "lint", content_dir=content, stdout=StringIO())
    assert "BREAKFIX_BACKEND=kind" in str(raised.value)
    out = StringIO()
    call_command("challenge", "lint", content_dir=content, backend="kind", stdout=out)
    assert "lint clean" in out.getvalue()
