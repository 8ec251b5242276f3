from __future__ import annotations

from typing import Any

import pytest

import validators
from tests.validators.fakes import FakeView, deployment, service
from validators import SpecInvalid


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("spec", spec, view)


def svc_check(*checks: dict[str, Any]) -> dict[str, Any]:
    return {"target": {"kind": "Service", "name": "web"}, "checks": list(checks)}


def test_it_passes_when_a_field_equals_the_value() -> None:
    result = run(
        svc_check({"path": "spec.type", "equals": "ClusterIP"}), FakeView([service("web", {"app": "web"})])
    )
    assert result.passed
    assert result.message == "Service web has spec.type = ClusterIP."


def test_it_fails_when_a_field_differs() -> None:
    view = FakeView([service("web", {"app": "web"}, type="NodePort")])
    result = run(svc_check({"path": "spec.type", "equals": "ClusterIP"}), view)
    assert result.message == "Service web has spec.type = NodePort; expected ClusterIP."


def test_it_can_keep_the_expected_value_out_of_the_message() -> None:
    view = FakeView([service("web", {"app": "front-end"})])
    result = run(svc_check({"path": "spec.selector.app", "equals": "frontend", "reveal": False}), view)
    assert not result.passed
    assert result.message == (
        "Service web has spec.selector.app = front-end, which is not what the check expects."
    )
    assert "frontend" not in result.message.replace("front-end", "")


def test_it_checks_existence() -> None:
    deploy = deployment("web", {"app": "web"})
    probe = {"path": "spec.template.spec.containers[name=app].readinessProbe", "exists": True}
    spec = {"target": {"kind": "Deployment", "name": "web"}, "checks": [probe]}
    result = run(spec, FakeView([deploy]))
    assert result.message == "Deployment web has no spec.template.spec.containers[name=app].readinessProbe."
    deploy["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {"port": 80}}
    assert run(spec, FakeView([deploy])).passed


def test_it_checks_absence() -> None:
    deploy = deployment("web", {"app": "web"})
    deploy["spec"]["template"]["spec"]["hostNetwork"] = True
    spec = {
        "target": {"kind": "Deployment", "name": "web"},
        "checks": [{"path": "spec.template.spec.hostNetwork", "exists": False}],
    }
    assert (
        run(spec, FakeView([deploy])).message
        == "Deployment web still sets spec.template.spec.hostNetwork (to true)."
    )


def test_it_checks_containment_of_a_sub_mapping() -> None:
    deploy = deployment("web", {"app": "web"})
    deploy["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "limits": {"memory": "128Mi", "cpu": "1"}
    }
    spec = {
        "target": {"kind": "Deployment", "name": "web"},
        "checks": [
            {
                "path": "spec.template.spec.containers[0].resources",
                "contains": {"limits": {"memory": "128Mi"}},
            }
        ],
    }
    assert run(spec, FakeView([deploy])).passed


def test_it_can_expect_null() -> None:
    view = FakeView([service("web", {"app": "web"})])
    view.objects[0]["spec"]["clusterIP"] = None
    assert run(svc_check({"path": "spec.clusterIP", "equals": None}), view).passed


def test_it_never_sees_secret_values_through_the_view() -> None:
    # NamespaceView redacts values; a spec check can still ask whether a key exists.
    from validators.namespace_view import REDACTED

    secret = {"kind": "Secret", "metadata": {"name": "db", "labels": {}}, "data": {"password": REDACTED}}
    spec = {"target": {"kind": "Secret", "name": "db"}, "checks": [{"path": "data.password", "exists": True}]}
    assert run(spec, FakeView([secret])).passed


def _limited(memory: Any) -> dict[str, Any]:
    deploy = deployment("web", {"app": "web"})
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    if memory is not None:
        container["resources"] = {"limits": {"memory": memory}}
    return deploy


MEMORY = "spec.template.spec.containers[0].resources.limits.memory"


def test_it_compares_quantities_whatever_their_unit() -> None:
    spec = {"target": {"kind": "Deployment", "name": "web"}, "checks": [{"path": MEMORY, "atLeast": "256Mi"}]}
    assert validators.evaluate("spec", spec, FakeView([_limited("0.25Gi")])).passed
    assert validators.evaluate("spec", spec, FakeView([_limited("1Gi")])).passed
    low = validators.evaluate("spec", spec, FakeView([_limited("64Mi")]))
    assert low.message == f"Deployment web has {MEMORY} = 64Mi; expected at least 256Mi."
    # Removing the limit is no way round a check that wants one.
    gone = validators.evaluate("spec", spec, FakeView([_limited(None)]))
    assert gone.message == f"Deployment web has no {MEMORY}."


def test_it_bounds_a_quantity_from_above_and_can_hide_the_bound() -> None:
    check = {"path": MEMORY, "atLeast": "128Mi", "atMost": "1Gi", "reveal": False}
    spec = {"target": {"kind": "Deployment", "name": "web"}, "checks": [check]}
    high = validators.evaluate("spec", spec, FakeView([_limited("4Gi")]))
    assert high.message == f"Deployment web has {MEMORY} = 4Gi, which is above what the check expects."
    ok = validators.evaluate("spec", spec, FakeView([_limited("512M")]))
    assert ok.message == f"Deployment web has {MEMORY} at least 128Mi and at most 1Gi."


def test_it_refuses_a_bound_that_is_not_a_quantity() -> None:
    with pytest.raises(SpecInvalid, match="neither a number nor a quantity"):
        validators.validate_spec(
            "spec", {"target": {"kind": "Pod", "name": "x"}, "checks": [{"path": "a", "atLeast": "lots"}]}
        )
