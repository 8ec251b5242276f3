"""From a typed line to kubectl's argument words, the way a POSIX shell splits them.

Quotes and backslashes work as in a shell, but nothing a shell would expand or run is
honoured: unquoted pipes, redirections, `;`, `&&`, `$(...)` and variables are refused with a
message saying so, instead of being passed to kubectl as text. Characters a terminal would not
send (NUL and the other control characters, invisible formatting characters) are refused
before anything else, and so are look-alike dashes at the start of a flag.
"""

from __future__ import annotations

import unicodedata

from challenges.console import refusals
from challenges.console.refusals import Refusal


class Refused(Exception):
    """The console will not run this line; `refusal` says why, in the learner's words."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


# Characters that look like `-` and that editors and web pages put where `-` or `--` was typed.
DASHES = frozenset(
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u00ad\u02d7\u2796"
)


def check_characters(line: str) -> None:
    """Refuse what no terminal sends: control, invisible and odd space characters.

    A tab between words is whitespace, as in a shell; a tab inside quotes is refused by `split`.
    """
    for ch in line:
        if ch.isascii() and (ch.isprintable() or ch == "\t"):
            continue
        if ch in "\n\r":
            raise Refused(refusals.SHELL["newline"])
        kind = unicodedata.category(ch)
        if kind in ("Cc", "Cs"):
            raise Refused(refusals.control_character_refusal(ch))
        if kind in ("Cf", "Zl", "Zp"):
            raise Refused(refusals.invisible_character_refusal(ch))
        if kind == "Zs":
            raise Refused(refusals.space_character_refusal(ch))


def check_dashes(words: list[str]) -> None:
    """A word that starts with a look-alike dash, or a flag whose name holds one, was meant as a flag."""
    for word in words:
        if word[:1] in DASHES:
            raise Refused(refusals.dash_character_refusal(word, word[0]))
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            for ch in name:
                if ch in DASHES:
                    raise Refused(refusals.dash_character_refusal(name, ch))


_ESCAPED = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})


def printable(line: str) -> str:
    """The line with every control or invisible character written as an escape, for storing.

    PostgreSQL's text columns refuse NUL, and the history shows what was typed.
    """
    return "".join(
        ascii(ch)[1:-1] if ch != " " and unicodedata.category(ch) in _ESCAPED else ch for ch in line
    )


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
        raise Refused(refusals.SHELL["newline"])
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote and ch == "\t":
            raise Refused(refusals.TAB_IN_QUOTES)
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
                raise Refused(refusals.SHELL["`"])
            elif ch == "$" and (kind := _expansion(line, i)):
                raise Refused(refusals.SHELL[kind])
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
            if line[i + 1 : i + 2] == "\t":
                raise Refused(refusals.TAB_IN_QUOTES)
            current.append(line[i + 1 : i + 2])
            i += 2
            continue
        if ch in ("'", '"'):
            quote = ch
        elif ch == "$" and (kind := _expansion(line, i)):
            raise Refused(refusals.SHELL[kind])
        elif ch in refusals.SHELL_METACHARACTERS:
            raise Refused(refusals.SHELL[ch])
        else:
            current.append(ch)
        i += 1
    if quote:
        raise Refused(refusals.SHELL["quote"])
    if in_token:
        tokens.append("".join(current))
    return tokens
