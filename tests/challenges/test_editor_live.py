"""The YAML editor against the local control plane: load, dry-run diff and apply, as the learner."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from challenges.models import Attempt, AttemptEvent
from challenges.services.editor import (
    EditorError,
    ObjectRef,
    editor_apply,
    editor_diff,
    editor_load,
    editor_objects,
)
from tests.base import solution_text
from tests.challenges.live_learner import live_attempt, make_live_attempt  # noqa: F401
from tests.fixtures.cluster import Cluster, eventually

pytestmark = [pytest.mark.live, pytest.mark.django_db]

# The reference fix, as a learner would paste it.
FIXED = solution_text("wrong-selector", "service.yaml")


def test_the_picker_lists_the_challenges_objects_and_not_the_platforms(live_attempt: Attempt) -> None:  # noqa: F811
    values = {ref.value for ref in editor_objects(attempt=live_attempt)}
    assert {"Deployment/frontend", "Service/frontend"} <= values
    assert not {"ServiceAccount/learner", "Role/learner", "ConfigMap/kube-root-ca.crt"} & values
    assert not any(value.startswith("Pod/") for value in values)  # the Deployment's own pods


def test_it_loads_an_object_without_the_servers_bookkeeping(live_attempt: Attempt) -> None:  # noqa: F811
    text = editor_load(attempt=live_attempt, ref=ObjectRef("Service", "frontend"))
    assert text.startswith("apiVersion: v1\nkind: Service\n")
    assert "app: front-end" in text
    for noise in ("managedFields", "resourceVersion", "uid:", "creationTimestamp", "status:", "namespace:"):
        assert noise not in text


def test_loading_a_missing_object_says_so(live_attempt: Attempt) -> None:  # noqa: F811
    with pytest.raises(EditorError, match="not there"):
        editor_load(attempt=live_attempt, ref=ObjectRef("Service", "nothing-here"))


def test_the_dry_run_diff_shows_the_change_and_changes_nothing(live_attempt: Attempt) -> None:  # noqa: F811
    (change,) = editor_diff(attempt=live_attempt, text=FIXED)
    assert change.action == "change"
    assert "-    app: front-end" in change.diff
    assert "+    app: frontend" in change.diff
    assert "+    tier: web" in change.diff
    assert "app: front-end" in editor_load(attempt=live_attempt, ref=ObjectRef("Service", "frontend"))


def test_applying_the_fix_gives_the_service_its_endpoints(live_attempt: Attempt) -> None:  # noqa: F811
    (change,) = editor_apply(attempt=live_attempt, text=FIXED)
    assert change.action == "change"
    assert "app: frontend" in editor_load(attempt=live_attempt, ref=ObjectRef("Service", "frontend"))
    assert AttemptEvent.objects.filter(attempt=live_attempt, kind=AttemptEvent.Kind.EDITOR_APPLY).exists()
    again = editor_diff(attempt=live_attempt, text=FIXED)
    assert [c.action for c in again] == ["unchanged"]


def test_a_new_object_is_created(live_attempt: Attempt) -> None:  # noqa: F811
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  fixed: 'yes'\n"
    (preview,) = editor_diff(attempt=live_attempt, text=text)
    assert preview.action == "create"
    assert "+  fixed: 'yes'" in preview.diff
    (change,) = editor_apply(attempt=live_attempt, text=text)
    assert change.action == "create"
    assert "ConfigMap/notes" in {ref.value for ref in editor_objects(attempt=live_attempt)}


def test_a_guards_refusal_is_shown_in_its_own_words(live_attempt: Attempt) -> None:  # noqa: F811
    deployment = editor_load(attempt=live_attempt, ref=ObjectRef("Deployment", "frontend"))
    relabelled = deployment.replace("image: nginx:1.27-alpine", "image: nginx:1.28-alpine")

    def refusal() -> str | None:
        # The API server picks new admission policies up from an informer: allow it a moment.
        try:
            editor_diff(attempt=live_attempt, text=relabelled)
        except EditorError as exc:
            return str(exc)
        return None

    message = eventually(refusal, "the guard to refuse a new image")
    assert "The frontend image is not the problem: keep it and fix the Service." in message
    assert "ValidatingAdmissionPolicy" in message


def test_an_invalid_object_is_refused_with_the_api_servers_message(live_attempt: Attempt) -> None:  # noqa: F811
    broken = FIXED.replace("port: 80\n", "port: 0\n")
    with pytest.raises(EditorError) as caught:
        editor_apply(attempt=live_attempt, text=broken)
    assert 'Service "frontend" is invalid' in str(caught.value)
    assert "spec.ports[0].port" in str(caught.value)


def test_rbac_decides_what_the_learner_may_apply(live_attempt: Attempt) -> None:  # noqa: F811
    text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: bf6-everything}\n"
    with pytest.raises(EditorError) as caught:
        editor_apply(attempt=live_attempt, text=text)
    assert "forbidden" in str(caught.value)
    assert f"system:serviceaccount:{live_attempt.environment}:learner" in str(caught.value)


def test_one_refused_document_stops_them_all(live_attempt: Attempt) -> None:  # noqa: F811
    good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n"
    bad = FIXED.replace("port: 80\n", "port: 0\n")
    with pytest.raises(EditorError):
        editor_apply(attempt=live_attempt, text=good + "---\n" + bad)
    assert "ConfigMap/first" not in {ref.value for ref in editor_objects(attempt=live_attempt)}


def test_what_the_editor_says_is_what_the_object_becomes(live_attempt: Attempt) -> None:  # noqa: F811
    # A changed port number replaces the port instead of adding a second one, and a label
    # removed in the editor is removed from the object.
    text = FIXED.replace("port: 80\n", "port: 8080\n").replace("  labels:\n    app: frontend\n", "")
    editor_apply(attempt=live_attempt, text=text)
    loaded = editor_load(attempt=live_attempt, ref=ObjectRef("Service", "frontend"))
    assert "port: 8080" in loaded
    assert "port: 80\n" not in loaded
    assert "labels:" not in loaded.split("spec:")[0]


def test_a_network_policy_port_is_fixed_in_place(
    cluster: Cluster, namespace: str, django_user_model: type[User]
) -> None:
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "password-bob")
    attempt = make_live_attempt(cluster, namespace, slug="partial-outage", learner=bob)
    policy = editor_load(attempt=attempt, ref=ObjectRef("NetworkPolicy", "allow-payments"))
    assert "port: 8080" in policy
    editor_apply(attempt=attempt, text=policy.replace("port: 8080", "port: 8443"))
    fixed = editor_load(attempt=attempt, ref=ObjectRef("NetworkPolicy", "allow-payments"))
    assert "port: 8443" in fixed
    assert "port: 8080" not in fixed
