"""What the console panel shows, built for the view (templates only render it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from challenges.console.services import console_history
from challenges.models import Attempt, ConsoleCommand

# The page shows the latest commands; every command stays stored with the attempt.
SHOWN_COMMANDS = 50
# ↑ and ↓ walk back through this many of the attempt's lines, from the stored history.
RECALLED_LINES = 200


@dataclass(frozen=True)
class ConsolePanel:
    commands: list[ConsoleCommand]  # the latest, oldest first
    recall: list[str]  # what ↑ brings back, oldest first, without repeats in a row
    watch_seconds: int
    timeout_seconds: int


def console_panel(*, attempt: Attempt) -> ConsolePanel:
    lines = list(
        attempt.console_commands.order_by("-created_at", "-pk").values_list("command", flat=True)[
            :RECALLED_LINES
        ]
    )
    recall: list[str] = []
    for line in reversed(lines):
        if not recall or recall[-1] != line:
            recall.append(line)
    return ConsolePanel(
        commands=console_history(attempt=attempt, limit=SHOWN_COMMANDS),
        recall=recall,
        watch_seconds=settings.BREAKFIX_CONSOLE_WATCH_SECONDS,
        timeout_seconds=settings.BREAKFIX_CONSOLE_TIMEOUT_SECONDS,
    )
