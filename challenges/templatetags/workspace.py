"""How the workspace's panels word what the attempt page's view hands them (challenges.workspace).

Filters only: nothing here reads the database or a secret.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from challenges.console.rules import KUBECTL_NAMES

register = template.Library()


@register.filter
def as_kubectl(line: str) -> str:
    """A console line as kubectl runs it: the leading word `kubectl` is optional when typing."""
    words = line.strip().split(maxsplit=1)
    if words and words[0] in KUBECTL_NAMES:
        return f"kubectl {words[1]}" if len(words) > 1 else "kubectl"
    return f"kubectl {line.strip()}"


@register.filter
def split(value: str, separator: str) -> list[str]:
    return value.split(separator)


_CODE = re.compile(r"`([^`]+)`")


@register.filter
def inline_code(text: str) -> SafeString:
    """Plain text with `backquoted` words shown as code (the console's refusal messages)."""
    return mark_safe(_CODE.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S308 -- escaped first
