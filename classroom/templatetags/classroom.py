"""How the classroom's pages word and draw what the views hand them. Nothing here reads the database."""

from __future__ import annotations

import functools
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from challenges.formats import duration
from challenges.models import AttemptEvent
from classroom.actions import Action
from classroom.dashboard.attempts import CellState
from classroom.dashboard.board import Delta
from classroom.dashboard.grid import Cell, Row

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
    Action.HINT: "Give the next hint (free)",
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

# The grid is drawn here rather than in the template: a class of 200 × 20 has 4,000 cells, and
# the template engine's per-variable cost made them most of the page's time. Every value is
# escaped. The ids are what a poll's out-of-band swaps aim at (classroom/dashboard/board.py):
# c<learner>-<challenge> a cell, h<learner> a row's head, s<learner> its summary.


# A cell's markup but for its id, slug and link, by what it shows: a grid has few distinct
# ones (a state, checks passing, a best time), so each is worded and escaped once per process.
# Bounded: past MOST_FACES distinct faces, it starts over.
_FACES: dict[tuple[object, ...], tuple[str, str, str]] = {}
MOST_FACES = 8192


def _face(cell: Cell) -> tuple[str, str, str]:
    # What the text depends on, without wording it: the best time as `duration` shows it (whole
    # seconds); the state, passed and total for the rest.
    best = int(cell.best_time.total_seconds()) if cell.best_time is not None else None
    key = (cell.state, best, cell.passed, cell.total, cell.stuck, cell.attempts, cell.hints_used)
    face = _FACES.get(key)
    if face is None:
        text = cell_text(cell)
        state = cell.state.value
        meter = ""
        if cell.total and cell.state != CellState.SOLVED:
            meter = f'<span class="meter"><span style="width: {cell.percent}%"></span></span>'
        face = (
            f' class="cell cell-{state}{" is-stuck" if cell.stuck else ""}" data-challenge="',
            f'" data-state="{state}"><a href="',
            f'/" title="{esc(cell_title(cell))}">{esc(text)}{meter}</a></td>',
        )
        if len(_FACES) >= MOST_FACES:
            _FACES.clear()
        _FACES[key] = face
    return face


def _cell(cell: Cell, base: str, slug: str, oob: str) -> str:
    classes, state, link = _face(cell)
    return f'<td id="c{cell.learner_id}-{cell.challenge_id}"{oob}{classes}{slug}{state}{base}{slug}{link}'


def _row_head(row: Row, stuck_only: bool, oob: str) -> str:
    learner = row.learner
    stuck = row.stuck
    tag = (
        ' <span class="stuck-tag" title="Over the estimate with no progress in the checks">stuck</span>'
        if stuck
        else ""
    )
    # Under the filter, the page tells its poll which rows it shows (dashboard/board.py).
    shown = f'<input type="hidden" name="shown" value="{learner.pk}">' if stuck_only else ""
    return (
        f'<th id="h{learner.pk}"{oob} class="row-head{" is-stuck" if stuck else ""}" scope="row" '
        f'data-name="{esc(learner.username)}" data-solved="{row.summary.solved}" data-score="{row.score}" '
        f'data-stuck="{1 if stuck else 0}">{esc(learner.username)}{tag}{shown}</th>'
    )


def _row_sum(row: Row, oob: str) -> str:
    summary = row.summary
    width = round(100 * summary.solved / summary.of) if summary.of else 0
    median = f" · {duration(summary.median_time)}" if summary.median_time else ""
    failing = ""
    if summary.failing_title:
        title = esc(summary.failing_title)
        failing = (
            f'<span class="row-fail" title="Most often failing for {esc(row.learner.username)}: {title}">'
            f"✗ {title}</span>"
        )
    return (
        f'<td id="s{row.learner.pk}"{oob} class="row-sum"><span class="bar" title="{summary.solved} of '
        f'{summary.of} solved"><span style="width: {width}%"></span></span>'
        f"<span><b>{summary.solved}</b>/{summary.of}{median}</span>{failing}</td>"
    )


def _base(drill_base: str, row: Row) -> str:
    return f"{esc(drill_base)}{row.learner.pk}/"


@register.simple_tag
def board_row(row: Row, drill_base: str, stuck_only: bool = False) -> SafeString:
    """One row of the dashboard grid: its head, its summary and its cells."""
    base = _base(drill_base, row)
    cells = "".join(_cell(cell, base, esc(cell.challenge.slug), "") for cell in row.cells)
    return mark_safe(  # noqa: S308 -- every interpolated value is escaped above
        f'<tr id="r{row.learner.pk}" data-learner="{esc(row.learner.username)}">'
        f"{_row_head(row, stuck_only, '')}{_row_sum(row, '')}{cells}</tr>"
    )


OOB = ' hx-swap-oob="true"'


@register.simple_tag
def board_delta(delta: Delta, drill_base: str, stuck_only: bool = False) -> SafeString:
    """A poll's changed rows (heads, summaries) and cells, each to swap in place by its id.

    Each is wrapped in a <template>: a table cell cannot stand alone in an HTML fragment, and
    htmx takes out-of-band swaps out of templates."""
    parts = []
    for row in delta.rows:
        parts.append(f"<template>{_row_head(row, stuck_only, OOB)}{_row_sum(row, OOB)}</template>")
    for row, cell in delta.cells:
        parts.append(
            f"<template>{_cell(cell, _base(drill_base, row), esc(cell.challenge.slug), OOB)}</template>"
        )
    return mark_safe("".join(parts))  # noqa: S308 -- every interpolated value is escaped above
