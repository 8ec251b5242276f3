from __future__ import annotations

from typing import Any

import validators
from tests.validators.fakes import FakeView, meta

ACCOUNT = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("reporter")}


def run(spec: dict[str, Any], view: FakeView) -> validators.Result:
    return validators.evaluate("rbac", spec, view)


def grants(*allowed: tuple[str, str]) -> Any:
    def review(attributes: dict[str, Any]) -> dict[str, Any]:
        ok = (attributes["verb"], attributes["resource"]) in allowed
        return {"allowed": ok, "reason": 'RBAC: allowed by RoleBinding "r/attempt-1"' if ok else ""}

    return review


SPEC = {
    "serviceAccount": "reporter",
    "checks": [
        {"verb": "list", "resource": "pods", "allowed": True},
        {"verb": "delete", "resource": "pods", "allowed": False},
    ],
}


def test_it_passes_when_access_is_exactly_as_expected() -> None:
    view = FakeView([ACCOUNT], access=grants(("list", "pods")))
    result = run(SPEC, view)
    assert result.passed
    assert result.message == "ServiceAccount reporter can list pods and cannot delete pods."


def test_it_asks_as_the_service_account_with_its_groups() -> None:
    view = FakeView([ACCOUNT], access=grants(("list", "pods")))
    run(SPEC, view)
    assert view.reviews[0] == {
        "user": "system:serviceaccount:attempt-1:reporter",
        "groups": ["system:serviceaccounts", "system:serviceaccounts:attempt-1", "system:authenticated"],
        "verb": "list",
        "resource": "pods",
        "group": "",
        "subresource": "",
        "name": "",
        "namespace": None,
    }


def test_it_fails_when_access_is_missing() -> None:
    result = run(SPEC, FakeView([ACCOUNT], access=grants()))
    assert result.message == "ServiceAccount reporter cannot list pods, but it needs to."


def test_it_fails_when_access_is_too_broad() -> None:
    result = run(SPEC, FakeView([ACCOUNT], access=grants(("list", "pods"), ("delete", "pods"))))
    assert result.message == (
        'ServiceAccount reporter can delete pods (RBAC: allowed by RoleBinding "r/attempt-1"), '
        "but it must not."
    )


def test_it_fails_when_the_service_account_does_not_exist() -> None:
    result = run(SPEC, FakeView(access=grants(("list", "pods"))))
    assert result.message == "There is no ServiceAccount named reporter yet."


def test_it_describes_groups_subresources_and_namespaces() -> None:
    spec = {
        "serviceAccount": "reporter",
        "checks": [
            {"verb": "get", "resource": "pods", "subresource": "log", "allowed": True},
            {
                "verb": "list",
                "resource": "deployments",
                "group": "apps",
                "namespace": "kube-system",
                "allowed": True,
            },
            {"verb": "list", "resource": "nodes", "namespace": "", "allowed": True},
        ],
    }
    result = run(spec, FakeView([ACCOUNT], access=grants(("get", "pods"), ("list", "deployments"))))
    assert result.message == "ServiceAccount reporter cannot list nodes cluster-wide, but it needs to."
    assert view_namespaces(spec) == [None, "kube-system", ""]


def view_namespaces(spec: dict[str, Any]) -> list[str | None]:
    view = FakeView([ACCOUNT], access=lambda attributes: {"allowed": True})
    run(spec, view)
    return [review["namespace"] for review in view.reviews]


def test_it_treats_an_explicit_deny_as_not_allowed() -> None:
    view = FakeView([ACCOUNT], access=lambda attributes: {"allowed": True, "denied": True})
    spec = {"serviceAccount": "reporter", "checks": [{"verb": "list", "resource": "pods", "allowed": True}]}
    assert not run(spec, view).passed
