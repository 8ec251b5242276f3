"""How kubectl reads its argument words: cobra finds the command path, pflag parses the flags.

A transcription of the pinned versions' algorithms (cobra v1.9.1 command.go: Find,
stripFlags, argsMinusFirstX, legacyArgs; pflag v1.0.6 flag.go: parseArgs, parseLongArg,
parseSingleShortArg), run over kubectl's own command table, so that the console sees the
very command and flags kubectl will. Their quirks are kept on purpose:

- While cobra looks for the command path, a flag it does not know counts as taking a value:
  `kubectl --cache_dir get proxy` runs `proxy`, with `get` as the value of `--cache-dir`.
- `--help` is unknown to cobra until it executes the command it found.
- Go indexes strings by byte: the words are UTF-8 bytes here too, so `-é` is no short flag
  for cobra (three bytes), as for kubectl.
- A short-flag word that reaches `test.` (`-test.v`, `-itest.v`) is silently ignored by pflag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from challenges.console.table import Command, Flag, KubectlTable


class Problem(StrEnum):
    UNKNOWN = "unknown flag"
    NEEDS_VALUE = "flag needs an argument"
    SYNTAX = "bad flag syntax"
    IGNORED = "ignored by pflag"


@dataclass(frozen=True)
class FlagUse:
    typed: str  # the flag as written: `--from_file`, or `-f` for a letter of `-itf`
    name: str  # kubectl's canonical name; for an unknown flag, the normalized name as typed
    flag: Flag | None  # None: kubectl has no such flag on this command
    value: str | None  # what kubectl sets the flag to; None when it never gets there
    problem: Problem | None = None  # pflag stops at a problem: kubectl refuses the line
    next_word: bool = False  # the value is the word after the flag (`--f v`, `-f v`)


@dataclass
class Reading:
    command: Command
    # cobra stopped at the root on this word, which is no command ("unknown command").
    unknown_command: str | None
    # kubectl's `create` looks for a plugin named after this word (kubectl-create-WORD).
    plugin_subcommand: str | None
    flags: list[FlagUse] = field(default_factory=list)
    positionals: list[str] = field(default_factory=list)
    # How many positionals came before `--` (cobra's ArgsLenAtDash); None without `--`.
    dash_at: int | None = None

    @property
    def after_dash(self) -> list[str]:
        return [] if self.dash_at is None else self.positionals[self.dash_at :]


def _text(word: bytes) -> str:
    return word.decode("utf-8", errors="replace")


def _long(flags: dict[str, Flag], name: bytes) -> Flag | None:
    """pflag's Lookup: through kubectl's normalization (`_` becomes `-`)."""
    return flags.get(_text(name.replace(b"_", b"-")))


def _short(flags: dict[str, Flag], letter: bytes) -> Flag | None:
    """pflag's ShorthandLookup: one byte, never normalized."""
    return flags.get(_text(letter)) if letter.isascii() else None


def _long_takes_value(command: Command, name: bytes) -> bool:
    """cobra's !hasNoOptDefVal: unknown flags take a value."""
    flag = _long(command.search_flags, name)
    return flag is None or flag.takes_value


def _short_takes_value(command: Command, letters: bytes) -> bool:
    """cobra's !shortHasNoOptDefVal, on the first byte."""
    if not letters:
        return True
    flag = _short(command.search_shorthands, letters[:1])
    return flag is None or flag.takes_value


def _skips_next(command: Command, word: bytes) -> bool:
    """Whether cobra, looking for sub-commands, takes the next word as this flag's value."""
    if b"=" in word:
        return False
    if word.startswith(b"--"):
        return _long_takes_value(command, word[2:])
    return word.startswith(b"-") and len(word) == 2 and _short_takes_value(command, word[1:])


def _strip_flags(args: list[bytes], command: Command) -> list[bytes]:
    words: list[bytes] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == b"--":
            break
        if _skips_next(command, word):
            i += 1
        elif word and not word.startswith(b"-"):
            words.append(word)
    return words


def _args_minus_first(args: list[bytes], word: bytes, command: Command) -> list[bytes]:
    i = 0
    while i < len(args):
        current = args[i]
        if current == b"--":
            break
        if _skips_next(command, current):
            i += 2
            continue
        if not current.startswith(b"-") and current == word:
            return args[:i] + args[i + 1 :]
        i += 1
    return args


