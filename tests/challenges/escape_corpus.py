"""The console's escape corpus: lines a hostile learner would type, each with what must happen.

A case is a line and its outcome: refused with a Refusal category, or `None` for a line that
runs and is harmless (kubectl answers, or refuses it itself, without reaching anything of the
Breakfix server's). The classes follow issue 10's list. Lines name the attempt's namespace as
`@NS@`; `corpus(namespace)` fills it in. The expectations are written here, not computed from
the console's rules: the one generated class (every `*-file` and `*-dir` flag) takes its flags
from kubectl's own command table, and its expected categories from the lists below.

test_console_corpus.py runs every line through the parser; the live test sends the same
lines through the view, the sandboxed runner and the real kubectl.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from challenges.console.refusals import Category
from challenges.console.table import kubectl_table

SHELL = Category.SHELL
TOO_LONG = Category.TOO_LONG
CHARACTERS = Category.CHARACTERS
OTHER = Category.OTHER_PROGRAMS
PLUGINS = Category.PLUGINS
COMMANDS = Category.COMMANDS
FLAGS = Category.FLAGS
IDENTITY = Category.IDENTITY
TARGET = Category.TARGET
NAMESPACE = Category.NAMESPACE
FILES = Category.LOCAL_FILES
CONNECTION = Category.CONNECTION
INTERACTIVE = Category.INTERACTIVE
HARMLESS = None

NS = "@NS@"


class Kind(StrEnum):
    SPELLINGS = "underscore and mixed spellings of refused flags"
    VALUE_FORMS = "every value form"
    POSITIONS = "flags before and after the verb"
    SMUGGLED = "commands smuggled behind value-taking and unknown flags"
    FILE_FLAGS = "every *-file and *-dir flag kubectl has"
    OUTPUT = "output formats"
    CREDENTIALS = "kubeconfig, identity and target flags"
    COMMANDS = "refused commands"
    NAMESPACES = "other namespaces"
    DASHES = "unicode look-alike dashes"
    CONTROL = "control and invisible characters"
    LONG = "overlong lines"
    SHELL = "shell syntax"
    HARMLESS = "allowed lines that only look dangerous"


@dataclass(frozen=True)
class Case:
    line: str
    expected: Category | None
    kind: Kind


# --- underscore and mixed spellings --------------------------------------------------------------

SPELLINGS: list[tuple[str, Category | None]] = [
    ("kubectl create secret generic x --from_file=/proc/self/environ", FILES),
    ("kubectl create secret generic x --from_file /proc/self/stat", FILES),
    ("kubectl create configmap x --from_file=/etc", FILES),
    ("kubectl create secret generic x --from_env_file=/proc/1/environ", FILES),
    ("kubectl create secret generic x --from-env_file=/proc/1/environ", FILES),
    ("kubectl create secret generic x --from_env-file=/proc/1/environ", FILES),
    ("kubectl create configmap x --from_env_file /app/.env", FILES),
    ("kubectl create secret docker-registry x --from_file=/root/.docker/config.json", FILES),
    ("kubectl patch deploy frontend --patch_file=/etc/passwd", FILES),
    ("kubectl patch deploy frontend --patch_file /etc/passwd", FILES),
    ("kubectl get pods --client_certificate=/etc/kubernetes/pki/admin.crt", IDENTITY),
    ("kubectl get pods --client_key=/etc/kubernetes/pki/admin.key", IDENTITY),
    ("kubectl --client_certificate=/x.crt --client_key=/x.key get clusterrolebindings", IDENTITY),
    ("kubectl get pods --client-certificate_=/x", FLAGS),
    ("kubectl get pods --cache_dir=/tmp/x", FILES),
    ("kubectl --cache_dir=/srv get pods", FILES),
    ("kubectl get pods --kube_config=/etc/kubernetes/admin.conf", FLAGS),
    ("kubectl get pods --certificate_authority=/tmp/ca.crt", TARGET),
    ("kubectl get pods --insecure_skip_tls_verify", TARGET),
    ("kubectl get pods --insecure_skip-tls_verify=true", TARGET),
    ("kubectl get pods --tls_server_name=kubernetes", TARGET),
    ("kubectl get pods --as_group=system:masters", IDENTITY),
    ("kubectl get pods --as_uid=0", IDENTITY),
    ("kubectl get pods --profile_output=/tmp/x", FILES),
    ("kubectl cluster-info dump --output_directory=/tmp/dump", FILES),
    ("kubectl get pods --all_namespaces", NAMESPACE),
    ("kubectl exec web-1 --std_in -- sh", FLAGS),
    ("kubectl logs web-1 --insecure_skip_tls_verify_backend", TARGET),
    ("kubectl get pods --watch_only", HARMLESS),
    ("kubectl run x --image=busybox --leave_stdin_open", INTERACTIVE),
    ("kubectl create --windows_line_endings", INTERACTIVE),
    ("kubectl get pods --FROM_FILE=/etc/passwd", FLAGS),
    ("kubectl get pods --From-File=/etc/passwd", FLAGS),
    ("kubectl create secret generic x --from__file=/etc/passwd", FILES),
    ("kubectl create secret generic x --_from_file=/etc/passwd", FILES),
    ("kubectl get pods --Kubeconfig=/etc/kubernetes/admin.conf", FLAGS),
    ("kubectl get pods --kubeconfig_=/etc/kubernetes/admin.conf", FILES),
    ("kubectl get pods --server_=https://10.0.0.1", FLAGS),
    ("kubectl get pods --show_labels", HARMLESS),
    ("kubectl get pods --field_selector=status.phase=Running", HARMLESS),
]

# --- every value form ----------------------------------------------------------------------------

VALUE_FORMS: list[tuple[str, Category | None]] = [
    ("kubectl get pods --server=https://10.0.0.1", TARGET),
    ("kubectl get pods --server https://10.0.0.1", TARGET),
    ("kubectl get pods -shttps://10.0.0.1", TARGET),
    ("kubectl get pods -s=https://10.0.0.1", TARGET),
    ("kubectl get pods -s https://10.0.0.1", TARGET),
    ("kubectl apply -f/etc/passwd", FILES),
    ("kubectl apply -f=/etc/passwd", FILES),
    ("kubectl apply -f /etc/passwd", FILES),
    ("kubectl apply --filename /etc/passwd", FILES),
    ("kubectl apply --filename=/etc/passwd", FILES),
    ("kubectl apply -Rf /etc", FILES),
    ("kubectl apply -Rf/etc", FILES),
    ("kubectl apply -f", FILES),
    ("kubectl apply -k.", FILES),
    ("kubectl apply -k=/srv/app", FILES),
    ("kubectl apply -Rk /srv/app", FILES),
    ("kubectl get pods -nkube-system", NAMESPACE),
    ("kubectl get pods -n=kube-system", NAMESPACE),
    ("kubectl get pods --namespace kube-system", NAMESPACE),
    ("kubectl get pods -n=", NAMESPACE),
    ("kubectl get pods --namespace=", NAMESPACE),
    ("kubectl get pods -An kube-system", NAMESPACE),
    ("kubectl get pods -ojsonpath-file=/etc/passwd", FILES),
    ("kubectl get pods -o=jsonpath-file=/etc/passwd", FILES),
    ("kubectl get pods --output jsonpath-file=/etc/passwd", FILES),
    ("kubectl get pods --output=go-template-file=/etc/passwd", FILES),
    ("kubectl get pods -Lapp -ojsonpath-file=/etc/passwd", FILES),
    ("kubectl get pods --insecure-skip-tls-verify=true", TARGET),
    ("kubectl get pods --insecure-skip-tls-verify=false", TARGET),
    ("kubectl exec -i web-1 -- sh", INTERACTIVE),
    ("kubectl exec -i=true web-1 -- sh", INTERACTIVE),
    ("kubectl exec --stdin=true web-1 -- sh", INTERACTIVE),
    ("kubectl exec -qti web-1 -- sh", INTERACTIVE),
    ("kubectl exec -c nginx -it web-1 -- sh", INTERACTIVE),
    ("kubectl exec web-1 -cnginx -t -- sh", INTERACTIVE),
    ("kubectl logs -f=true web-1", HARMLESS),
    ("kubectl logs --follow=false web-1", HARMLESS),
    ("kubectl logs -pf web-1", HARMLESS),
    ("kubectl logs -cnginx -f web-1", HARMLESS),
    ("kubectl get pods -w=false", HARMLESS),
    ("kubectl get pods -lapp=web -w", HARMLESS),
    ("kubectl get pods -test.v", FLAGS),
    ("kubectl get pods -itest.v", FLAGS),
    ("kubectl get pods ---server=https://10.0.0.1", FLAGS),
    ("kubectl get pods --=x", FLAGS),
    ("kubectl get pods -é", FLAGS),
    ("kubectl get pods -l --kubeconfig=/etc/kubernetes/admin.conf", FLAGS),
    ("kubectl get pods --selector", FLAGS),
    ("kubectl get pods -lapp=web", HARMLESS),
    ("kubectl get pods -l=app=web", HARMLESS),
    ("kubectl get pods -l app=web", HARMLESS),
    ("kubectl get pods --selector app=web", HARMLESS),
    ("kubectl get pods --show-labels=true", HARMLESS),
    ("kubectl get pods --show-labels=false", HARMLESS),
    ("kubectl logs web-1 --tail -1", HARMLESS),
    ("kubectl logs web-1 --tail=-1", HARMLESS),
    ("kubectl logs -pc nginx web-1", HARMLESS),
    ("kubectl get pods -ojson", HARMLESS),
    ("kubectl get pods -o=yaml", HARMLESS),
    ("kubectl delete pod web-1 --dry-run server", HARMLESS),
    ("kubectl -v6 get pods", HARMLESS),
    ("kubectl -v=6 get pods", HARMLESS),
    ("kubectl --v 6 get pods", HARMLESS),
]

# --- flags before and after the verb -------------------------------------------------------------

POSITIONS: list[tuple[str, Category | None]] = [
    ("kubectl --as=system:admin get secrets", IDENTITY),
    ("kubectl get --as=system:admin secrets", IDENTITY),
    ("kubectl get secrets --as=system:admin", IDENTITY),
    ("kubectl get secrets x --as system:admin", IDENTITY),
    ("kubectl -n @NS@ --token=abc get pods", IDENTITY),
    ("kubectl get pods -n @NS@ --token abc", IDENTITY),
    ("kubectl --kubeconfig /etc/kubernetes/admin.conf get pods", TARGET),
    ("kubectl get --kubeconfig /etc/kubernetes/admin.conf pods", TARGET),
    ("kubectl rollout --server=https://10.0.0.1 status deploy/frontend", TARGET),
    ("kubectl rollout status --server=https://10.0.0.1 deploy/frontend", TARGET),
    ("kubectl create --from-file=/etc/passwd secret generic x", FILES),
    ("kubectl create secret --from-file=/etc/passwd generic x", FILES),
    ("kubectl create secret generic --from-file=/etc/passwd x", FILES),
    ("kubectl --cache-dir=/tmp/x get pods", FILES),
    ("kubectl get pods --cache-dir /tmp/x", FILES),
    ("kubectl -f /etc/passwd apply", FILES),
    # The root has no -A: cobra takes `get` as its value and fails on the command `pods`.
    ("kubectl -A get pods", PLUGINS),
    ("kubectl get -A pods", NAMESPACE),
    ("kubectl get pods -- --as=system:admin", FLAGS),
    ("kubectl describe pods -- -n kube-system", FLAGS),
    ("kubectl exec web-1 -- --as=system:admin", HARMLESS),
    ("kubectl exec web-1 -- kubectl --kubeconfig=/etc/kubernetes/admin.conf get secrets", HARMLESS),
    ("kubectl exec web-1 -- -it", HARMLESS),
    ("kubectl run probe --image=busybox --restart=Never -- --from-file=/etc/passwd", HARMLESS),
    ("kubectl -n @NS@ get pods", HARMLESS),
    ("kubectl get -n @NS@ pods", HARMLESS),
    ("kubectl get pods -n @NS@", HARMLESS),
    ("kubectl --request-timeout=5s get pods", HARMLESS),
    ("kubectl get pods --request-timeout 5s", HARMLESS),
]

# --- commands smuggled behind value-taking and unknown flags -------------------------------------

SMUGGLED: list[tuple[str, Category | None]] = [
    ("kubectl --cache_dir get proxy --www=/", CONNECTION),
    ("kubectl --cache-dir get proxy --www=/ --port=8001", CONNECTION),
    ("kubectl --cache_dir get port-forward svc/frontend 8080:80", CONNECTION),
    ("kubectl --cache_dir get attach web-1", CONNECTION),
    ("kubectl --cache_dir get config view --raw", TARGET),
    ("kubectl --cache_dir get kustomize /", FILES),
    ("kubectl --cache_dir get cp web-1:/etc/passwd /tmp/x", FILES),
    ("kubectl --cache_dir get edit svc frontend", INTERACTIVE),
    ("kubectl --cache_dir get debug web-1 --image=busybox", INTERACTIVE),
    ("kubectl --cache_dir get plugin list", PLUGINS),
    ("kubectl --bogus get proxy", CONNECTION),
    ("kubectl --bogus=1 get pods", FLAGS),
    ("kubectl --bogus get pods", PLUGINS),
    ("kubectl --help get proxy", CONNECTION),
    ("kubectl -h get proxy", CONNECTION),
    ("kubectl --selector get proxy", CONNECTION),
    ("kubectl --namespace get proxy", CONNECTION),
    ("kubectl -n get cp x y", FILES),
    ("kubectl -n @NS@ proxy", CONNECTION),
    ("kubectl -v get attach web-1", CONNECTION),
    ("kubectl --vmodule get proxy", CONNECTION),
    ("kubectl --log-flush-frequency get proxy", CONNECTION),
    ("kubectl --request-timeout get config view", TARGET),
    ("kubectl --as get edit svc frontend", INTERACTIVE),
    ("kubectl --token get proxy", CONNECTION),
    ("kubectl --kuberc get proxy", CONNECTION),
    ("kubectl --profile get proxy", CONNECTION),
    ("kubectl -s get port-forward svc/x 80", CONNECTION),
    ("kubectl -x get proxy", CONNECTION),
    ("kubectl -Z get proxy", CONNECTION),
    ("kubectl --dry-run get proxy", CONNECTION),
    ("kubectl --warnings-as-errors proxy", CONNECTION),
    ("kubectl --match-server-version proxy", CONNECTION),
    ("kubectl --insecure-skip-tls-verify get pods", TARGET),
    # A switch takes no value: this is `get` with the resource type `proxy`.
    ("kubectl --disable-compression get proxy", HARMLESS),
    ("kubectl rollout --bogus status proxy", FLAGS),
    ("kubectl create --bogus secret generic x", FLAGS),
    # `create` has no --image: cobra takes `proxy` as its value and runs `create deployment`.
    ("kubectl create --image proxy deployment x", HARMLESS),
    ("kubectl -Ao wide get pods", PLUGINS),
    ("kubectl -nproxy get pods", NAMESPACE),
    ("kubectl get -- proxy", FLAGS),
    ("kubectl -- proxy", FLAGS),
    ("kubectl -- get pods", FLAGS),
    ("kubectl '' proxy", CONNECTION),
    ("kubectl - proxy", CONNECTION),
    ("kubectl ' proxy'", PLUGINS),
    ("kubectl create proxy", PLUGINS),
    ("kubectl create port-forward x", PLUGINS),
    ("kubectl exec -- proxy", HARMLESS),
    ("kubectl help proxy", HARMLESS),
    ("kubectl help config view", HARMLESS),
]

# --- kubeconfig, identity and target flags -------------------------------------------------------

CREDENTIAL_FLAGS: dict[str, Category] = {
    "token": IDENTITY,
    "as": IDENTITY,
    "as-group": IDENTITY,
    "as-uid": IDENTITY,
    "username": IDENTITY,
    "password": IDENTITY,
    "user": IDENTITY,
    "client-certificate": IDENTITY,
    "client-key": IDENTITY,
    "kubeconfig": TARGET,
    "server": TARGET,
    "context": TARGET,
    "cluster": TARGET,
    "certificate-authority": TARGET,
    "tls-server-name": TARGET,
    "kuberc": FILES,
    "cache-dir": FILES,
    "profile": FILES,
    "profile-output": FILES,
}


def _credentials() -> list[tuple[str, Category | None]]:
    lines: list[tuple[str, Category | None]] = []
    for name, category in CREDENTIAL_FLAGS.items():
        lines.append((f"kubectl --{name}=x get pods", category))
        lines.append((f"kubectl auth can-i get secrets --{name} x", category))
    lines += [
        ("kubectl get pods --insecure-skip-tls-verify", TARGET),
        ("kubectl version --server=https://10.0.0.1", TARGET),
        ("kubectl auth whoami --as=system:admin", IDENTITY),
        ("kubectl create rolebinding admin --clusterrole=cluster-admin --user=alice", HARMLESS),
        (
            "kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --group=system:authenticated",
            HARMLESS,
        ),
        ("kubectl set subject rolebinding admin --user=alice --dry-run=server", HARMLESS),
        ("kubectl create token learner --duration=10m", HARMLESS),
    ]
    return lines


# --- output formats ------------------------------------------------------------------------------

OUTPUT: list[tuple[str, Category | None]] = [
    ("kubectl get pods -o json", HARMLESS),
    ("kubectl get pods -o yaml", HARMLESS),
    ("kubectl get pods -o YAML", HARMLESS),
    ("kubectl get pods -o wide", HARMLESS),
    ("kubectl get pods -o name", HARMLESS),
    ("kubectl get pods -o jsonpath='{.items[*].metadata.name}'", HARMLESS),
    ("kubectl get pods -o jsonpath-as-json='{.items[*].metadata.name}'", HARMLESS),
    ("kubectl get pods -o custom-columns=NAME:.metadata.name", HARMLESS),
    ("kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'", HARMLESS),
    ("kubectl get pods -o template='{{.kind}}'", HARMLESS),
    ("kubectl get pods -o jsonpath --template='{.kind}'", HARMLESS),
    ("kubectl get pods --template=/etc/passwd", HARMLESS),
    ("kubectl get pods -o yaml --template=/etc/passwd", HARMLESS),
    ("kubectl get pods -o jsonpath", HARMLESS),
    ("kubectl explain pods -o plaintext-openapiv2", HARMLESS),
    ("kubectl version -o json", HARMLESS),
    ("kubectl get pods -o go-template-file=/etc/passwd", FILES),
    ("kubectl get pods -o templatefile=/etc/passwd", FILES),
    ("kubectl get pods -o jsonpath-file=/etc/passwd", FILES),
    ("kubectl get pods -o custom-columns-file=/etc/passwd", FILES),
    ("kubectl get pods -ocustom-columns-file=/etc/passwd", FILES),
    ("kubectl get pods -o=custom-columns-file=/app/.env", FILES),
    ("kubectl get pods --output custom-columns-file=/etc/passwd", FILES),
    ("kubectl get pods -o templatefile --template=/etc/passwd", FILES),
    ("kubectl get pods -o go-template-file --template /etc/passwd", FILES),
    ("kubectl get pods -o jsonpath-file --template=/etc/passwd", FILES),
    ("kubectl get pods -o custom-columns-file --template=/etc/passwd", FILES),
    ("kubectl get pods -o JSONPATH-FILE=/etc/passwd", FILES),
    ("kubectl create configmap x --from-literal=a=b --dry-run=client -o go-template-file=/etc/passwd", FILES),
    ("kubectl get pods -o kyaml", FLAGS),
    ("kubectl get pods -o table", FLAGS),
    ("kubectl get pods -o jsonpath-file2=/etc/passwd", FLAGS),
]

# --- refused commands ----------------------------------------------------------------------------

COMMANDS_REFUSED: list[tuple[str, Category | None]] = [
    ("kubectl proxy", CONNECTION),
    ("kubectl proxy --www=/ --www-prefix=/x/", CONNECTION),
    ("kubectl proxy --help", CONNECTION),
    ("kubectl port-forward svc/frontend 8080:80", CONNECTION),
    ("kubectl port-forward --address=0.0.0.0 pod/web-1 6443", CONNECTION),
    ("kubectl attach web-1 -it", CONNECTION),
    ("kubectl cp web-1:/etc/passwd /tmp/passwd", FILES),
    ("kubectl cp /app/.env web-1:/tmp/env", FILES),
    ("kubectl config view --raw", TARGET),
    ("kubectl config view", TARGET),
    ("kubectl config get-contexts", TARGET),
    ("kubectl config use platform", TARGET),
    ("kubectl config set-credentials x --token=y", TARGET),
    ("kubectl config --kubeconfig=/etc/kubernetes/admin.conf view --raw", TARGET),
    ("kubectl kustomize /", FILES),
    ("kubectl kustomize https://github.com/x/y", FILES),
    ("kubectl edit svc frontend", INTERACTIVE),
    ("kubectl debug web-1 -it --image=busybox", INTERACTIVE),
    ("kubectl debug node/kwok-node-0 --image=busybox", INTERACTIVE),
    ("kubectl plugin list", PLUGINS),
    ("kubectl alpha", FILES),
    ("kubectl alpha kuberc set --section=defaults", FILES),
    ("kubectl __complete get ''", COMMANDS),
    ("kubectl __completeNoDesc --kubeconfig=/etc/kubernetes/admin.conf get secrets ''", COMMANDS),
    ("kubectl apply edit-last-applied deploy/frontend", INTERACTIVE),
    ("kubectl apply set-last-applied -f x.yaml", FILES),
    ("kubectl diff -f /etc/passwd", FILES),
    ("kubectl auth reconcile -f /etc/passwd", COMMANDS),
    ("kubectl create --edit", INTERACTIVE),
    ("kubectl run x --image=busybox -it --rm -- sh", INTERACTIVE),
    ("kubectl run x --image=busybox --attach", INTERACTIVE),
    ("kubectl delete pods --all -i", INTERACTIVE),
    ("kubectl events -w", HARMLESS),
    ("kubectl prox", PLUGINS),
    ("kubectl PROXY", PLUGINS),
    ("kubectl port_forward svc/x 80", PLUGINS),
    ("kubectl krew install sniff", PLUGINS),
    ("kubectl kubectl get pods", PLUGINS),
    ("kubectl create token-plugin", PLUGINS),
    ("ls -la /", OTHER),
    ("sh -c 'kubectl get pods'", OTHER),
    ("/usr/bin/kubectl get pods", OTHER),
    ("./kubectl get pods", OTHER),
    ("kubectl.exe get pods", OTHER),
]

# --- other namespaces ----------------------------------------------------------------------------

NAMESPACES: list[tuple[str, Category | None]] = [
    ("kubectl get secrets -n kube-system", NAMESPACE),
    ("kubectl get secrets -n @NS@ -n kube-system", NAMESPACE),
    ("kubectl get secrets -n kube-system -n @NS@", NAMESPACE),
    ("kubectl get pods -A=false", NAMESPACE),
    ("kubectl get pods --all-namespaces=0", NAMESPACE),
    ("kubectl auth can-i --list -A", NAMESPACE),
    ("kubectl -n default create secret generic x --from-literal=a=b", NAMESPACE),
    ("kubectl get pods -n @NS@ -o wide", HARMLESS),
    ("kubectl get --raw /api/v1/namespaces/kube-system/secrets", HARMLESS),
]

# --- look-alike dashes ---------------------------------------------------------------------------

DASHES: list[tuple[str, Category | None]] = [
    ("kubectl get pods \u2013n kube-system", CHARACTERS),  # en dash
    ("kubectl get pods \u2014all-namespaces", CHARACTERS),  # em dash
    ("kubectl get pods \u2212o yaml", CHARACTERS),  # minus sign
    ("kubectl get pods \u2010\u2010show-labels", CHARACTERS),  # hyphen
    ("kubectl get pods \u2011l app=web", CHARACTERS),  # non-breaking hyphen
    ("kubectl get pods \u2012o wide", CHARACTERS),  # figure dash
    ("kubectl get pods \u2015o wide", CHARACTERS),  # horizontal bar
    ("kubectl get pods \ufe63o wide", CHARACTERS),  # small hyphen-minus
    ("kubectl get pods \uff0do wide", CHARACTERS),  # fullwidth hyphen-minus
    ("kubectl create secret generic x --from\u2010file=/etc/passwd", CHARACTERS),
    ("kubectl create secret generic x -\u2013from-file=/etc/passwd", CHARACTERS),
    ("kubectl \u2014kubeconfig=/etc/kubernetes/admin.conf get pods", CHARACTERS),
    ("kubectl get pods '\u2014as=system:admin'", CHARACTERS),
    ("kubectl get pods -l 'app=web\u2014x'", HARMLESS),
    ("kubectl annotate pod web-1 note='a \u2014 b' --dry-run=server", HARMLESS),
]

# --- control and invisible characters ------------------------------------------------------------

CONTROL: list[tuple[str, Category | None]] = [
    ("kubectl get pods\x00", CHARACTERS),
    ("\x00kubectl get pods", CHARACTERS),
    ("kubectl get po\x00ds", CHARACTERS),
    ("kubectl get pods -l 'a\x00b'", CHARACTERS),
    ("kubectl get pods \x1b[2J", CHARACTERS),
    ("kubectl get pods\x07", CHARACTERS),
    ("kubectl get pods\x08\x08\x08\x08secrets", CHARACTERS),
    ("kubectl get pods\x0b", CHARACTERS),
    ("kubectl get pods\x0c", CHARACTERS),
    ("kubectl get pods\x7f", CHARACTERS),
    ("kubectl get pods\x85", CHARACTERS),
    ("kubectl get pods\x9b31m", CHARACTERS),
    ("kubectl get pods\r", SHELL),
    ("kubectl get pods\rkubectl config view --raw", SHELL),
    ("kubectl get pods\nkubectl proxy", SHELL),
    ("kubectl\tget\tpods", HARMLESS),
    ("kubectl get pods -l 'app=a\tb'", CHARACTERS),
    ("kubectl get pods -l app=a\\\tb", CHARACTERS),
    ("kubectl get pods\u2028", CHARACTERS),
    ("kubectl get pods\u2029", CHARACTERS),
    ("kubectl get\u200bpods", CHARACTERS),
    ("\ufeffkubectl get pods", CHARACTERS),
    ("kubectl get pods \u202e", CHARACTERS),
    ("kubectl get pods \u2066x\u2069", CHARACTERS),
    ("kubectl get\u00a0pods", CHARACTERS),
    ("kubectl get\u3000pods", CHARACTERS),
    ("kubectl get pods \udcff", CHARACTERS),
    ("kubectl get pods -l 'app=caf\u00e9'", HARMLESS),
]

# --- overlong lines ------------------------------------------------------------------------------

LONG: list[tuple[str, Category | None]] = [
    ("kubectl get pods " + "a" * 100_000, TOO_LONG),
    ("kubectl get pods -l " + "a=b," * 25_000, TOO_LONG),
    ("kubectl get pods " + "x " * 50_000, TOO_LONG),
    (" " * 100_000 + "kubectl get pods", TOO_LONG),
    ("kubectl get pods " + "\x00" * 100_000, TOO_LONG),
    ("kubectl --cache_dir get proxy " + "x" * 100_000, TOO_LONG),
    ("kubectl get pods " + "'" * 100_000, TOO_LONG),
    ("kubectl get pods " + "x" * 1984, TOO_LONG),
    ("kubectl get pods -l a=" + "b" * 1978, HARMLESS),  # exactly 2,000 characters
]

# --- shell syntax --------------------------------------------------------------------------------

SHELL_LINES: list[tuple[str, Category | None]] = [
    ("kubectl get pods | sh", SHELL),
    ("kubectl get pods; cat /etc/passwd", SHELL),
    ("kubectl get pods && cat /app/.env", SHELL),
    ("kubectl get pods || id", SHELL),
    ("kubectl get pods &", SHELL),
    ("kubectl get pods > /tmp/x", SHELL),
    ("kubectl get pods >> /tmp/x", SHELL),
    ("kubectl apply < /etc/passwd", SHELL),
    ("kubectl apply <<EOF", SHELL),
    ("kubectl get pods 2>/dev/null", SHELL),
    ("kubectl get pods $(cat /etc/passwd)", SHELL),
    ("kubectl get pods `id`", SHELL),
    ('kubectl get pods "$(id)"', SHELL),
    ("kubectl get secret $DJANGO_SECRET_KEY", SHELL),
    ("kubectl get secret ${BREAKFIX_ENCRYPTION_KEY}", SHELL),
    ("kubectl get${IFS}secrets", SHELL),
    ("kubectl get pods $?", SHELL),
    ("kubectl get pods 'unclosed", SHELL),
    ('kubectl get pods "unclosed', SHELL),
    ("(kubectl get pods)", SHELL),
    ("kubectl get pods -l app in (a,b)", SHELL),
    ("", SHELL),
    ("   ", SHELL),
    ("kubectl get pods '$(id)'", HARMLESS),
    ("kubectl get pods '|' ';' '&&'", HARMLESS),
    ('kubectl get pods "\\$HOME"', HARMLESS),
    ("kubectl get pods -l 'app in (a, b)'", HARMLESS),
    ("kubectl get pods ~/.kube/config", HARMLESS),
    ("kubectl get pods /etc/*", HARMLESS),
    ("kubectl get pods # a comment", HARMLESS),
]

# --- allowed lines that only look dangerous ------------------------------------------------------

HARMLESS_LINES: list[tuple[str, Category | None]] = [
    ("kubectl", HARMLESS),
    ("kubectl -h", HARMLESS),
    ("kubectl help", HARMLESS),
    ("kubectl get pods --help", HARMLESS),
    ("kubectl auth whoami", HARMLESS),
    ("kubectl auth can-i --list", HARMLESS),
    ("kubectl version --client", HARMLESS),
    ("kubectl api-resources --cached", HARMLESS),
    ("kubectl get --raw /api", HARMLESS),
    ("kubectl get --raw /etc/passwd", HARMLESS),
    ("kubectl -v=9 get pods", HARMLESS),
    ("kubectl get secrets -o yaml", HARMLESS),
    ("kubectl exec web-1 -- cat /etc/passwd", HARMLESS),
    ("kubectl exec web-1 -- env", HARMLESS),
    (
        "kubectl run probe --image=busybox --restart=Never --dry-run=server -- cat /proc/self/environ",
        HARMLESS,
    ),
    ("kubectl create configmap x --from-literal=path=/etc/passwd --dry-run=client -o yaml", HARMLESS),
    (
        "kubectl create secret generic x --from-literal=kubeconfig=/etc/kubernetes/admin.conf --dry-run",
        HARMLESS,
    ),
    ("kubectl create deployment web --image=nginx --dry-run=client -- nginx -c /etc/passwd", HARMLESS),
    ("kubectl logs web-1 -p", HARMLESS),
    ("kubectl describe pod web-1 --show-events=false", HARMLESS),
    ("kubectl rollout status deployment/frontend --timeout=5s", HARMLESS),
    ("kubectl wait --for=condition=Ready pod/web-1 --timeout=1s", HARMLESS),
    ("kubectl delete pod web-1 --dry-run=server", HARMLESS),
    ("kubectl get pods 'web-1 --as=admin'", HARMLESS),
    ("kubectl get pods -l=--as=admin", HARMLESS),
    ("kubectl get pods --selector=--kubeconfig=/etc/kubernetes/admin.conf", HARMLESS),
    ("kubectl get events --field-selector=involvedObject.name=web-1", HARMLESS),
]

FIXED: dict[Kind, list[tuple[str, Category | None]]] = {
    Kind.SPELLINGS: SPELLINGS,
    Kind.VALUE_FORMS: VALUE_FORMS,
    Kind.POSITIONS: POSITIONS,
    Kind.SMUGGLED: SMUGGLED,
    Kind.OUTPUT: OUTPUT,
    Kind.COMMANDS: COMMANDS_REFUSED,
    Kind.NAMESPACES: NAMESPACES,
    Kind.DASHES: DASHES,
    Kind.CONTROL: CONTROL,
    Kind.LONG: LONG,
    Kind.SHELL: SHELL_LINES,
    Kind.HARMLESS: HARMLESS_LINES,
}

# --- every *-file and *-dir flag, from kubectl's own table ---------------------------------------

# A flag reads or writes local files when its name has one of these words (`from-env-file`,
# `cache-dir`, `output-directory`, `kubeconfig`, `kustomize`...), or is one of these.
FILE_WORDS = frozenset({"file", "filename", "files", "dir", "directory", "kubeconfig", "kustomize"})
FILE_FLAGS = frozenset(
    {"cert", "key", "kuberc", "certificate-authority", "client-certificate", "client-key", "profile-output"}
)
# The categories of the commands refused as a whole: a file flag on them is refused with them.
REFUSED_COMMAND_CATEGORIES: dict[tuple[str, ...], Category] = {
    ("config",): TARGET,
    ("kustomize",): FILES,
    ("cp",): FILES,
    ("edit",): INTERACTIVE,
    ("debug",): INTERACTIVE,
    ("diff",): FILES,
    ("proxy",): CONNECTION,
    ("port-forward",): CONNECTION,
    ("attach",): CONNECTION,
    ("plugin",): PLUGINS,
    ("alpha",): FILES,
    ("__complete",): COMMANDS,
    ("apply", "edit-last-applied"): INTERACTIVE,
    ("apply", "set-last-applied"): FILES,
    ("auth", "reconcile"): COMMANDS,
}
# On commands that run, the category of a file flag itself, when it is not "local files".
FILE_FLAG_CATEGORIES: dict[str, Category] = {
    "kubeconfig": TARGET,
    "certificate-authority": TARGET,
    "client-certificate": IDENTITY,
    "client-key": IDENTITY,
}


def file_flags() -> list[tuple[tuple[str, ...], str]]:
    """(command path, flag name) for every file-reading or -writing flag kubectl has, on the
    command that declares it (a persistent flag of the root is tried on the root)."""
    found = []
    for command in kubectl_table().walk():
        if command.disable_flag_parsing:
            continue
        for flag in command.own_flags.values():
            if FILE_WORDS.intersection(flag.name.split("-")) or flag.name in FILE_FLAGS:
                found.append((command.path, flag.name))
    return found


def _expected_file_flag(path: tuple[str, ...], name: str) -> Category:
    for length in range(len(path), 0, -1):
        if path[:length] in REFUSED_COMMAND_CATEGORIES:
            return REFUSED_COMMAND_CATEGORIES[path[:length]]
    return FILE_FLAG_CATEGORIES.get(name, FILES)


def _file_flag_lines() -> list[tuple[str, Category | None]]:
    lines: list[tuple[str, Category | None]] = []
    for path, name in file_flags():
        words = " ".join(("kubectl", *path))
        expected = _expected_file_flag(path, name)
        lines.append((f"{words} --{name}=/etc/passwd", expected))
        lines.append((f"{words} --{name.replace('-', '_')} /proc/self/environ", expected))
    return lines


def corpus(namespace: str) -> list[Case]:
    cases = [Case(line, expected, kind) for kind, lines in FIXED.items() for line, expected in lines]
    cases += [Case(line, expected, Kind.CREDENTIALS) for line, expected in _credentials()]
    cases += [Case(line, expected, Kind.FILE_FLAGS) for line, expected in _file_flag_lines()]
    return [Case(case.line.replace(NS, namespace), case.expected, case.kind) for case in cases]
