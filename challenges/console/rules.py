"""What the console lets a learner run, as data: an allowlist of kubectl commands and flags.

The console runs the real kubectl with the learner's own credentials. RBAC on the cluster is
what confines the learner; these rules keep kubectl from reaching the server the console runs
on (its files, its network, its credentials) and keep every command one that answers once and
ends. `parser` reads a line exactly as kubectl would, with kubectl's own command table
(`table`); `policy` applies these rules to what it read.

Decisions written down here:

- Only the command paths in ALLOWED_COMMANDS run, and on them only the flags of ALL_COMMANDS
  and of their own entry, by kubectl's canonical flag name, wherever on the line they stand.
  Everything else is refused: with the specific reason of REFUSED_COMMANDS / REFUSED_FLAGS /
  COMMAND_REFUSED_FLAGS when there is one, else with "not offered".
- The namespace backend: `-n`/`--namespace` may only name the attempt's own namespace, and
  `--all-namespaces`/`-A` is refused. On the kind backend (a cluster of one's own) both are allowed.
- `-f`/`--filename` and `-k`/`--kustomize` are refused with any value, `-f -` included: the
  console has no input stream. Manifests go through the editor, which shows a server-side
  dry-run diff first.
- Output formats are an allowlist too; the formats that read a template file never run.
- Commands that stream (`get -w`, `logs -f`, `events -w`, `rollout status`, `wait`) run: their
  output shows as kubectl writes it, up to the time and output caps; Ctrl-C stops them.
"""

from __future__ import annotations

from challenges.console.refusals import (
    EDITOR,
    Category,
    Refusal,
    identity,
    local,
    target,
)

MAX_LINE = 2000

# Leading words that mean "kubectl" (`k` is the alias nearly every tutorial sets up).
KUBECTL_NAMES = frozenset({"kubectl", "k"})

# The console streams output as kubectl writes it (the streaming view; see challenges/console/
# streaming.py), so commands that watch are allowed. False refuses the flags of STREAMING again.
STREAMING_ALLOWED = True

# --- flags allowed on every allowed command that has them ----------------------------------------

ALL_COMMANDS = frozenset(
    {
        # kubectl's own (persistent flags of the root command)
        "namespace",  # checked against the scope
        "v",
        "request-timeout",
        "warnings-as-errors",
        "match-server-version",
        "disable-compression",
        # cobra's
        "help",
        # printing
        "output",  # checked against OUTPUT_FORMATS
        "template",  # a template string: the formats that would read it from a file are refused
        "allow-missing-template-keys",
        "show-managed-fields",
        "no-headers",
        "sort-by",
        # choosing objects
        "selector",
        "field-selector",
        "all",
        "all-namespaces",  # checked against the scope
        "container",
        "containers",
        "subresource",
        "chunk-size",
        "ignore-not-found",
        "list",
        "quiet",
        "pod-running-timeout",
        "recursive",  # with -f and -k only, which are refused
        # changing objects (RBAC and the challenge's guards decide what is allowed)
        "dry-run",
        "field-manager",
        "save-config",
        "validate",
        "overwrite",
        "resource-version",
        "server-side",
        "force-conflicts",
        "timeout",
        "wait",
        "grace-period",
        "cascade",
        "force",
        "now",
    }
)

# --- commands, with the flags of their own that they may use -------------------------------------

