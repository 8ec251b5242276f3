"""Turns a console line into kubectl's arguments, or refuses it with a reason the learner can act on.

The line is read the way kubectl reads it, in four steps, each its own module:

1. `words`: characters no terminal sends are refused; the line is split like a shell would,
   and shell syntax is refused.
2. `cobra`: the command path and the flags, found exactly as cobra and pflag find them, with
   kubectl's own command table (`table`, generated from the pinned kubectl).
3. `policy`: the allowlist of `rules` applied to that reading: listed commands, listed flags,
   listed output formats, the learner's namespace only.
4. The arguments go to kubectl as they were typed, without the leading `kubectl`.
"""

from __future__ import annotations

from dataclasses import dataclass

from challenges.console import cobra, policy, refusals, rules
from challenges.console.policy import Scope
from challenges.console.table import kubectl_table
from challenges.console.words import Refused, check_characters, check_dashes, printable, split

__all__ = ["Command", "Refused", "Scope", "kubectl_words", "parse", "printable", "split"]


@dataclass(frozen=True)
class Command:
    args: list[str]  # kubectl's arguments, without the program name
    verb: str | None  # the first word of the command path; None for `kubectl` alone
    namespace_given: bool = False
    all_namespaces: bool = False
    path: tuple[str, ...] = ()  # the command kubectl runs: ("rollout", "status")
    container_command: tuple[str, ...] = ()  # exec/run: what runs in the container, after `--`
    watches: bool = False  # `get -w`, `logs -f`, `rollout status`…: runs until stopped or done


def kubectl_words(line: str) -> tuple[list[str], bool]:
    """The words kubectl gets from `line`, and whether the line started with `kubectl`; or Refused."""
    if len(line) > rules.MAX_LINE:
        raise Refused(refusals.too_long_refusal(rules.MAX_LINE))
    check_characters(line)  # before stripping: str.strip() would drop a trailing \r or \x0b
    line = line.strip(" \t")
    if not line:
        raise Refused(refusals.EMPTY)
    words = split(line)
    said_kubectl = bool(words) and words[0] in rules.KUBECTL_NAMES
    if said_kubectl:
        words = words[1:]
    if words and words[0] == "--":
        raise Refused(refusals.LEADING_DASHES)
    check_dashes(words)
    return words, said_kubectl


def parse(line: str, *, scope: Scope) -> Command:
    """The kubectl arguments of `line`, or Refused."""
    words, said_kubectl = kubectl_words(line)
    reading = cobra.read(kubectl_table(), words)
    facts = policy.check(
        reading, scope=scope, said_kubectl=said_kubectl, first_word=words[0] if words else None
    )
    path = reading.command.path
    return Command(
        args=words,
        verb=path[0] if path else None,
        namespace_given=facts.namespace_given,
        all_namespaces=facts.all_namespaces,
        path=path,
        container_command=tuple(reading.after_dash) if reading.command.command_after_dash else (),
        watches=facts.watches,
    )
