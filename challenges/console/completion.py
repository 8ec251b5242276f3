"""What Tab completion may offer: the allowed sub-commands and flags of a command path.

Completion candidates will come from kubectl's own `__complete`; these functions filter them
through the same allowlist the parser applies, so that Tab never offers what Enter refuses.
Paths are kubectl's canonical command names (`("create", "secret", "generic")`); flags are
canonical long names (`from-literal`), or shorthands where the caller has one.
"""

from __future__ import annotations

from collections.abc import Sequence

from challenges.console import policy, rules
from challenges.console.policy import Scope
from challenges.console.table import Command, Flag, kubectl_table, normalize


def _command(path: Sequence[str]) -> Command | None:
    return kubectl_table().commands.get(tuple(path))


def _offered(command: Command) -> bool:
    """An allowed command, or a group with an allowed command below it."""
    if command.hidden or policy.refused_command(command.path) is not None:
        return False
    return policy.command_allowed(command.path) or any(_offered(child) for child in command.children)


def command_allowed(path: Sequence[str]) -> bool:
    """Whether the console runs this command path (kubectl's canonical names)."""
    return _command(path) is not None and policy.command_allowed(tuple(path))


def allowed_subcommands(path: Sequence[str]) -> list[str]:
    """The sub-commands of `path` that Tab may offer, by name, in kubectl's order."""
    command = _command(path)
    if command is None:
        return []
    return [child.name for child in command.children if _offered(child)]


def _flag(command: Command, name: str) -> Flag | None:
    if len(name) == 1:
        return command.parse_shorthands.get(name)
    return command.parse_flags.get(normalize(name))


def flag_allowed(path: Sequence[str], name: str, *, scope: Scope | None = None) -> bool:
    """Whether the console accepts the flag `name` (long name or shorthand, without dashes) on `path`."""
    command = _command(path)
    if command is None:
        return False
    flag = _flag(command, name.lstrip("-"))
    return flag is not None and policy.flag_allowed(command.path, flag.name, scope)


def allowed_flags(path: Sequence[str], *, scope: Scope | None = None) -> list[Flag]:
    """The flags Tab may offer on `path`, visible ones only, by name."""
    command = _command(path)
    if command is None or not policy.command_allowed(command.path):
        return []
    return sorted(
        (
            flag
            for flag in command.parse_flags.values()
            if not flag.hidden and not flag.deprecated and policy.flag_allowed(command.path, flag.name, scope)
        ),
        key=lambda flag: flag.name,
    )


def allowed_output_formats() -> list[str]:
    """What `-o` may be: a name, or the start of `NAME=template` for the template formats."""
    return list(rules.OUTPUT_FORMATS)
