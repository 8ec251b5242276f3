"""How the classroom's pages word and draw what the views hand them. Nothing here reads the database."""

from __future__ import annotations

import functools
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from challenges.formats import duration
from challenges.models import AttemptEvent
from classroom.actions import Action
from classroom.dashboard.board import Row
from classroom.dashboard.cells import Cell, CellState

register = template.Library()

CELL_LABELS = {
    CellState.NOT_STARTED: "Not started",
    CellState.PROVISIONING: "Provisioning",
    CellState.WORKING: "Working",
    CellState.CHECKING: "Checks passing",
    CellState.SOLVED: "Solved",
    CellState.FAILED: "Failed",
    CellState.EXPIRED: "Expired",
    CellState.ENDED: "Ended",
}


ACTION_LABELS = {
    Action.EXTEND: "Extend time",
    Action.RESET: "Reset environment",
    Action.END: "End environment",
}


@register.filter
def cell_label(state: CellState) -> str:
    return CELL_LABELS[CellState(state)]


@register.filter
def event_title(kind: str) -> str:
    """What the timeline calls an event: its kind's label (AttemptEvent.Kind)."""
    if kind in AttemptEvent.Kind.values:
        return str(AttemptEvent.Kind(kind).label)
    return kind.replace("_", " ").capitalize()


@register.filter
def action_label(action: Action) -> str:
    return ACTION_LABELS[Action(action)]


def cell_text(cell: Cell) -> str:
    """What a cell shows: the best time once solved, the checks passing while working."""
    if cell.state == CellState.SOLVED:
        return f"✓ {duration(cell.best_time)}"
    if cell.state == CellState.CHECKING:
        return f"{cell.passed} of {cell.total} checks"
    if cell.state == CellState.NOT_STARTED:
        return "—"
    return CELL_LABELS[cell.state]


def cell_title(cell: Cell) -> str:
    """A cell's tooltip: its state, whether it is stuck, attempts and hints."""
    parts = [CELL_LABELS[cell.state]]
    if cell.state == CellState.CHECKING:
        parts = [f"Checks passing {cell.passed} of {cell.total}"]
    if cell.stuck:
        parts.append("stuck: over the estimate with no progress")
    if cell.attempts:
        parts.append(f"{cell.attempts} attempt{'s' if cell.attempts != 1 else ''}")
        parts.append(f"{cell.hints_used} hint{'s' if cell.hints_used != 1 else ''}")
    return " · ".join(parts)


# A grid has few distinct texts and titles ("—", "1 of 2 checks", …): escape each once.
esc = functools.lru_cache(maxsize=8192)(escape)


@register.simple_tag
def board_cells(row: Row, drill_base: str) -> SafeString:
    """One row's cells of the dashboard grid.

    Built here rather than in the template: a class of 200 × 20 has 4,000 cells, and the
    template engine's per-variable cost made them most of the poll's time. Every value is
    escaped.
    """
    base = f"{esc(drill_base)}{row.learner.pk}/"
    parts = []
    for cell in row.cells:
        state = cell.state.value
        slug = esc(cell.challenge.slug)
        meter = ""
        if cell.total and cell.state != CellState.SOLVED:
            meter = f'<span class="meter"><span style="width: {cell.percent}%"></span></span>'
        parts.append(
            f'<td class="cell cell-{state}{" is-stuck" if cell.stuck else ""}" data-challenge="{slug}" '
            f'data-state="{state}"><a href="{base}{slug}/" title="{esc(cell_title(cell))}">'
            f"{esc(cell_text(cell))}{meter}</a></td>"
        )
    return mark_safe("".join(parts))  # noqa: S308 -- every interpolated value is escaped above
