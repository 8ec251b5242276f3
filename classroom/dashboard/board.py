"""The instructor's dashboard: a grid of learners × assigned challenges, the summary of each row
and column, the stats bar, sorting and the "stuck" filter.

Every instructor's open page polls it every 3 s, so it runs a fixed number of queries whatever
the class size (assignments, memberships, attempts, and check runs aggregated per attempt by the
database) and folds them in Python. A poll first asks `dashboard_version` (a few aggregates):
when nothing moved since the grid the page shows, the grid is not built at all.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.contrib.auth.models import User
from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone

from challenges.models import Attempt, Challenge, CheckRun
from classroom.dashboard.cells import (
    ACTIVE_STATES,
    AttemptRow,
    Cell,
    CellState,
    attempt_rows,
    cell_fold,
    check_aggregates,
)
from classroom.models import Assignment, Classroom, Membership

# How often the grid is rebuilt even when nothing was recorded: "stuck" is a matter of time.
QUIET_REFRESH_SECONDS = 30


@dataclass
class Summary:
    """A row's or a column's figures."""

    solved: int = 0
    of: int = 0
    median_time: timedelta | None = None
    failing_title: str = ""  # the objective that failed most often
    failing_count: int = 0
    stuck: int = 0
    active: int = 0


@dataclass
class Column:
    assignment: Assignment
    summary: Summary

    @property
    def challenge(self) -> Challenge:
        return self.assignment.challenge


@dataclass
class Row:
    learner: User
    cells: list[Cell]
    summary: Summary

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells)

    @property
    def stuck(self) -> bool:
        return any(c.stuck for c in self.cells)


class Sort(StrEnum):
    NAME = "name"
    PROGRESS = "progress"  # most progress first
    NEEDS_HELP = "needs-help"  # least progress first


@dataclass
class Dashboard:
    classroom: Classroom
    columns: list[Column]
    rows: list[Row]
    learners: int  # before filtering
    stuck_learners: int
    solved_cells: int
    active_cells: int
    generated_at: datetime

    @property
    def cell_count(self) -> int:
        return self.learners * len(self.columns)


@dataclass
class Objectives:
    """The assigned challenges' objectives, by (challenge id, key): their titles and order."""

    titles: dict[tuple[int, str], str]
    order: dict[tuple[int, str], int]

    @classmethod
    def of(cls, challenges: Iterable[Challenge]) -> Objectives:
        titles, order = {}, {}
        for challenge in challenges:
            for i, objective in enumerate(challenge.objectives or []):
                key = (challenge.pk, objective.get("key", ""))
                titles[key] = objective.get("title") or key[1]
                order[key] = i
        return cls(titles=titles, order=order)


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _summarize(cells: Iterable[Cell], objectives: Objectives, of: int) -> Summary:
    summary = Summary(of=of)
    times: list[timedelta] = []
    failing: Counter[tuple[int, str]] = Counter()
    for cell in cells:
        if cell.state == CellState.SOLVED:
            summary.solved += 1
            if cell.best_time is not None:
                times.append(cell.best_time)
        elif cell.state in ACTIVE_STATES:
            summary.active += 1
        summary.stuck += cell.stuck
        if cell.failing:
            challenge_id = cell.challenge_id
            for key, count in cell.failing.items():
                failing[(challenge_id, key)] += count
    summary.median_time = _median(times)
    if failing:
        # Most failures first; ties go to the objective listed first in its challenge.
        (cid, key), count = min(
            failing.items(), key=lambda kv: (-kv[1], objectives.order.get(kv[0], 999), kv[0])
        )
        summary.failing_title = objectives.titles.get((cid, key), key)
        summary.failing_count = count
    return summary


def _class_attempts(classroom: Classroom) -> QuerySet[Attempt]:
    """The attempts of the classroom's learners at its assigned challenges (any other stays out)."""
    learner_ids = Membership.objects.filter(classroom=classroom).values("learner_id")
    challenge_ids = Assignment.objects.filter(classroom=classroom).values("challenge_id")
    return Attempt.objects.filter(learner_id__in=learner_ids, challenge_id__in=challenge_ids)


