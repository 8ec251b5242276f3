"""Tab completion: kubectl's own `__complete`, as the learner, filtered through the console's allowlist.

Two steps around one call to kubectl (the service, `console_complete`, makes the call):

1. `plan` reads the line up to the cursor the way the parser reads a line (`words`, `cobra`,
   `policy`). What comes before the word being completed must be something the console would
   run, or Tab offers nothing and says why: kubectl never completes after a refused command or
   flag (`--kubeconfig=PATH get pods <Tab>` would have kubectl read PATH to list the pods).
2. `finish` reads kubectl's answer (one `value<TAB>description` a line, then `:DIRECTIVE`) and
   keeps a candidate only where the allowlist agrees: sub-commands the console runs, flags it
   accepts on that command (`completion`), output formats on the list, the learner's own
   namespace. A refused verb or flag is never offered.

The directive is cobra's bitmask: 1 error (nothing to offer), 2 no space after the word,
4 no file completion, 8 and 16 file and directory completion, 32 keep kubectl's order. The
console has no files of the learner's, so it never completes file names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from challenges.console import cobra, completion, policy, refusals, rules
from challenges.console.policy import Scope
from challenges.console.table import Command, Flag, kubectl_table, normalize
from challenges.console.words import Refused, check_characters, check_dashes, split

ERROR, NO_SPACE, NO_FILE, FILE_EXT, FILTER_DIRS, KEEP_ORDER = 1, 2, 4, 8, 16, 32
MAX_CANDIDATES = 100
MAX_DESCRIPTION = 160
# What a candidate may be made of: Kubernetes names, resource types, flags, output formats.
# Anything else would need quoting on the line, and kubectl offers nothing else here.
_SAFE = re.compile(r"[A-Za-z0-9._/:=@,+%-]{1,253}")
# A word with these is quoted or escaped: Tab leaves it to the learner.
_QUOTING = frozenset("'\"\\$`")
ACTIVE_HELP = "_activeHelp_ "


class Kind(StrEnum):
    WORD = "a sub-command or an argument"
    FLAG_NAME = "a flag's name"
    FLAG_VALUE = "a flag's value"


@dataclass(frozen=True)
class Candidate:
    value: str
    description: str = ""


@dataclass(frozen=True)
class Completion:
    """What Tab offers: the browser replaces `partial` (the end of the line) with a candidate."""

    partial: str
    candidates: list[Candidate] = field(default_factory=list)
    no_space: bool = False  # after a single candidate, no space (`pods/`, `--output=`)
    message: str = ""  # why nothing is offered, when that is worth saying
    more: int = 0  # candidates left out beyond MAX_CANDIDATES


@dataclass(frozen=True)
class Plan:
    """What to ask kubectl, and how to read its answer."""

    words: list[str]  # the words before the one being completed, without `kubectl`
    partial: str  # the word being completed, as typed
    kind: Kind
    command: Command
    flag: Flag | None = None  # whose value is completed (FLAG_VALUE)
    value_prefix: str = ""  # `--output=` when completing `--output=ya`: kubectl answers `yaml`
    offer_kubectl: bool = False  # the line is the start of the word `kubectl` itself
    namespace_given: bool = False

    def kubectl_args(self, scope: Scope) -> list[str]:
        """`kubectl __complete` takes these (after `__complete`): the learner's namespace first."""
        namespace = [] if scope.cluster_wide and self.namespace_given else [f"--namespace={scope.namespace}"]
        return [*namespace, *self.words, self.partial]


def _nothing(partial: str, refusal: refusals.Refusal | str = "") -> Completion:
    message = refusal.message if isinstance(refusal, refusals.Refusal) else refusal
    return Completion(partial=partial, message=f"Tab has nothing to offer here: {message}" if message else "")


def _split_partial(line: str) -> tuple[str, str]:
    """The words before the cursor's word, and that word ('' after a blank)."""
    if not line or line[-1] in " \t":
        return line, ""
    cut = max(line.rfind(" "), line.rfind("\t")) + 1
    return line[:cut], line[cut:]


def _flag_of(command: Command, typed: str) -> Flag | None:
    """The flag `--name` or `-x` names on this command (kubectl's spelling rules)."""
    if typed.startswith("--"):
        return command.parse_flags.get(normalize(typed[2:]))
    return command.parse_shorthands.get(typed[1:]) if len(typed) == 2 else None


