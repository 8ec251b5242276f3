"""What the console says when it will not run a line: one category and one message each.

Every message says what is wrong and what to do instead, in the learner's words. The rules
that decide which message applies live in `rules` (data) and `policy` (the checks).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    SHELL = "shell syntax"
    TOO_LONG = "overlong command lines"
    CHARACTERS = "control characters and look-alike characters"
    OTHER_PROGRAMS = "programs other than kubectl"
    PLUGINS = "kubectl plugins and unknown commands"
    COMMANDS = "kubectl commands the console does not offer"
    FLAGS = "flags kubectl does not know, and flags the console does not offer"
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


EDITOR = "Use the editor beside the console: load the object, change it, look at the diff and apply it."


def command_line(path: tuple[str, ...]) -> str:
    return " ".join(("kubectl", *path))


# --- flags ---------------------------------------------------------------------------------------


def identity(flag: str, what: str) -> Refusal:
    return Refusal(
        Category.IDENTITY,
        f"`{flag}` {what}. The console always acts as you, with the credentials of your environment.",
    )


def target(flag: str, what: str) -> Refusal:
    return Refusal(
        Category.TARGET,
        f"`{flag}` {what}. The console always talks to your environment's API server, the way "
        "its kubeconfig says.",
    )


def local(flag: str, what: str) -> Refusal:
    return Refusal(Category.LOCAL_FILES, f"`{flag}` {what} on the Breakfix server, not on your computer.")


def local_file_refusal(flag: str) -> Refusal:
    return local(flag, "reads or writes files")


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


def output_file_refusal(output_format: str) -> Refusal:
    return local(f"-o {output_format}", "reads a template file")


def output_format_refusal(value: str, allowed: list[str]) -> Refusal:
    return Refusal(
        Category.FLAGS,
        f"`-o {value}` is not an output format the console offers. Use one of "
        f"{', '.join(allowed)}: `-o wide`, `-o yaml` or `-o jsonpath='{{.status}}'`, for example.",
    )


def unknown_flag_refusal(flag: str, path: tuple[str, ...]) -> Refusal:
    return Refusal(
        Category.FLAGS,
        f"`{command_line(path)}` has no flag `{flag}`. `{command_line(path)} --help` lists its flags.",
    )


def flag_not_offered_refusal(flag: str, path: tuple[str, ...]) -> Refusal:
    return Refusal(
        Category.FLAGS,
        f"The console does not offer `{flag}` on `{command_line(path)}`. Leave it out; "
        f"`{command_line(path)} --help` says what each of its flags does.",
    )


def flag_syntax_refusal(word: str) -> Refusal:
    return Refusal(
        Category.FLAGS,
        f"`{word}` is not a flag kubectl can read. Write a flag as `--name=value`, `--name value` "
        "or `-n value`.",
    )


def flag_needs_value_refusal(flag: str) -> Refusal:
    return Refusal(Category.FLAGS, f"`{flag}` needs a value: `{flag}=VALUE` or `{flag} VALUE`.")


def flag_as_value_refusal(flag: str, value: str) -> Refusal:
    return Refusal(
        Category.FLAGS,
        f"`{flag}` takes the next word as its value, and the next word is `{value}`. Give "
        f"`{flag}` its value first (`{flag}=VALUE`), or leave it out.",
    )


def streaming_refusal(flag: str, path: tuple[str, ...]) -> Refusal:
    hint = " (try `--tail=50`)" if path == ("logs",) else ""
    return Refusal(
        Category.CONNECTION,
        f"`{command_line(path)} {flag}` keeps streaming until someone stops it; the console shows "
        f"one answer per command. Run it again to see what changed{hint}.",
    )


LEADING_DASHES = Refusal(
    Category.FLAGS,
    "A line cannot start with `--`: it ends kubectl's flags before the command is named. Type "
    "the command first: `kubectl get pods`.",
)


def no_command_after_dashes_refusal(path: tuple[str, ...]) -> Refusal:
    return Refusal(
        Category.FLAGS,
        f"`{command_line(path)}` runs no command after `--`: kubectl would read every word after it "
        "as a name. Remove the `--`; only `kubectl exec POD -- COMMAND` and `kubectl run` take one.",
    )


# --- namespaces ----------------------------------------------------------------------------------


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


# --- commands ------------------------------------------------------------------------------------


def unknown_command_refusal(word: str, *, said_kubectl: bool) -> Refusal:
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


def unknown_subcommand_refusal(word: str, path: tuple[str, ...]) -> Refusal:
    return Refusal(
        Category.PLUGINS,
        f"`{command_line(path)} {word}` is not a kubectl command, and kubectl plugins are not "
        f"available in the console. `{command_line(path)} --help` lists what it can create.",
    )


def command_not_offered_refusal(path: tuple[str, ...]) -> Refusal:
    return Refusal(
        Category.COMMANDS,
        f"The console does not offer `{command_line(path)}`. `kubectl help` lists the commands; "
        "the console runs the ones that inspect and repair what is in your environment.",
    )


# --- characters and shell syntax -----------------------------------------------------------------


def _character_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '').title()}".rstrip()


def control_character_refusal(ch: str) -> Refusal:
    what = "a NUL byte" if ch == "\0" else f"the control character {_character_name(ch)}"
    return Refusal(
        Category.CHARACTERS,
        f"The line holds {what}, which a terminal does not send and kubectl does not need. "
        "Type the command again in plain text.",
    )


def invisible_character_refusal(ch: str) -> Refusal:
    return Refusal(
        Category.CHARACTERS,
        f"The line holds an invisible character ({_character_name(ch)}), often left over from a "
        "copied web page. Type the command again in plain text.",
    )


def space_character_refusal(ch: str) -> Refusal:
    return Refusal(
        Category.CHARACTERS,
        f"The line holds a space that is not a plain space ({_character_name(ch)}), often left "
        "over from a copied web page. Type the spaces again with the space bar.",
    )


def dash_character_refusal(word: str, ch: str) -> Refusal:
    return Refusal(
        Category.CHARACTERS,
        f"`{word}` starts with {_character_name(ch)}, which looks like a dash but is not one; "
        "word processors and web pages turn `--` into it. Type a plain `-` instead.",
    )


TAB_IN_QUOTES = Refusal(
    Category.CHARACTERS,
    "A quoted argument holds a tab character, which nothing in kubectl needs. Use spaces instead.",
)

# Characters a shell acts on when they are not quoted.
SHELL_METACHARACTERS = frozenset("|&;<>()`")

# What a shell would have done with these, so the learner knows why they do nothing here.
SHELL: dict[str, Refusal] = {
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
SHELL["<"] = SHELL[">"]
SHELL["&"] = SHELL[";"]
SHELL["`"] = SHELL["$("]
SHELL["("] = Refusal(
    Category.SHELL,
    "The console runs one kubectl command without a shell: no subshells `( )`. Quote the "
    "parentheses if they belong in an argument (a set-based label selector, for example).",
)
SHELL[")"] = SHELL["("]

EMPTY = Refusal(Category.SHELL, "Type a kubectl command, for example `kubectl get pods`.")


def too_long_refusal(limit: int) -> Refusal:
    return Refusal(
        Category.TOO_LONG,
        f"A console command is at most {limit:,} characters. Put manifests in the editor beside the console.",
    )