ALLOWED_COMMANDS: dict[tuple[str, ...], frozenset[str]] = {
    (): frozenset(),  # `kubectl` alone prints the help
    ("help",): frozenset(),
    ("options",): frozenset(),
    ("completion",): frozenset(),
    ("version",): frozenset({"client"}),
    ("api-resources",): frozenset({"api-group", "cached", "categories", "namespaced", "verbs"}),
    ("api-versions",): frozenset(),
    ("cluster-info",): frozenset(),
    ("cluster-info", "dump"): frozenset(),
    ("explain",): frozenset({"api-version", "recursive"}),
    # Inspect
    ("get",): frozenset(
        {"show-labels", "show-kind", "label-columns", "raw", "server-print", "output-watch-events"}
    ),
    ("describe",): frozenset({"show-events"}),
    ("logs",): frozenset(
        {
            "tail",
            "since",
            "since-time",
            "previous",
            "timestamps",
            "prefix",
            "limit-bytes",
            "all-containers",
            "all-pods",
            "max-log-requests",
            "ignore-errors",
        }
    ),
    ("events",): frozenset({"for", "types"}),
    ("top",): frozenset(),
    ("top", "node"): frozenset({"show-capacity", "show-swap", "use-protocol-buffers"}),
    ("top", "pod"): frozenset({"sum", "show-swap", "use-protocol-buffers"}),
    ("auth",): frozenset(),
    ("auth", "can-i"): frozenset(),
    ("auth", "whoami"): frozenset(),
    ("wait",): frozenset({"for"}),
    # Change
    ("create",): frozenset(),
    ("create", "clusterrole"): frozenset(
        {"verb", "resource", "resource-name", "non-resource-url", "aggregation-rule"}
    ),
    # Subjects of a binding, not who kubectl acts as: these `--user`/`--group` are the command's own.
    ("create", "clusterrolebinding"): frozenset({"clusterrole", "user", "group", "serviceaccount"}),
    ("create", "configmap"): frozenset({"from-literal", "append-hash"}),
    ("create", "cronjob"): frozenset({"image", "schedule", "restart"}),
    ("create", "deployment"): frozenset({"image", "port", "replicas"}),
    ("create", "ingress"): frozenset({"class", "rule", "default-backend", "annotation"}),
    ("create", "job"): frozenset({"image", "from"}),
    ("create", "namespace"): frozenset(),
    ("create", "poddisruptionbudget"): frozenset({"min-available", "max-unavailable"}),
    ("create", "priorityclass"): frozenset({"value", "global-default", "description", "preemption-policy"}),
    ("create", "quota"): frozenset({"hard", "scopes"}),
    ("create", "role"): frozenset({"verb", "resource", "resource-name"}),
    ("create", "rolebinding"): frozenset({"clusterrole", "role", "user", "group", "serviceaccount"}),
    ("create", "secret"): frozenset(),
    ("create", "secret", "docker-registry"): frozenset(
        {"docker-server", "docker-username", "docker-password", "docker-email", "append-hash"}
    ),
    ("create", "secret", "generic"): frozenset({"from-literal", "type", "append-hash"}),
    ("create", "secret", "tls"): frozenset({"append-hash"}),
    ("create", "service"): frozenset(),
    ("create", "service", "clusterip"): frozenset({"tcp", "clusterip"}),
    ("create", "service", "externalname"): frozenset({"tcp", "external-name"}),
    ("create", "service", "loadbalancer"): frozenset({"tcp"}),
    ("create", "service", "nodeport"): frozenset({"tcp", "node-port"}),
    ("create", "serviceaccount"): frozenset(),
    ("create", "token"): frozenset(
        {"audience", "bound-object-kind", "bound-object-name", "bound-object-uid", "duration"}
    ),
    ("apply",): frozenset(),
    ("apply", "view-last-applied"): frozenset(),
    ("replace",): frozenset(),
    ("delete",): frozenset(),
    ("patch",): frozenset({"patch", "type"}),
    ("label",): frozenset(),
    ("annotate",): frozenset(),
    ("scale",): frozenset({"replicas", "current-replicas"}),
    ("autoscale",): frozenset({"min", "max", "cpu-percent", "cpu", "memory", "name"}),
    ("rollout",): frozenset(),
    ("rollout", "history"): frozenset({"revision"}),
    ("rollout", "pause"): frozenset(),
    ("rollout", "restart"): frozenset(),
    ("rollout", "resume"): frozenset(),
    # `rollout status` watches until the rollout ends, within the console's time limit.
    ("rollout", "status"): frozenset({"revision", "watch"}),
    ("rollout", "undo"): frozenset({"to-revision"}),
    ("set",): frozenset(),
    ("set", "env"): frozenset({"env", "from", "keys", "prefix", "resolve"}),
    ("set", "image"): frozenset(),
    ("set", "resources"): frozenset({"limits", "requests"}),
    ("set", "selector"): frozenset(),
    ("set", "serviceaccount"): frozenset(),
    ("set", "subject"): frozenset({"user", "group", "serviceaccount"}),
    ("expose",): frozenset(
        {
            "port",
            "target-port",
            "protocol",
            "name",
            "type",
            "labels",
            "session-affinity",
            "cluster-ip",
            "load-balancer-ip",
            "overrides",
            "override-type",
        }
    ),
    ("run",): frozenset(
        {
            "image",
            "env",
            "port",
            "labels",
            "annotations",
            "restart",
            "command",
            "expose",
            "image-pull-policy",
            "overrides",
            "override-type",
            "privileged",
        }
    ),
    ("exec",): frozenset(),
    ("certificate",): frozenset(),
    ("certificate", "approve"): frozenset(),
    ("certificate", "deny"): frozenset(),
    ("cordon",): frozenset(),
    ("uncordon",): frozenset(),
    ("drain",): frozenset(
        {
            "delete-emptydir-data",
            "disable-eviction",
            "ignore-daemonsets",
            "pod-selector",
            "skip-wait-for-delete-timeout",
        }
    ),
    ("taint",): frozenset(),
}

