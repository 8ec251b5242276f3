"""The console's allowlist applied to what kubectl would read from a line (see `rules`).

`check` refuses a reading with the most specific reason there is, or says what the service
must know about it (did the learner name a namespace?). The questions Tab completion will ask
(is this command or flag allowed? what may follow?) are answered from the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from challenges.console import refusals, rules
from challenges.console.cobra import FlagUse, Problem, Reading
from challenges.console.refusals import Category, Refusal
from challenges.console.table import Command
from challenges.console.words import Refused


@dataclass(frozen=True)
class Scope:
    """Where the console's commands may reach: one namespace, or (kind) the whole cluster."""

    namespace: str
    cluster_wide: bool = False


@dataclass(frozen=True)
class Facts:
    namespace_given: bool
    all_namespaces: bool
    watches: bool = False  # it runs until stopped, or until what it waits for happens


# strconv.ParseBool, which pflag's bool flags use.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})


def refused_command(path: tuple[str, ...]) -> Refusal | None:
    """The reason a command is refused, when it or a command above it has one."""
    for length in range(len(path), 0, -1):
        refusal = rules.REFUSED_COMMANDS.get(path[:length])
        if refusal is not None:
            return refusal
    return None


def command_allowed(path: tuple[str, ...]) -> bool:
    return path in rules.ALLOWED_COMMANDS and refused_command(path) is None


def flag_allowed(path: tuple[str, ...], name: str, scope: Scope | None = None) -> bool:
    """Whether the allowlist offers the flag `--NAME` (canonical) on an allowed command.

    Values are checked when the line is read (a namespace, an output format); this answers
    for the flag itself. Without a scope, `--all-namespaces` counts as allowed.
    """
    if not command_allowed(path):
        return False
    if name == "all-namespaces" and scope is not None and not scope.cluster_wide:
        return False
    if name in rules.ALLOWED_COMMANDS[path] or name in rules.ALL_COMMANDS:
        return True
    return rules.STREAMING_ALLOWED and name in rules.STREAMING.get(path, frozenset())


def output_refusal(value: str) -> Refusal | None:
    output_format = value.split("=", 1)[0]
    if output_format.lower() in rules.OUTPUT_FILE_FORMATS:
        return refusals.output_file_refusal(output_format)
    if (
        not value
        or output_format in rules.OUTPUT_FORMATS
        or output_format.lower() in rules.OUTPUT_FORMATS_ANY_CASE
    ):
        return None
    return refusals.output_format_refusal(value, list(rules.OUTPUT_FORMATS))


def _value_refusal(use: FlagUse, scope: Scope) -> Refusal | None:
    """The checks on an allowed flag's value."""
    if use.problem is Problem.NEEDS_VALUE or use.value is None:
        return refusals.flag_needs_value_refusal(use.typed)
    if use.next_word and use.value.startswith("--"):
        # kubectl would take the flag for a value: almost always a value forgotten before it.
        return refusals.flag_as_value_refusal(use.typed, use.value)
    if use.name == "namespace" and not scope.cluster_wide and use.value != scope.namespace:
        return refusals.namespace_refusal(use.value, scope.namespace)
    if use.name == "all-namespaces" and not scope.cluster_wide:
        return refusals.all_namespaces_refusal(use.typed, scope.namespace)
    if use.name == "output":
        return output_refusal(use.value)
    return None


def _names_files(name: str) -> bool:
    return bool(rules.LOCAL_FILE_WORDS.intersection(name.split("-")))


def flag_refusal(path: tuple[str, ...], use: FlagUse, scope: Scope) -> Refusal | None:
    """Why this flag (with its value) may not run on this command, or None when it may."""
    if use.problem is Problem.SYNTAX:
        return refusals.flag_syntax_refusal(use.typed)
    if use.flag is None:  # kubectl knows no such flag here, or pflag skips it
        if _names_files(use.name):
            return refusals.local_file_refusal(use.typed)
        return refusals.unknown_flag_refusal(use.typed, path)
    name = use.name
    if name in rules.ALLOWED_COMMANDS[path] or name in rules.ALL_COMMANDS:
        return _value_refusal(use, scope)
    if name in rules.STREAMING.get(path, frozenset()):
        return None if rules.STREAMING_ALLOWED else refusals.streaming_refusal(use.typed, path)
    interactive = rules.COMMAND_REFUSED_FLAGS.get(path, {}).get(name)
    if interactive is not None:
        return Refusal(Category.INTERACTIVE, f"`{refusals.command_line(path)} {use.typed}` {interactive}")
    if name in rules.FILENAME_FLAGS:
        return refusals.filename_refusal(use.typed, use.value or "")
    if name in rules.REFUSED_FLAGS:
        category, what = rules.REFUSED_FLAGS[name]
        return rules.FLAG_MESSAGES[category](use.typed, what)
    if _names_files(name):
        return refusals.local_file_refusal(use.typed)
    return refusals.flag_not_offered_refusal(use.typed, path)


def command_refusal(reading: Reading, *, said_kubectl: bool, first_word: str | None) -> Refusal | None:
    """Why the command kubectl would run is refused, or None when it runs."""
    if reading.unknown_command is not None:
        other_program = not said_kubectl and first_word == reading.unknown_command
        return refusals.unknown_command_refusal(reading.unknown_command, said_kubectl=not other_program)
    path = reading.command.path
    refusal = refused_command(path)
    if refusal is not None:
        return refusal
    if reading.plugin_subcommand is not None:
        return refusals.unknown_subcommand_refusal(reading.plugin_subcommand, path)
    if path not in rules.ALLOWED_COMMANDS:
        return refusals.command_not_offered_refusal(path)
    return None


def check(reading: Reading, *, scope: Scope, said_kubectl: bool, first_word: str | None) -> Facts:
    """Refuse the reading (Refused), or the facts about it the service needs."""
    refusal = command_refusal(reading, said_kubectl=said_kubectl, first_word=first_word)
    if refusal is not None:
        raise Refused(refusal)
    command: Command = reading.command
    for use in reading.flags:
        refusal = flag_refusal(command.path, use, scope)
        if refusal is not None:
            raise Refused(refusal)
    if reading.dash_at is not None and not command.command_after_dash:
        raise Refused(refusals.no_command_after_dashes_refusal(command.path))
    all_namespaces = False
    streaming: dict[str, bool] = {}
    for use in reading.flags:
        if use.name == "all-namespaces":
            all_namespaces = use.value in _TRUE  # the last one wins, as in pflag
        if use.name in rules.STREAMING.get(command.path, frozenset()):
            streaming[use.name] = use.value in _TRUE
    return Facts(
        namespace_given=any(use.name == "namespace" for use in reading.flags),
        all_namespaces=all_namespaces,
        watches=command.path in rules.WATCHING_COMMANDS or any(streaming.values()),
    )
