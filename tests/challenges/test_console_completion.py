"""What Tab completion may offer is what the parser allows."""

from __future__ import annotations

import pytest

from challenges.console import completion, rules
from challenges.console.parser import Refused, Scope, parse

NAMESPACE_SCOPE = Scope(namespace="bf-1")
KIND_SCOPE = Scope(namespace="bf-1", cluster_wide=True)


def test_it_says_which_commands_run() -> None:
    assert completion.command_allowed(["get"])
    assert completion.command_allowed(["rollout", "status"])
    assert not completion.command_allowed(["proxy"])
    assert not completion.command_allowed(["config", "view"])
    assert not completion.command_allowed(["__complete"])
    assert not completion.command_allowed(["no-such-command"])


def test_it_lists_the_sub_commands_it_may_offer() -> None:
    top = completion.allowed_subcommands([])
    assert {"get", "describe", "logs", "exec", "create", "rollout"} <= set(top)
    assert not {"proxy", "port-forward", "attach", "cp", "config", "edit", "debug", "kustomize"} & set(top)
    assert "__complete" not in top
    assert completion.allowed_subcommands(["create", "secret"]) == ["docker-registry", "generic", "tls"]
    assert completion.allowed_subcommands(["apply"]) == ["view-last-applied"]
    assert completion.allowed_subcommands(["config"]) == []


def test_it_says_which_flags_it_may_offer() -> None:
    assert completion.flag_allowed(["get"], "output")
    assert completion.flag_allowed(["get"], "o")
    assert completion.flag_allowed(["get"], "show_labels")
    assert completion.flag_allowed(["get"], "watch")  # the console streams
    assert not completion.flag_allowed(["get"], "f")
    assert not completion.flag_allowed(["get"], "kubeconfig")
    assert completion.flag_allowed(["logs"], "p")  # --previous
    assert completion.flag_allowed(["logs"], "f")  # --follow
    assert completion.flag_allowed(["create", "secret", "generic"], "from-literal")
    assert not completion.flag_allowed(["create", "secret", "generic"], "from_file")
    assert completion.flag_allowed(["create", "rolebinding"], "user")
    assert not completion.flag_allowed(["get"], "user")


def test_all_namespaces_is_offered_on_a_cluster_of_ones_own_only() -> None:
    assert not completion.flag_allowed(["get"], "A", scope=NAMESPACE_SCOPE)
    assert completion.flag_allowed(["get"], "all-namespaces", scope=KIND_SCOPE)


def test_it_lists_the_flags_of_a_command_that_it_may_offer() -> None:
    names = {flag.name for flag in completion.allowed_flags(["logs"], scope=NAMESPACE_SCOPE)}
    assert {"tail", "previous", "container", "namespace", "help", "follow"} <= names
    assert not {"kubeconfig", "as", "insecure-skip-tls-verify-backend"} & names
    assert completion.allowed_flags(["proxy"]) == []
    assert "custom-columns" in completion.allowed_output_formats()
    assert "custom-columns-file" not in completion.allowed_output_formats()


def test_commands_that_watch_run_and_say_so() -> None:
    assert parse("kubectl logs -f web-1", scope=NAMESPACE_SCOPE).watches
    assert parse("kubectl get pods -w", scope=NAMESPACE_SCOPE).watches
    assert parse("kubectl get pods --watch-only", scope=NAMESPACE_SCOPE).watches
    assert parse("kubectl rollout status deployment/web", scope=NAMESPACE_SCOPE).watches
    assert parse("kubectl wait --for=condition=Ready pod/web-1", scope=NAMESPACE_SCOPE).watches
    assert not parse("kubectl get pods -w=false", scope=NAMESPACE_SCOPE).watches
    assert not parse("kubectl get pods", scope=NAMESPACE_SCOPE).watches
    assert completion.flag_allowed(["events"], "watch")


def test_streaming_is_one_switch_from_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "STREAMING_ALLOWED", False)
    with pytest.raises(Refused) as refused:
        parse("kubectl logs -f web-1", scope=NAMESPACE_SCOPE)
    assert "--tail" in refused.value.refusal.message
    assert not completion.flag_allowed(["get"], "watch")
