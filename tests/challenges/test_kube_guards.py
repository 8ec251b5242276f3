"""Guards are cluster-scoped: each attempt gets its own copies, bound to its own namespace."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from challenges.kube import scope_guards
from challenges.kube.apply import DNS_SUBDOMAIN, GUARD_NAMESPACE, MANAGED_BY
from challenges.loader import load_folder
from validators.errors import ObjectInvalid

POLICY: dict[str, Any] = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "keep-frontend"},
    "spec": {"validations": [{"expression": "false"}]},
}
BINDING: dict[str, Any] = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicyBinding",
    "metadata": {"name": "keep-frontend"},
    "spec": {"policyName": "keep-frontend", "validationActions": ["Deny"]},
}


def test_it_names_each_copy_after_the_namespace() -> None:
    policy, binding = scope_guards([POLICY, BINDING], "breakfix-12")
    assert policy["metadata"]["name"] == "keep-frontend.breakfix-12"
    assert binding["metadata"]["name"] == "keep-frontend.breakfix-12"


def test_the_binding_points_at_the_renamed_policy_and_selects_only_the_namespace() -> None:
    _, binding = scope_guards([POLICY, BINDING], "breakfix-12")
    assert binding["spec"]["policyName"] == "keep-frontend.breakfix-12"
    assert binding["spec"]["matchResources"]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "breakfix-12"}
    }
    assert binding["spec"]["validationActions"] == ["Deny"]


def test_an_existing_namespace_selector_is_replaced_not_widened() -> None:
    wide = copy.deepcopy(BINDING)
    wide["spec"]["matchResources"] = {"namespaceSelector": {}, "objectSelector": {"matchLabels": {"a": "b"}}}
    _, binding = scope_guards([POLICY, wide], "breakfix-12")
    match = binding["spec"]["matchResources"]
    assert match["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "breakfix-12"}}
    assert match["objectSelector"] == {"matchLabels": {"a": "b"}}


def test_copies_carry_labels_that_teardown_and_reap_find() -> None:
    for guard in scope_guards(
        [POLICY, BINDING], "breakfix-12", labels={"breakfix.dev/installation": "breakfix"}
    ):
        labels = guard["metadata"]["labels"]
        assert labels[MANAGED_BY] == "breakfix"
        assert labels[GUARD_NAMESPACE] == "breakfix-12"
        assert labels["breakfix.dev/installation"] == "breakfix"


def test_it_leaves_the_challenge_content_untouched() -> None:
    before = copy.deepcopy([POLICY, BINDING])
    scope_guards([POLICY, BINDING], "breakfix-12")
    assert before == [POLICY, BINDING]


def test_it_refuses_anything_but_guards() -> None:
    with pytest.raises(ObjectInvalid, match="not ConfigMap"):
        scope_guards([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}], "breakfix-12")


@pytest.mark.parametrize(
    "folder", sorted(p.name for p in Path(settings.BREAKFIX_CONTENT_DIR).iterdir() if p.is_dir())
)
def test_every_shipped_guard_scopes_to_a_valid_name_and_keeps_its_learner_only_condition(folder: str) -> None:
    loaded = load_folder(Path(settings.BREAKFIX_CONTENT_DIR) / folder)
    assert not isinstance(loaded, list), f"{folder} does not load: {loaded}"
    documents = [doc for file in loaded.definition["guards"] for doc in file["documents"]]
    scoped = scope_guards(documents, "breakfix-123456")
    policies = {g["metadata"]["name"] for g in scoped if g["kind"] == "ValidatingAdmissionPolicy"}
    for guard in scoped:
        assert DNS_SUBDOMAIN.match(guard["metadata"]["name"]) and len(guard["metadata"]["name"]) <= 253
        if guard["kind"] == "ValidatingAdmissionPolicyBinding":
            assert guard["spec"]["policyName"] in policies
        else:
            conditions = {c["name"]: c["expression"] for c in guard["spec"]["matchConditions"]}
            assert "system:serviceaccount:' + request.namespace" in conditions["learner-only"]