def dashboard_version(*, classroom: Classroom, now: datetime | None = None) -> str:
    """A short fingerprint of everything the grid shows, from four aggregate queries.

    Every change of an attempt's state stamps one of its timestamps, a check run that finishes
    stamps `finished_at`, hints add up in `hints_unlocked`: when none of these moved, the grid
    has nothing new, and a poll can be answered without building it.
    """
    now = now or timezone.now()
    attempts = _class_attempts(classroom)
    parts: list[object] = [
        int(now.timestamp()) // QUIET_REFRESH_SECONDS,
        sorted(classroom.memberships.values_list("learner_id", flat=True)),
        list(classroom.assignments.order_by("created_at", "pk").values_list("challenge_id", "due_at")),
        sorted(
            attempts.aggregate(
                n=Count("pk"),
                hints=Sum("hints_unlocked"),
                provisioning=Max("provisioning_at"),
                ready=Max("ready_at"),
                solved=Max("solved_at"),
                ended=Max("ended_at"),
                destroyed=Max("destroyed_at"),
                last=Max("pk"),
            ).items()
        ),
        sorted(
            CheckRun.objects.filter(attempt_id__in=attempts.values("pk"))
            .aggregate(n=Count("pk"), last=Max("pk"), finished=Max("finished_at"))
            .items()
        ),
    ]
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def dashboard(
    *,
    classroom: Classroom,
    sort: Sort = Sort.NAME,
    stuck_only: bool = False,
    now: datetime | None = None,
) -> Dashboard:
    now = now or timezone.now()
    assignments = list(
        classroom.assignments.select_related("challenge")
        .defer("challenge__description", "challenge__initial_situation", "challenge__hints")
        .order_by("created_at", "pk")
    )
    learners = [
        m.learner for m in classroom.memberships.select_related("learner").order_by("learner__username", "pk")
    ]
    attempts = _class_attempts(classroom)
    by_pair: dict[tuple[int, int], list[AttemptRow]] = defaultdict(list)
    for row in attempt_rows(attempts):
        by_pair[(row.learner_id, row.challenge_id)].append(row)
    checks = check_aggregates(attempts)

    objectives = Objectives.of(a.challenge for a in assignments)
    rows: list[Row] = []
    for learner in learners:
        cells = []
        for assignment in assignments:
            cell = Cell(
                learner_id=learner.pk, challenge=assignment.challenge, challenge_id=assignment.challenge_id
            )
            pair = by_pair.get((learner.pk, assignment.challenge_id))
            cells.append(cell_fold(cell, pair, checks, now) if pair else cell)
        rows.append(
            Row(learner=learner, cells=cells, summary=_summarize(cells, objectives, len(assignments)))
        )
    columns = [
        Column(assignment=a, summary=_summarize((r.cells[i] for r in rows), objectives, len(rows)))
        for i, a in enumerate(assignments)
    ]
    stuck_learners = sum(1 for r in rows if r.stuck)
    solved_cells = sum(c.summary.solved for c in columns)
    active_cells = sum(c.summary.active for c in columns)
    total = len(rows)
    if stuck_only:
        rows = [r for r in rows if r.stuck]
    if sort == Sort.PROGRESS:
        rows.sort(key=lambda r: (-r.summary.solved, -r.score, r.learner.username))
    elif sort == Sort.NEEDS_HELP:
        rows.sort(key=lambda r: (r.summary.solved, r.score, not r.stuck, r.learner.username))
    return Dashboard(
        classroom=classroom,
        columns=columns,
        rows=rows,
        learners=total,
        stuck_learners=stuck_learners,
        solved_cells=solved_cells,
        active_cells=active_cells,
        generated_at=now,
    )
