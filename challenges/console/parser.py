"""Turns a console line into kubectl's arguments, or refuses it with a reason from `rules`.

The line is split the way a POSIX shell splits words (quotes and backslashes), but nothing a
shell would expand or run is honoured: unquoted pipes, redirections, `;`, `&&`, `$(...)` and
variables are refused with a message saying so, instead of being passed to kubectl as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from challenges.console import rules
from challenges.console.rules import Refusal


class Refused(Exception):
    """The console will not run this line; `refusal` says why, in the learner's words."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass(frozen=True)
class Scope:
    """Where the console's commands may reach: one namespace, or (kind) the whole cluster."""

    namespace: str
    cluster_wide: bool = False


@dataclass(frozen=True)
class Command:
    args: list[str]  # kubectl's arguments, without the program name
    verb: str | None
    namespace_given: bool = False
    all_namespaces: bool = False


def _expansion(line: str, i: int) -> str | None:
    """Which shell refusal a `$` at `i` would be, or None when a shell would keep it as text."""
    following = line[i + 1 : i + 2]
    if following == "(":
        return "$("
    if following == "{" or following.isalnum() or following in ("_", "?", "@", "*", "#", "!", "$"):
        return "$"
    return None


def split(line: str) -> list[str]:
    """Split like a POSIX shell; refuse what only a shell would make sense of."""
    if "\n" in line or "\r" in line:
        raise Refused(rules.SHELL_REFUSALS["newline"])
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote == "'":
            if ch == "'":
                quote = None
            else:
                current.append(ch)
            i += 1
            continue
        if quote == '"':
            if ch == '"':
                quote = None
            elif ch == "\\" and line[i + 1 : i + 2] in ("$", "`", '"', "\\"):
                current.append(line[i + 1])
                i += 2
                continue
            elif ch == "`":
                raise Refused(rules.SHELL_REFUSALS["`"])
            elif ch == "$" and (kind := _expansion(line, i)):
                raise Refused(rules.SHELL_REFUSALS[kind])
            else:
                current.append(ch)
            i += 1
            continue
        if ch in " \t":
            if in_token:
                tokens.append("".join(current))
                current, in_token = [], False
            i += 1
            continue
        in_token = True
        if ch == "\\":
            current.append(line[i + 1 : i + 2])
            i += 2
            continue
        if ch in ("'", '"'):
            quote = ch
        elif ch == "$" and (kind := _expansion(line, i)):
            raise Refused(rules.SHELL_REFUSALS[kind])
        elif ch in rules.SHELL_METACHARACTERS:
            raise Refused(rules.SHELL_REFUSALS[ch])
        else:
            current.append(ch)
        i += 1
    if quote:
        raise Refused(rules.SHELL_REFUSALS["quote"])
    if in_token:
        tokens.append("".join(current))
    return tokens


def _is_flag(token: str) -> bool:
    return token.startswith("-") and token not in ("-", "--")


def _verb_index(tokens: list[str]) -> int | None:
    """The position of kubectl's command word, skipping global flags and their values."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            return i + 1 if i + 1 < len(tokens) else None
        if not _is_flag(token):
            return i
        if token.startswith("--"):
            name, eq, _ = token.partition("=")
            takes_next = not eq and name in rules.GLOBAL_VALUE_FLAGS
        else:
            takes_next = len(token) == 2 and f"-{token[1]}" in rules.GLOBAL_VALUE_FLAGS
        i += 2 if takes_next else 1
    return None


class _Checker:
    def __init__(self, scope: Scope, verb: str | None) -> None:
        self.scope = scope
        self.verb = verb or ""
        self.namespace_given = False
        self.all_namespaces = False
        self.value_shorts = rules.VALUE_SHORTS - rules.VERB_SWITCH_SHORTS.get(self.verb, frozenset())

    def flag(self, name: str, value: str | None) -> None:
        if name in rules.REFUSED_FLAGS:
            raise Refused(rules.REFUSED_FLAGS[name])
        if name.startswith("--") and rules.LOCAL_FILE_WORDS.intersection(name[2:].split("-")):
            raise Refused(rules.local_file_refusal(name))
        refused_here = rules.REFUSED_VERB_FLAGS.get(self.verb, {})
        if name in refused_here:
            raise Refused(refused_here[name])
        if name in ("-f", "--filename"):
            raise Refused(rules.filename_refusal(name, value or ""))
        if name in rules.NAMESPACE_FLAGS:
            self.namespace_given = True
            if not self.scope.cluster_wide and value is not None and value != self.scope.namespace:
                raise Refused(rules.namespace_refusal(value, self.scope.namespace))
        if name in rules.ALL_NAMESPACES_FLAGS:
            self.all_namespaces = True
            if not self.scope.cluster_wide:
                raise Refused(rules.all_namespaces_refusal(name, self.scope.namespace))
        if name in ("-o", "--output") and value:
            output_format = value.split("=", 1)[0]
            if output_format in rules.REFUSED_OUTPUT_FORMATS:
                raise Refused(rules.REFUSED_OUTPUT_FORMATS[output_format])

    def token(self, tokens: list[str], i: int) -> None:
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.startswith("--"):
            name, eq, value = token.partition("=")
            if eq:
                self.flag(name, value)
            else:
                self.flag(name, following if name in rules.VALUE_FLAGS else None)
            return
        # A cluster of short flags: `-it` is `-i -t`; `-nfoo`, `-n=foo` and `-n foo` give -n a value.
        for j in range(1, len(token)):
            letter = token[j]
            if letter == "=":
                return
            if letter in self.value_shorts:
                rest = token[j + 1 :]
                self.flag(f"-{letter}", rest.removeprefix("=") if rest else following)
                return
            self.flag(f"-{letter}", None)


def parse(line: str, *, scope: Scope) -> Command:
    """The kubectl arguments of `line`, or Refused."""
    line = line.strip()
    if not line:
        raise Refused(rules.EMPTY)
    if len(line) > rules.MAX_LINE:
        raise Refused(rules.TOO_LONG)
    tokens = split(line)
    said_kubectl = bool(tokens) and tokens[0] in rules.KUBECTL_NAMES
    if said_kubectl:
        tokens = tokens[1:]
    index = _verb_index(tokens)
    verb = tokens[index] if index is not None else None
    if verb is not None:
        if verb in rules.REFUSED_VERBS:
            raise Refused(rules.REFUSED_VERBS[verb])
        if verb not in rules.ALLOWED_VERBS:
            raise Refused(rules.unknown_verb_refusal(verb, said_kubectl=said_kubectl or index != 0))

    checker = _Checker(scope, verb)
    for i, token in enumerate(tokens):
        if token == "--":
            if verb in rules.COMMAND_AFTER_DASHES:
                break  # what follows is the container's command, not kubectl's
            continue
        # Every token is looked at, values of flags included: a value that is itself a flag
        # to kubectl must not slip through because this table thought it a value.
        if _is_flag(token) and not token[1:].isdigit():
            checker.token(tokens, i)
        elif verb is not None and (verb, token) in rules.REFUSED_SUBCOMMANDS:
            raise Refused(rules.REFUSED_SUBCOMMANDS[(verb, token)])
    return Command(
        args=tokens,
        verb=verb,
        namespace_given=checker.namespace_given,
        all_namespaces=checker.all_namespaces,
    )
