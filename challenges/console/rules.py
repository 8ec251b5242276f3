"""What the console lets a learner run, as data.

The console runs the real kubectl on the Breakfix server with the learner's own credentials.
RBAC on the cluster is what confines the learner; these rules protect the server the console
runs on (its files, its network, its credentials) and keep every command one that answers
once and ends. Each refusal names its category and tells the learner what to do instead.

Decisions written down here:

- The namespace backend: `-n`/`--namespace` may only name the attempt's own namespace, and
  `--all-namespaces`/`-A` is refused. On the kind backend (a cluster of one's own) both are allowed.
- `-f`/`--filename` is refused with any value, `-f -` included: the console has no input
  stream. Manifests go through the editor, which shows a server-side dry-run diff first.
- Only the verbs in ALLOWED_VERBS run. Any other word is either refused with its reason
  (REFUSED_VERBS) or is no kubectl command (kubectl would look for a plugin).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    SHELL = "shell syntax"
    TOO_LONG = "overlong command lines"
    OTHER_PROGRAMS = "programs other than kubectl"
    PLUGINS = "kubectl plugins and unknown commands"
    IDENTITY = "flags that change who you are"
    TARGET = "flags and commands that change which cluster kubectl talks to, or how"
    NAMESPACE = "other namespaces"
    LOCAL_FILES = "files and directories on the Breakfix server"
    CONNECTION = "commands that hold a connection open"
    INTERACTIVE = "interactive commands and text editors"


@dataclass(frozen=True)
class Refusal:
    category: Category
    message: str


MAX_LINE = 2000

# Leading words that mean "kubectl" (`k` is the alias nearly every tutorial sets up).
KUBECTL_NAMES = frozenset({"kubectl", "k"})

# --- verbs ---------------------------------------------------------------------------------------

ALLOWED_VERBS = frozenset(
    {
        # Inspect
        "get",
        "describe",
        "logs",
        "events",
        "explain",
        "top",
        "api-resources",
        "api-versions",
        "version",
        "cluster-info",
        "auth",
        "wait",
        "help",
        "options",
        "completion",
        # Change (RBAC and the challenge's guards decide what is allowed)
        "create",
        "apply",
        "delete",
        "patch",
        "replace",
        "diff",
        "label",
        "annotate",
        "scale",
        "autoscale",
        "rollout",
        "set",
        "expose",
        "run",
        "exec",
        "certificate",
        "cordon",
        "uncordon",
        "drain",
        "taint",
    }
)

_EDITOR = "Use the editor beside the console: load the object, change it, look at the diff and apply it."

REFUSED_VERBS: dict[str, Refusal] = {
    "cp": Refusal(
        Category.LOCAL_FILES,
        "`kubectl cp` copies files between a pod and the computer kubectl runs on, which here is "
        "the Breakfix server, not yours. Read a file in a pod with `kubectl exec POD -- cat PATH`.",
    ),
    "proxy": Refusal(
        Category.CONNECTION,
        "`kubectl proxy` keeps a connection open and listens on a port of the Breakfix server. "
        "The console runs commands that answer once and end.",
    ),
    "port-forward": Refusal(
        Category.CONNECTION,
        "`kubectl port-forward` keeps a connection open and listens on a port of the Breakfix "
        "server, which your browser cannot reach. Look at Services and endpoints instead: "
        "`kubectl get endpointslices`.",
    ),
    "attach": Refusal(
        Category.CONNECTION,
        "`kubectl attach` holds a connection to a running container. Read what it printed with "
        "`kubectl logs POD`.",
    ),
    "edit": Refusal(
        Category.INTERACTIVE, f"`kubectl edit` opens a text editor, which the console has not. {_EDITOR}"
    ),
    "debug": Refusal(
        Category.INTERACTIVE,
        "`kubectl debug` starts an interactive debugging container. Inspect with "
        "`kubectl describe`, `kubectl logs` and `kubectl exec POD -- COMMAND`.",
    ),
    "config": Refusal(
        Category.TARGET,
        "`kubectl config` reads and changes the console's kubeconfig, which holds the credentials "
        "of your environment. The console always works in your environment; to use kubectl on "
        "your own computer, download your kubeconfig from the workspace.",
    ),
    "kustomize": Refusal(
        Category.LOCAL_FILES,
        f"`kubectl kustomize` reads directories or remote repositories from the Breakfix server. {_EDITOR}",
    ),
    "plugin": Refusal(Category.PLUGINS, "kubectl plugins are not available in the console."),
    "alpha": Refusal(
        Category.LOCAL_FILES,
        "`kubectl alpha` holds experimental commands, some of which write files on the Breakfix "
        "server; they are not available in the console.",
    ),
}

# Sub-commands refused although their verb is allowed, wherever they appear after the verb.
REFUSED_SUBCOMMANDS: dict[tuple[str, str], Refusal] = {
    ("apply", "edit-last-applied"): Refusal(
        Category.INTERACTIVE, f"`kubectl apply edit-last-applied` opens a text editor. {_EDITOR}"
    ),
    ("apply", "set-last-applied"): Refusal(
        Category.LOCAL_FILES,
        f"`kubectl apply set-last-applied` reads a file on the Breakfix server. {_EDITOR}",
    ),
}

# --- flags ---------------------------------------------------------------------------------------


def _identity(flag: str, what: str) -> Refusal:
    return Refusal(
        Category.IDENTITY,
        f"`{flag}` {what}. The console always acts as you, with the credentials of your environment.",
    )


def _target(flag: str, what: str) -> Refusal:
    return Refusal(
        Category.TARGET,
        f"`{flag}` {what}. The console always talks to your environment's API server, the way "
        "its kubeconfig says.",
    )


def _local(flag: str, what: str) -> Refusal:
    return Refusal(Category.LOCAL_FILES, f"`{flag}` {what} on the Breakfix server, not on your computer.")


# Refused for every verb, before or after it. Long names, and the short names kubectl gives them.
REFUSED_FLAGS: dict[str, Refusal] = {
    "--token": _identity("--token", "sends another bearer token"),
    "--as": _identity("--as", "impersonates another user"),
    "--as-group": _identity("--as-group", "impersonates another group"),
    "--as-uid": _identity("--as-uid", "impersonates another user id"),
    "--username": _identity("--username", "logs in as another user"),
    "--password": _identity("--password", "logs in with another password"),
    "--user": _identity("--user", "picks another user from the kubeconfig"),
    "--client-certificate": _identity("--client-certificate", "presents another client certificate"),
    "--client-key": _identity("--client-key", "presents another client key"),
    "--kubeconfig": _target("--kubeconfig", "reads another kubeconfig"),
    "--server": _target("--server", "points kubectl at another API server"),
    "-s": _target("-s", "points kubectl at another API server"),
    "--context": _target("--context", "picks another context from the kubeconfig"),
    "--cluster": _target("--cluster", "picks another cluster from the kubeconfig"),
    "--certificate-authority": _target("--certificate-authority", "trusts another certificate authority"),
    "--insecure-skip-tls-verify": _target("--insecure-skip-tls-verify", "turns off TLS verification"),
    "--tls-server-name": _target("--tls-server-name", "changes the name kubectl expects on the certificate"),
    "--kuberc": _local("--kuberc", "reads a kubectl preferences file"),
    "--cache-dir": _local("--cache-dir", "writes a cache directory"),
    "--profile": _local("--profile", "writes a profile file"),
    "--profile-output": _local("--profile-output", "writes a profile file"),
    "--log-file": _local("--log-file", "writes a log file"),
    "--log-dir": _local("--log-dir", "writes log files"),
    "--kustomize": _local("--kustomize", "reads a kustomization directory"),
    "-k": _local("-k", "reads a kustomization directory"),
    "--from-file": _local("--from-file", "reads files"),
    "--from-env-file": _local("--from-env-file", "reads a file"),
    "--patch-file": _local("--patch-file", "reads a file"),
    # `kubectl create secret tls --cert=PATH --key=PATH`
    "--cert": _local("--cert", "reads a certificate file"),
    "--key": _local("--key", "reads a key file"),
    "--output-directory": _local("--output-directory", "writes files into a directory"),
}

# A long flag whose name has one of these words reads or writes local files, even one this
# table does not know yet (a newer kubectl's).
LOCAL_FILE_WORDS = frozenset({"file", "filename", "files", "dir", "directory", "kubeconfig", "kustomize"})

# Refused only for some verbs: interactive input, and output that never ends.
_NO_STDIN = "The console has no keyboard input: run a single command instead, `kubectl exec POD -- COMMAND`."
_STREAMING = (
    "keeps streaming until someone stops it; the console shows one answer per command. Run it "
    "again to see what changed"
)
REFUSED_VERB_FLAGS: dict[str, dict[str, Refusal]] = {
    "exec": {
        flag: Refusal(Category.INTERACTIVE, f"`kubectl exec {flag}` is interactive. {_NO_STDIN}")
        for flag in ("-i", "--stdin", "-t", "--tty")
    },
    "run": {
        flag: Refusal(
            Category.INTERACTIVE,
            f"`kubectl run {flag}` attaches to the new pod interactively. Create the pod, then read "
            "`kubectl logs POD`.",
        )
        for flag in ("-i", "--stdin", "-t", "--tty", "--attach", "--rm")
    },
    "delete": {
        flag: Refusal(
            Category.INTERACTIVE,
            f"`kubectl delete {flag}` asks for confirmation on the keyboard, which the console has not. "
            "Run it without, or preview first with `--dry-run=server`.",
        )
        for flag in ("-i", "--interactive")
    },
    "logs": {
        flag: Refusal(Category.CONNECTION, f"`kubectl logs {flag}` {_STREAMING} (try `--tail=50`).")
        for flag in ("-f", "--follow")
    },
    "get": {
        flag: Refusal(Category.CONNECTION, f"`kubectl get {flag}` {_STREAMING}.")
        for flag in ("-w", "--watch", "--watch-only")
    },
    "events": {
        flag: Refusal(Category.CONNECTION, f"`kubectl events {flag}` {_STREAMING}.")
        for flag in ("-w", "--watch")
    },
    "top": {
        flag: Refusal(Category.CONNECTION, f"`kubectl top {flag}` {_STREAMING}.")
        for flag in ("-w", "--watch")
    },
}

# Output formats that read a template from a local file.
REFUSED_OUTPUT_FORMATS: dict[str, Refusal] = {
    name: _local(f"-o {name}", "reads a template file")
    for name in ("go-template-file", "jsonpath-file", "templatefile")
}

NAMESPACE_FLAGS = frozenset({"-n", "--namespace"})
ALL_NAMESPACES_FLAGS = frozenset({"-A", "--all-namespaces"})

# Flags that take a value, for finding the verb and the values of the flags above. A long flag
# not listed here is treated as a switch unless written `--flag=value`; getting one wrong can
# only make the console refuse something, never let a refused flag through (every token is
# looked at).
GLOBAL_VALUE_FLAGS = frozenset(
    {
        "-n",
        "--namespace",
        "-s",
        "--server",
        "--context",
        "--cluster",
        "--user",
        "--token",
        "--as",
        "--as-group",
        "--as-uid",
        "--username",
        "--password",
        "--kubeconfig",
        "--kuberc",
        "--cache-dir",
        "--certificate-authority",
        "--client-certificate",
        "--client-key",
        "--tls-server-name",
        "--request-timeout",
        "-v",
        "--v",
        "--vmodule",
        "--profile",
        "--profile-output",
        "--log-flush-frequency",
        "--log-file",
        "--log-dir",
    }
)
VALUE_FLAGS = GLOBAL_VALUE_FLAGS | {
    "-f",
    "--filename",
    "-k",
    "--kustomize",
    "-o",
    "--output",
    "-l",
    "--selector",
    "-c",
    "--container",
    "-L",
    "--label-columns",
    "-p",
    "--patch",
    "-e",
    "--env",
    "-r",
    "--replicas",
    "--field-selector",
    "--sort-by",
    "--template",
    "--image",
    "--port",
    "--type",
    "--timeout",
    "--since",
    "--since-time",
    "--tail",
    "--for",
    "--from-literal",
    "--from-file",
    "--from-env-file",
    "--patch-file",
    "--grace-period",
    "--target-port",
    "--name",
    "--protocol",
    "--overrides",
    "--labels",
    "--restart",
    "--field-manager",
    "--cascade",
    "--subresource",
    "--chunk-size",
    "--output-directory",
    "--max-log-requests",
    "--limit-bytes",
    "--pod-running-timeout",
    "--min",
    "--max",
    "--cpu-percent",
    "--current-replicas",
    "--resource-version",
    "--api-group",
    "--verbs",
    "--resource",
    "--resource-name",
    "--rule",
    "--role",
    "--clusterrole",
    "--serviceaccount",
    "--group",
    "--namespace-selector",
    "--schedule",
    "--docker-server",
    "--docker-username",
    "--docker-password",
    "--docker-email",
    "--cert",
    "--key",
    "--session-affinity",
    "--cluster-ip",
    "--external-ip",
    "--load-balancer-ip",
    "--duration",
    "--audience",
    "--bound-object-kind",
    "--bound-object-name",
    "--bound-object-uid",
    "--to-revision",
    "--revision",
}
# Short flags that take a value, by the verb that gives them a different meaning.
VALUE_SHORTS = frozenset("nsvfkolcLper")
VERB_SWITCH_SHORTS: dict[str, frozenset[str]] = {
    # `kubectl logs -f` follows and `-p` shows the previous container: both are switches there.
    "logs": frozenset("fp"),
}
# Verbs whose arguments after `--` are a command for a container, not kubectl flags.
COMMAND_AFTER_DASHES = frozenset({"exec", "run", "debug"})


def filename_refusal(flag: str, value: str) -> Refusal:
    """Why `-f VALUE` is refused, in the words that fit the value."""
    if value == "-":
        return Refusal(
            Category.LOCAL_FILES,
            f"`{flag} -` reads a manifest from the keyboard, which the console has not. Paste the "
            "manifest into the editor beside the console: it shows a dry-run diff, then applies it.",
        )
    if "://" in value:
        return Refusal(
            Category.LOCAL_FILES,
            f"`{flag} {value}` would download from the network onto the Breakfix server. Paste the "
            "manifest into the editor beside the console instead.",
        )
    return Refusal(
        Category.LOCAL_FILES,
        f"`{flag} {value or 'PATH'}` would read a file on the Breakfix server, not on your computer. "
        "Paste the manifest into the editor beside the console instead.",
    )


def local_file_refusal(flag: str) -> Refusal:
    return _local(flag, "reads or writes files")


def namespace_refusal(value: str, namespace: str) -> Refusal:
    return Refusal(
        Category.NAMESPACE,
        f"Your environment is the namespace `{namespace}`; `{value or '(empty)'}` is another one. "
        f"Leave out `-n`: every command runs in `{namespace}`.",
    )


def all_namespaces_refusal(flag: str, namespace: str) -> Refusal:
    return Refusal(
        Category.NAMESPACE,
        f"`{flag}` looks at every namespace; your environment is the namespace `{namespace}`. "
        f"Leave it out: every command runs in `{namespace}`.",
    )


def unknown_verb_refusal(word: str, *, said_kubectl: bool) -> Refusal:
    if said_kubectl:
        return Refusal(
            Category.PLUGINS,
            f"`{word}` is not a kubectl command, and kubectl plugins (kubectl-{word}) are not "
            "available in the console. `kubectl help` lists the commands.",
        )
    return Refusal(
        Category.OTHER_PROGRAMS,
        f"`{word}` is not a kubectl command. The console runs kubectl only: no shell and no other "
        "programs. Type a kubectl command, with or without the word kubectl: `get pods`.",
    )


# Characters a shell acts on when they are not quoted.
SHELL_METACHARACTERS = frozenset("|&;<>()`")

# What a shell would have done with these, so the learner knows why they do nothing here.
SHELL_REFUSALS: dict[str, Refusal] = {
    "|": Refusal(
        Category.SHELL,
        "The console runs one kubectl command without a shell, so there are no pipes (`|`). Let "
        "kubectl filter instead: `-l app=web`, `--field-selector`, `-o jsonpath='{...}'` or "
        "`-o custom-columns=...`. Quote the character if it belongs in an argument.",
    ),
    ">": Refusal(
        Category.SHELL,
        "The console runs one kubectl command without a shell, so there is no redirection "
        "(`>`, `<`): its output is shown here. Quote the character if it belongs in an argument.",
    ),
    ";": Refusal(
        Category.SHELL,
        "The console runs one command at a time, without a shell: no `;`, `&&`, `||` or `&`. "
        "Run the commands one after the other.",
    ),
    "$(": Refusal(
        Category.SHELL,
        "The console runs one kubectl command without a shell, so there is no command "
        "substitution (`$(...)` or backquotes): type the value itself.",
    ),
    "$": Refusal(
        Category.SHELL,
        "The console runs kubectl without a shell, so there are no variables (`$NAME`): type the "
        "value itself, or put it in single quotes if the `$` belongs in the argument.",
    ),
    "newline": Refusal(Category.SHELL, "Type one command on one line."),
    "quote": Refusal(Category.SHELL, "A quote is not closed: close it, or remove it."),
}
SHELL_REFUSALS["<"] = SHELL_REFUSALS[">"]
SHELL_REFUSALS["&"] = SHELL_REFUSALS[";"]
SHELL_REFUSALS["`"] = SHELL_REFUSALS["$("]
SHELL_REFUSALS["("] = Refusal(
    Category.SHELL,
    "The console runs one kubectl command without a shell: no subshells `( )`. Quote the "
    "parentheses if they belong in an argument (a set-based label selector, for example).",
)
SHELL_REFUSALS[")"] = SHELL_REFUSALS["("]

TOO_LONG = Refusal(
    Category.TOO_LONG,
    f"A console command is at most {MAX_LINE:,} characters. Put manifests in the editor beside the console.",
)
EMPTY = Refusal(Category.SHELL, "Type a kubectl command, for example `kubectl get pods`.")
