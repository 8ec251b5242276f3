from __future__ import annotations

from typing import Any

import pytest

from validators import compare, paths, selectors

DEPLOYMENT: dict[str, Any] = {
    "metadata": {"labels": {"app.kubernetes.io/name": "web", "app": "web"}},
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 8080, "name": "http"}],
                    },
                    {"name": "sidecar", "image": "envoy:1.30", "securityContext": {"runAsNonRoot": True}},
                ]
            }
        },
    },
    "status": {"conditions": [{"type": "Available", "status": "True"}], "replicas": 2},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.template.spec.containers[0].image", "nginx:1.27"),
        ("spec.template.spec.containers[-1].name", "sidecar"),
        ("spec.template.spec.containers[name=sidecar].image", "envoy:1.30"),
        ("spec.template.spec.containers[name=app].ports[name=http].containerPort", 8080),
        ("spec.template.spec.containers[0].ports[containerPort=8080].name", "http"),
        ("spec.template.spec.containers[name=sidecar].securityContext.runAsNonRoot", True),
        ("spec.template.spec.containers[name=sidecar].securityContext[runAsNonRoot=true]", None),
        ('metadata.labels["app.kubernetes.io/name"]', "web"),
        ("status.conditions[type=Available].status", "True"),
        ("status.conditions[type='Available'].status", "True"),
    ],
)
def test_it_follows_paths(path: str, value: Any) -> None:
    found, actual = paths.lookup(DEPLOYMENT, paths.parse(path))
    if value is None:
        assert not found
    else:
        assert found
        assert actual == value


@pytest.mark.parametrize(
    "path",
    [
        "spec.missing",
        "spec.template.spec.containers[5]",
        "spec.template.spec.containers[name=nope]",
        "status.replicas.count",
        "metadata[0]",
    ],
)
def test_it_reports_missing_fields_as_not_found(path: str) -> None:
    assert paths.lookup(DEPLOYMENT, paths.parse(path)) == (False, None)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty"),
        ("a..b", "empty field name"),
        ("a.", "ends with '.'"),
        ("a[0", "unclosed '['"),
        ("a]", "unexpected ']'"),
        ("a[]", "empty []"),
        ("a[x]", "neither an index"),
        ("a[0]b", "expected '.' or '['"),
        ("a[=x]", "no field name"),
    ],
)
def test_it_rejects_malformed_paths(path: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("[", "\\[").replace("]", "\\]").replace(".", "\\.")):
        paths.parse(path)


def test_it_knows_when_only_the_last_field_is_missing() -> None:
    assert paths.parent_exists({"status": {}}, paths.parse("status.readyReplicas"))
    assert not paths.parent_exists({}, paths.parse("status.readyReplicas"))


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "result"),
    [
        ("==", 2, 2.0, True),
        ("==", True, 1, False),
        ("==", "True", True, False),
        ("!=", "Running", "Pending", True),
        (">=", 2, 2, True),
        ("<", 1, 2, True),
        (">", "3", 2, False),
        ("in", "Running", ["Running", "Succeeded"], True),
        ("in", "Failed", ["Running", "Succeeded"], False),
        ("contains", "Connected to backend", "backend", True),
        ("contains", ["a", "b"], "b", True),
        (
            "contains",
            [{"type": "Ready", "status": "True", "reason": "x"}],
            {"type": "Ready", "status": "True"},
            True,
        ),
        ("contains", [{"type": "Ready", "status": "False"}], {"type": "Ready", "status": "True"}, False),
        ("contains", {"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}}, True),
        ("contains", 5, 5, False),
    ],
)
def test_it_compares_values(operator: str, actual: Any, expected: Any, result: bool) -> None:
    assert compare.apply(operator, actual, expected) is result


@pytest.mark.parametrize(
    ("selector", "labels", "result"),
    [
        ({}, {"app": "x"}, True),
        ({"matchLabels": {"app": "x"}}, {"app": "x", "tier": "y"}, True),
        ({"matchLabels": {"app": "x"}}, {"app": "z"}, False),
        (
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
            {"tier": "b"},
            True,
        ),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]}]}, {}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, {"tier": "a"}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"tier": ""}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"tier": ""}, False),
    ],
)
def test_it_matches_label_selectors(selector: dict[str, Any], labels: dict[str, str], result: bool) -> None:
    assert selectors.matches(selector, labels) is result


def test_it_writes_selectors_as_api_queries() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "team", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }
    assert selectors.to_query(selector) == "app=web,tier in (a,b),env notin (dev),team,!legacy"
