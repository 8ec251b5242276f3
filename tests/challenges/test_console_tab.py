"""Reading a line for Tab: what kubectl is asked, and what is answered without asking it.

The answers kubectl gives are tested live (test_console_tab_live.py); these are the decisions
made before it runs, and reading its protocol.
"""

from __future__ import annotations

from challenges.console.parser import Scope
from challenges.console.tab import Completion, Kind, Plan, finish, plan, read_directive

SCOPE = Scope(namespace="bf-1")
KIND = Scope(namespace="bf-1", cluster_wide=True)


def planned(line: str, scope: Scope = SCOPE) -> Plan:
    result = plan(line, scope=scope)
    assert isinstance(result, Plan), result
    return result


def answered(line: str, scope: Scope = SCOPE) -> Completion:
    result = plan(line, scope=scope)
    assert isinstance(result, Completion), result
    return result


def test_kubectl_is_asked_in_the_learners_namespace_with_the_words_as_typed() -> None:
    asked = planned("kubectl logs fr")
    assert asked.kind is Kind.WORD and asked.partial == "fr"
    assert asked.kubectl_args(SCOPE) == ["--namespace=bf-1", "logs", "fr"]
    assert planned("get pods ").kubectl_args(SCOPE) == ["--namespace=bf-1", "get", "pods", ""]
    # On a cluster of one's own, a namespace the learner names is kept.
    assert planned("kubectl get pods -n kube-system ", KIND).kubectl_args(KIND)[0] == "get"


def test_it_knows_a_flag_from_its_value() -> None:
    assert planned("kubectl get pods --sh").kind is Kind.FLAG_NAME
    value = planned("kubectl get pods -o ")
    assert value.kind is Kind.FLAG_VALUE and value.flag is not None and value.flag.name == "output"
    inline = planned("kubectl get pods --output=ya")
    assert inline.kind is Kind.FLAG_VALUE and inline.value_prefix == "--output="


def test_nothing_is_asked_after_a_refused_command_or_flag() -> None:
    assert "kubectl proxy" in answered("kubectl proxy --p").message
    assert "reads another kubeconfig" in answered("kubectl --kubeconfig=/etc/admin.conf get pods ").message
    assert "impersonates" in answered("kubectl get pods --as admin ").message
    assert "not a kubectl command" in answered("ls -la ").message
    assert answered("kubectl get pods | gre").message
    assert answered("kubectl exec web-1 -- ").candidates == []


def test_a_namespace_value_is_the_learners_own_without_asking() -> None:
    offered = answered("kubectl get pods -n ")
    assert [candidate.value for candidate in offered.candidates] == ["bf-1"]
    assert answered("kubectl get pods --namespace=o").candidates == []
    assert planned("kubectl get pods -n ", KIND).kind is Kind.FLAG_VALUE


def test_a_quoted_word_is_left_to_the_learner() -> None:
    assert "quoted" in answered("kubectl get pods -l 'app=fr").message


def test_it_reads_kubectls_protocol_and_filters_what_the_console_refuses() -> None:
    pairs, directive = read_directive("get\tDisplay one or many resources\nproxy\tRun a proxy\n:4\n")
    assert pairs == [("get", "Display one or many resources"), ("proxy", "Run a proxy")]
    assert directive == 4
    completion = finish(
        planned("kubectl "), "get\tDisplay\nproxy\tRun a proxy\nconfig\tModify\n:4\n", scope=SCOPE
    )
    assert [candidate.value for candidate in completion.candidates] == ["get"]
    flags = finish(
        planned("kubectl get pods --"), "--watch\tWatch\n--kubeconfig\tPath\n--as\tUser\n:4\n", scope=SCOPE
    )
    assert [candidate.value for candidate in flags.candidates] == ["--watch"]
    # An answer without a directive, an error, or file names: nothing.
    assert finish(planned("kubectl get "), "pods\n", scope=SCOPE).candidates == []
    assert finish(planned("kubectl get "), "pods\n:1\n", scope=SCOPE).candidates == []
    assert finish(planned("kubectl get pods -o "), "json\nyaml\n:8\n", scope=SCOPE).candidates == []
    # No space after `pods/`, or when kubectl says so.
    assert finish(planned("kubectl logs po"), "pods/\n:4\n", scope=SCOPE).no_space
    assert finish(planned("kubectl logs fr"), "frontend-1\n:6\n", scope=SCOPE).no_space
    assert not finish(planned("kubectl logs fr"), "frontend-1\n:4\n", scope=SCOPE).no_space
