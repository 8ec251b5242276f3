"""kubectl's command tree, from the table generated from the pinned kubectl itself.

platform/controlplane/kubectl-commands/main.go builds kubectl's root command the way kubectl's
main does and walks it; platform/controlplane/build runs it, and `make kubectl-table` copies
its JSON to tables/kubectl-<version>.json, which this module reads. Nothing here is written by
hand: a command or flag kubectl has is in the table, and one it has not is not.

The flags of a command are the ones cobra's mergePersistentFlags gives it: its own, then the
persistent flags of its ancestors, nearest first. While cobra searches the command path it
knows only those; the flags it adds to the command it executes (`--help`) are known when the
line's flags are parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

TABLES = Path(__file__).resolve().parent / "tables"
VERSIONS = Path(__file__).resolve().parents[2] / "platform" / "controlplane" / "versions.env"


class TableMissing(Exception):
    """No command table for the pinned kubectl: an installation problem, not the learner's."""


@dataclass(frozen=True)
class Flag:
    name: str  # canonical: pflag's formal name, already normalized
    shorthand: str
    type: str
    takes_value: bool  # pflag: a flag takes a value unless it has a NoOptDefVal
    no_opt_default: str  # the value a flag without `=value` gets, when it takes none
    persistent: bool
    hidden: bool
    deprecated: bool
    declared_by: tuple[str, ...]


@dataclass
class Command:
    path: tuple[str, ...]
    aliases: tuple[str, ...]
    hidden: bool
    runnable: bool
    disable_flag_parsing: bool
    command_after_dash: bool
    parent: Command | None
    children: list[Command] = field(default_factory=list)
    own_flags: dict[str, Flag] = field(default_factory=dict)
    inherited: tuple[str, ...] = ()
    # Filled by KubectlTable: the flag sets cobra uses to find the path, and to parse the line.
    search_flags: dict[str, Flag] = field(default_factory=dict)
    search_shorthands: dict[str, Flag] = field(default_factory=dict)
    parse_flags: dict[str, Flag] = field(default_factory=dict)
    parse_shorthands: dict[str, Flag] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else "kubectl"

    def child(self, word: str) -> Command | None:
        """cobra's findNext: the first sub-command with this name or alias (no prefix matching)."""
        for child in self.children:
            if child.name == word or word in child.aliases:
                return child
        return None


def normalize(name: str) -> str:
    """kubectl's flag-name normalization (component-base cliflag.WordSepNormalizeFunc)."""
    return name.replace("_", "-")


def _flag(raw: dict[str, Any], declared_by: tuple[str, ...]) -> Flag:
    return Flag(
        name=raw["name"],
        shorthand=raw.get("shorthand", ""),
        type=raw["type"],
        takes_value=raw["takes_value"],
        no_opt_default=raw.get("no_opt_default", ""),
        persistent=raw.get("persistent", False),
        hidden=raw.get("hidden", False),
        deprecated=raw.get("deprecated", False),
        declared_by=declared_by,
    )


def _by_shorthand(flags: dict[str, Flag]) -> dict[str, Flag]:
    return {flag.shorthand: flag for flag in flags.values() if flag.shorthand}


class KubectlTable:
    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["kubectl"]
        self.modules: dict[str, str] = data["modules"]
        for sample, normalized in data["normalization"].items():
            if normalize(sample) != normalized:
                raise ValueError(f"kubectl normalizes {sample!r} to {normalized!r}, this module does not")
        self.execute_flags = {raw["name"]: _flag(raw, ()) for raw in data["execute_flags"]}
        self.commands: dict[tuple[str, ...], Command] = {}
        for raw in data["commands"]:
            path = tuple(raw["path"])
            parent = self.commands[path[:-1]] if path else None
            command = Command(
                path=path,
                aliases=tuple(raw.get("aliases", ())),
                hidden=raw.get("hidden", False),
                runnable=raw["runnable"],
                disable_flag_parsing=raw.get("disable_flag_parsing", False),
                command_after_dash=raw.get("command_after_dash", False),
                parent=parent,
                own_flags={flag["name"]: _flag(flag, path) for flag in raw["flags"]},
                inherited=tuple(raw["inherited"]),
            )
            if parent is not None:
                parent.children.append(command)
            self.commands[path] = command
        for command in self.commands.values():
            self._merge(command)
        self.root = self.commands[()]

    def _merge(self, command: Command) -> None:
        flags = dict(command.own_flags)
        for name in command.inherited:
            flags[name] = self._persistent(command, name)
        command.search_flags = flags
        command.search_shorthands = _by_shorthand(flags)
        parsing = {**flags, **{k: v for k, v in self.execute_flags.items() if k not in flags}}
        command.parse_flags = parsing
        command.parse_shorthands = _by_shorthand(parsing)

    @staticmethod
    def _persistent(command: Command, name: str) -> Flag:
        ancestor = command.parent
        while ancestor is not None:
            flag = ancestor.own_flags.get(name)
            if flag is not None and flag.persistent:
                return flag
            ancestor = ancestor.parent
        raise ValueError(f"{command.path}: no ancestor declares the persistent flag {name!r}")

    def walk(self) -> Iterator[Command]:
        yield from self.commands.values()


def pinned_version() -> str:
    """The kubectl version the control plane builds (and the Docker image ships)."""
    for line in VERSIONS.read_text().splitlines():
        if line.startswith("K8S_VERSION="):
            return line.split("=", 1)[1].strip()
    raise TableMissing(f"no K8S_VERSION in {VERSIONS}")


def table_path(version: str) -> Path:
    return TABLES / f"kubectl-{version}.json"


@cache
def kubectl_table() -> KubectlTable:
    path = table_path(pinned_version())
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise TableMissing(f"{path} is missing: run `make kubectl-table`") from exc
    return KubectlTable(data)
