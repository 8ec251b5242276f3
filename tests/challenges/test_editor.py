"""The YAML editor's own rules: reading the learner's YAML and tidying objects for editing.

Load, dry-run diff and apply against a real API server are in test_editor_live.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from challenges.services.editor import EditorError, clean, parse_documents, parse_ref, to_yaml

NS = "bf-1"


def test_it_reads_several_documents() -> None:
    one = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    text = one + "---\n" + one.replace("name: a", "name: b")
    assert [d["metadata"]["name"] for d in parse_documents(text, namespace=NS, cluster_wide=False)] == [
        "a",
        "b",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The editor is empty"),
        ("kind: Service\nmetadata:\n  name: x\n   bad: indent\n", "not valid YAML (line"),
        ("- just\n- a list\n", "not a Kubernetes object"),
        ("kind: Service\nmetadata: {name: x}\n", "has no apiVersion"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "has no kind"),
        ("apiVersion: v1\nkind: Service\nmetadata: {}\n", "has no metadata.name"),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: kube-system}\n",
            "your environment is",
        ),
    ],
)
def test_it_explains_what_is_wrong_with_the_yaml(text: str, message: str) -> None:
    with pytest.raises(EditorError) as caught:
        parse_documents(text, namespace=NS, cluster_wide=False)
    assert message in str(caught.value)


def test_it_accepts_the_attempts_own_namespace() -> None:
    text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: x, namespace: {NS}}}\n"
    assert parse_documents(text, namespace=NS, cluster_wide=False)[0]["metadata"]["namespace"] == NS


def test_a_cluster_of_ones_own_may_name_other_namespaces() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: other}\n"
    assert parse_documents(text, namespace=NS, cluster_wide=True)


def test_it_leaves_out_the_servers_bookkeeping() -> None:
    live: dict[str, Any] = {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {
            "name": "frontend",
            "namespace": NS,
            "uid": "1234",
            "resourceVersion": "42",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "breakfix"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "labels": {"app": "frontend"},
        },
        "spec": {"selector": {"app": "front-end"}},
        "status": {"loadBalancer": {}},
    }
    tidy = clean(live)
    assert list(tidy) == ["apiVersion", "kind", "metadata", "spec"]
    assert tidy["metadata"] == {"name": "frontend", "labels": {"app": "frontend"}}
    assert to_yaml(tidy).startswith("apiVersion: v1\nkind: Service\n")
    assert live["metadata"]["uid"] == "1234"  # the original is untouched


def test_it_only_loads_kinds_it_lists() -> None:
    assert parse_ref("Service/frontend").name == "frontend"
    with pytest.raises(EditorError):
        parse_ref("Node/worker-1")
    with pytest.raises(EditorError):
        parse_ref("Service/")