def find(table: KubectlTable, args: list[bytes]) -> tuple[Command, list[bytes], str | None]:
    """cobra's Find: the command, its arguments, and the unknown word cobra fails on, if any."""
    command = table.root
    while True:
        words = _strip_flags(args, command)
        if not words:
            return command, args, None
        following = command.child(_text(words[0]))
        if following is None:
            # legacyArgs: only the root refuses a word that is no sub-command.
            return command, args, _text(words[0]) if command.parent is None else None
        args = _args_minus_first(args, words[0], command)
        command = following


def _parse_long(command: Command, word: bytes, rest: list[bytes]) -> tuple[FlagUse, int]:
    """pflag's parseLongArg: the flag, and how many of the following words it took."""
    name = word[2:]
    if name[:1] in (b"-", b"="):
        return FlagUse(_text(word), _text(name), None, None, Problem.SYNTAX), 0
    name, eq, value = name.partition(b"=")
    typed = _text(b"--" + name)
    flag = _long(command.parse_flags, name)
    if flag is None:
        return FlagUse(typed, _text(name.replace(b"_", b"-")), None, None, Problem.UNKNOWN), 0
    if eq:
        return FlagUse(typed, flag.name, flag, _text(value)), 0
    if not flag.takes_value:
        return FlagUse(typed, flag.name, flag, flag.no_opt_default), 0
    if rest:
        return FlagUse(typed, flag.name, flag, _text(rest[0]), next_word=True), 1
    return FlagUse(typed, flag.name, flag, None, Problem.NEEDS_VALUE), 0


def _parse_short(command: Command, word: bytes, rest: list[bytes]) -> tuple[list[FlagUse], int]:
    """pflag's parseShortArg: a cluster of letters (`-it`, `-nfoo`, `-n=foo`, `-n foo`)."""
    uses: list[FlagUse] = []
    letters = word[1:]
    while letters:
        if letters.startswith(b"test."):
            uses.append(FlagUse(_text(b"-" + letters), _text(letters), None, None, Problem.IGNORED))
            return uses, 0
        letter = letters[:1]
        typed = _text(b"-" + letter)
        flag = _short(command.parse_shorthands, letter)
        if flag is None:
            uses.append(FlagUse(typed, _text(letter), None, None, Problem.UNKNOWN))
            return uses, 0
        if len(letters) > 2 and letters[1:2] == b"=":
            uses.append(FlagUse(typed, flag.name, flag, _text(letters[2:])))
            return uses, 0
        if not flag.takes_value:
            uses.append(FlagUse(typed, flag.name, flag, flag.no_opt_default))
            letters = letters[1:]
            continue
        if len(letters) > 1:
            uses.append(FlagUse(typed, flag.name, flag, _text(letters[1:])))
            return uses, 0
        if rest:
            uses.append(FlagUse(typed, flag.name, flag, _text(rest[0]), next_word=True))
            return uses, 1
        uses.append(FlagUse(typed, flag.name, flag, None, Problem.NEEDS_VALUE))
        return uses, 0
    return uses, 0


def read(table: KubectlTable, words: list[str]) -> Reading:
    """What kubectl makes of `kubectl WORDS...`: the command it runs and the flags it sets."""
    args = [word.encode("utf-8") for word in words]
    command, args, unknown = find(table, args)
    plugin = None
    # kubectl's main looks for a `kubectl-create-WORD` plugin when `create` is followed by a
    # word that is none of its sub-commands' names (cmd.go, IsSubcommandPluginAllowed).
    if (
        command.name == "create"
        and args
        and not args[0].startswith(b"-")
        and not any(child.name == _text(args[0]) for child in command.children)
    ):
        plugin = _text(args[0])
    reading = Reading(command=command, unknown_command=unknown, plugin_subcommand=plugin)
    if unknown is not None or command.disable_flag_parsing:
        reading.positionals.extend(_text(arg) for arg in args)
        return reading
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if len(word) <= 1 or not word.startswith(b"-"):
            reading.positionals.append(_text(word))
            continue
        if word == b"--":
            reading.dash_at = len(reading.positionals)
            reading.positionals.extend(_text(arg) for arg in args[i:])
            break
        if word.startswith(b"--"):
            use, taken = _parse_long(command, word, args[i:])
            uses = [use]
        else:
            uses, taken = _parse_short(command, word, args[i:])
        i += taken
        reading.flags.extend(uses)
        if uses and uses[-1].problem not in (None, Problem.IGNORED):
            break  # pflag stops at its first error, and kubectl runs nothing
    return reading