# Flags that stream, by command: refused while STREAMING_ALLOWED is False, allowed with it.
STREAMING: dict[tuple[str, ...], frozenset[str]] = {
    ("get",): frozenset({"watch", "watch-only"}),
    ("logs",): frozenset({"follow"}),
    ("events",): frozenset({"watch"}),
}
# Commands that watch until something happens, whatever their flags say.
WATCHING_COMMANDS = frozenset({("rollout", "status"), ("wait",)})

OUTPUT_FORMATS = (
    "json",
    "yaml",
    "wide",
    "name",
    "jsonpath",
    "jsonpath-as-json",
    "custom-columns",
    "go-template",
    "template",
    # `kubectl explain`'s
    "plaintext",
    "plaintext-openapiv2",
)
# kubectl reads these names in any case (cli-runtime lowercases them); the others exactly.
OUTPUT_FORMATS_ANY_CASE = frozenset({"json", "yaml", "name"})
# Output formats that read a template from a file on the server.
OUTPUT_FILE_FORMATS = frozenset({"go-template-file", "templatefile", "jsonpath-file", "custom-columns-file"})

# --- commands refused with their reason ----------------------------------------------------------

# A path refuses itself and everything under it (`config` covers `config view --raw`).
REFUSED_COMMANDS: dict[tuple[str, ...], Refusal] = {
    ("cp",): Refusal(
        Category.LOCAL_FILES,
        "`kubectl cp` copies files between a pod and the computer kubectl runs on, which here is "
        "the Breakfix server, not yours. Read a file in a pod with `kubectl exec POD -- cat PATH`.",
    ),
    ("proxy",): Refusal(
        Category.CONNECTION,
        "`kubectl proxy` keeps a connection open and listens on a port of the Breakfix server. "
        "The console runs commands that answer once and end.",
    ),
    ("port-forward",): Refusal(
        Category.CONNECTION,
        "`kubectl port-forward` keeps a connection open and listens on a port of the Breakfix "
        "server, which your browser cannot reach. Look at Services and endpoints instead: "
        "`kubectl get endpointslices`.",
    ),
    ("attach",): Refusal(
        Category.CONNECTION,
        "`kubectl attach` holds a connection to a running container. Read what it printed with "
        "`kubectl logs POD`.",
    ),
    ("edit",): Refusal(
        Category.INTERACTIVE, f"`kubectl edit` opens a text editor, which the console has not. {EDITOR}"
    ),
    ("debug",): Refusal(
        Category.INTERACTIVE,
        "`kubectl debug` starts an interactive debugging container. Inspect with "
        "`kubectl describe`, `kubectl logs` and `kubectl exec POD -- COMMAND`.",
    ),
    ("config",): Refusal(
        Category.TARGET,
        "`kubectl config` reads and changes the console's kubeconfig, which holds the credentials "
        "of your environment. The console always works in your environment; to use kubectl on "
        "your own computer, download your kubeconfig from the workspace.",
    ),
    ("kustomize",): Refusal(
        Category.LOCAL_FILES,
        f"`kubectl kustomize` reads directories or remote repositories from the Breakfix server. {EDITOR}",
    ),
    ("plugin",): Refusal(Category.PLUGINS, "kubectl plugins are not available in the console."),
    ("alpha",): Refusal(
        Category.LOCAL_FILES,
        "`kubectl alpha` holds experimental commands, some of which write files on the Breakfix "
        "server; they are not available in the console.",
    ),
    ("diff",): Refusal(
        Category.LOCAL_FILES,
        "`kubectl diff` reads manifests from files on the Breakfix server and runs a diff program "
        f"there. {EDITOR}",
    ),
    ("apply", "edit-last-applied"): Refusal(
        Category.INTERACTIVE, f"`kubectl apply edit-last-applied` opens a text editor. {EDITOR}"
    ),
    ("apply", "set-last-applied"): Refusal(
        Category.LOCAL_FILES,
        f"`kubectl apply set-last-applied` reads a file on the Breakfix server. {EDITOR}",
    ),
    ("__complete",): Refusal(
        Category.COMMANDS,
        "`kubectl __complete` is how a shell asks kubectl for Tab completions; it is not a command "
        "to type. `kubectl help` lists the commands.",
    ),
}

