import functools
from html import escape

from django import template
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.safestring import SafeString, mark_safe

from classroom import selectors
from classroom.selectors import CellState, JoinedClassroom, Row

register = template.Library()


@register.simple_tag
def joined_classrooms(user: AbstractBaseUser | AnonymousUser) -> list[JoinedClassroom]:
    """For `classroom/_profile_classrooms.html`, which any page can include without extra context."""
    return selectors.learner_classrooms(learner=user)


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
            f'data-state="{state}"><a href="{base}{slug}/" title="{esc(cell.title)}">'
            f"{esc(cell.text)}{meter}</a></td>"
        )
    return mark_safe("".join(parts))  # noqa: S308 -- every interpolated value is escaped above