def plan(line: str, *, scope: Scope) -> Plan | Completion:
    """What to ask kubectl for `line` (the text up to the cursor), or the answer without asking."""
    if len(line) > rules.MAX_LINE:
        return _nothing("", refusals.too_long_refusal(rules.MAX_LINE))
    head, partial = _split_partial(line.lstrip(" \t"))
    try:
        check_characters(line)
        if _QUOTING.intersection(partial):
            return _nothing(partial, "finish a quoted word by hand.")
        words = split(head)
        said_kubectl = bool(words) and words[0] in rules.KUBECTL_NAMES
        if said_kubectl:
            words = words[1:]
        if words[:1] == ["--"]:
            raise Refused(refusals.LEADING_DASHES)
        check_dashes([*words, partial])
    except Refused as refused:
        return _nothing(partial, refused.refusal)
    reading = cobra.read(kubectl_table(), words)
    first_word = words[0] if words else None
    refusal = policy.command_refusal(reading, said_kubectl=said_kubectl, first_word=first_word)
    if refusal is not None:
        return _nothing(partial, refusal)
    if reading.dash_at is not None:
        return _nothing(partial)  # after `--` comes the container's command: nothing of kubectl's
    command = reading.command
    pending: Flag | None = None
    for use in reading.flags:
        if use.problem is cobra.Problem.NEEDS_VALUE and use.flag is not None:
            if not policy.flag_allowed(command.path, use.name, scope):
                return _nothing(partial, policy.flag_refusal(command.path, use, scope) or "")
            pending = use.flag  # the word being completed is its value
            continue
        refusal = policy.flag_refusal(command.path, use, scope)
        if refusal is not None:
            return _nothing(partial, refusal)
    base = Plan(
        words=words,
        partial=partial,
        kind=Kind.WORD,
        command=command,
        namespace_given=any(use.name == "namespace" for use in reading.flags),
    )
    if pending is None and partial.startswith("-") and "=" in partial:
        typed = partial.partition("=")[0]
        pending = _flag_of(command, typed)
        if pending is None or not policy.flag_allowed(command.path, pending.name, scope):
            return _nothing(partial)
        base = replace(base, value_prefix=f"{typed}=")
    if pending is not None:
        if pending.name == "namespace" and not scope.cluster_wide:
            # The learner's own is the one namespace the console takes: no need to ask kubectl.
            value = base.value_prefix + scope.namespace
            offered = [Candidate(value, "your environment's namespace")] if value.startswith(partial) else []
            return Completion(partial=partial, candidates=offered)
        return replace(base, kind=Kind.FLAG_VALUE, flag=pending)
    if partial.startswith("-"):
        return replace(base, kind=Kind.FLAG_NAME)
    offer_kubectl = not words and not said_kubectl and bool(partial) and "kubectl".startswith(partial)
    return replace(base, offer_kubectl=offer_kubectl)


def _allowed(plan: Plan, value: str, scope: Scope) -> bool:
    """Whether the allowlist lets Tab offer kubectl's candidate `value` (prefix already removed)."""
    path = plan.command.path
    if plan.kind is Kind.FLAG_NAME:
        return value.startswith("-") and completion.flag_allowed(path, value.lstrip("-"), scope=scope)
    if plan.kind is Kind.FLAG_VALUE:
        assert plan.flag is not None
        if plan.flag.name == "output":
            return policy.output_refusal(value) is None
        if plan.flag.name == "namespace":
            return scope.cluster_wide or value == scope.namespace
        return True
    if plan.command.child(value) is not None:  # a sub-command: the ones the console runs, or leads to
        return value in completion.allowed_subcommands(path)
    return True  # a resource type or an object's name: RBAC decided what kubectl could list


def read_directive(output: str) -> tuple[list[tuple[str, str]], int]:
    """kubectl's candidates (value, description) and its directive; an answer without one is an error."""
    lines = output.splitlines()
    directive = ERROR
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1].startswith(":"):
        try:
            directive = int(lines.pop()[1:])
        except ValueError:
            directive = ERROR
    pairs = []
    for line in lines:
        if not line or line.startswith(ACTIVE_HELP):
            continue
        value, _, description = line.partition("\t")
        pairs.append((value, description))
    return pairs, directive


def finish(plan: Plan, output: str, *, scope: Scope) -> Completion:
    """kubectl's answer to `plan`, filtered through the allowlist."""
    pairs, directive = read_directive(output)
    if directive & ERROR or directive & (FILE_EXT | FILTER_DIRS):
        pairs = []  # an error, or file names: the server's files are no business of the learner's
    seen: set[str] = set()
    candidates: list[Candidate] = []
    if plan.offer_kubectl:
        candidates.append(Candidate("kubectl", "the kubectl command (you may also leave it out)"))
        seen.add("kubectl")
    for value, description in pairs:
        if not _SAFE.fullmatch(value) or not _allowed(plan, value, scope):
            continue
        full = plan.value_prefix + value
        if full in seen or not full.startswith(plan.partial):
            continue
        seen.add(full)
        candidates.append(Candidate(full, description.strip()[:MAX_DESCRIPTION]))
    if not directive & KEEP_ORDER:
        candidates.sort(key=lambda candidate: (candidate.value != "kubectl", candidate.value))
    more = max(0, len(candidates) - MAX_CANDIDATES)
    candidates = candidates[:MAX_CANDIDATES]
    single = candidates[0].value if len(candidates) == 1 else ""
    no_space = bool(directive & NO_SPACE) or single.endswith(("/", "="))
    return Completion(partial=plan.partial, candidates=candidates, no_space=no_space, more=more)