# --- flags refused with their reason -------------------------------------------------------------

# By kubectl's canonical flag name (`--from_file` is `--from-file`), on every command, unless the
# command's own entry in ALLOWED_COMMANDS allows the name (a binding's `--user` is a subject).
# The message names the flag as the learner typed it.
REFUSED_FLAGS: dict[str, tuple[Category, str]] = {
    "token": (Category.IDENTITY, "sends another bearer token"),
    "as": (Category.IDENTITY, "impersonates another user"),
    "as-group": (Category.IDENTITY, "impersonates another group"),
    "as-uid": (Category.IDENTITY, "impersonates another user id"),
    "username": (Category.IDENTITY, "logs in as another user"),
    "password": (Category.IDENTITY, "logs in with another password"),
    "user": (Category.IDENTITY, "picks another user from the kubeconfig"),
    "client-certificate": (Category.IDENTITY, "presents another client certificate"),
    "client-key": (Category.IDENTITY, "presents another client key"),
    "kubeconfig": (Category.TARGET, "reads another kubeconfig"),
    "server": (Category.TARGET, "points kubectl at another API server"),
    "context": (Category.TARGET, "picks another context from the kubeconfig"),
    "cluster": (Category.TARGET, "picks another cluster from the kubeconfig"),
    "certificate-authority": (Category.TARGET, "trusts another certificate authority"),
    "insecure-skip-tls-verify": (Category.TARGET, "turns off TLS verification"),
    "insecure-skip-tls-verify-backend": (Category.TARGET, "turns off TLS verification of the node"),
    "tls-server-name": (Category.TARGET, "changes the name kubectl expects on the certificate"),
    "kuberc": (Category.LOCAL_FILES, "reads a kubectl preferences file"),
    "cache-dir": (Category.LOCAL_FILES, "writes a cache directory"),
    "profile": (Category.LOCAL_FILES, "writes a profile file"),
    "profile-output": (Category.LOCAL_FILES, "writes a profile file"),
    "kustomize": (Category.LOCAL_FILES, "reads a kustomization directory"),
    "from-file": (Category.LOCAL_FILES, "reads files"),
    "from-env-file": (Category.LOCAL_FILES, "reads a file"),
    "patch-file": (Category.LOCAL_FILES, "reads a file"),
    # `kubectl create secret tls --cert=PATH --key=PATH`
    "cert": (Category.LOCAL_FILES, "reads a certificate file"),
    "key": (Category.LOCAL_FILES, "reads a key file"),
    "output-directory": (Category.LOCAL_FILES, "writes files into a directory"),
}
FLAG_MESSAGES = {Category.IDENTITY: identity, Category.TARGET: target, Category.LOCAL_FILES: local}

# Read with the value: `-f -`, `-f URL` and `-f PATH` each get their own words.
FILENAME_FLAGS = frozenset({"filename"})

# A flag whose name has one of these words reads or writes local files, even one this table
# does not know (a newer kubectl's): refused with the local-files reason, not "not offered".
LOCAL_FILE_WORDS = frozenset({"file", "filename", "files", "dir", "directory", "kubeconfig", "kustomize"})

_NO_STDIN = "The console has no keyboard input: run a single command instead, `kubectl exec POD -- COMMAND`."
_RUN_ATTACHED = "attaches to the new pod interactively. Create the pod, then read `kubectl logs POD`."
_ASKS = (
    "asks for confirmation on the keyboard, which the console has not. Run it without, or "
    "preview first with `--dry-run=server`."
)
_OPENS_EDITOR = f"opens a text editor, which the console has not. {EDITOR}"

# Interactive flags, by command: what each does, said after `kubectl COMMAND FLAG`.
COMMAND_REFUSED_FLAGS: dict[tuple[str, ...], dict[str, str]] = {
    ("exec",): {"stdin": f"is interactive. {_NO_STDIN}", "tty": f"is interactive. {_NO_STDIN}"},
    ("run",): dict.fromkeys(("stdin", "tty", "attach", "rm", "leave-stdin-open"), _RUN_ATTACHED),
    ("delete",): {"interactive": _ASKS},
    ("create",): {"edit": _OPENS_EDITOR, "windows-line-endings": _OPENS_EDITOR},
}
