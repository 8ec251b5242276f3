"""Reads: who may see a classroom, the dashboard grid, a learner's timeline, the exports.

The dashboard is read every 3 s by every instructor's open page, so it runs a fixed number of
queries whatever the class size (assignments, memberships, attempts, and check runs grouped per
attempt) and aggregates in Python. A poll first asks `dashboard_version` (four aggregates):
when nothing moved since the grid the page shows, the grid is not built at all.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from challenges.models import Attempt, AttemptEvent, Challenge, CheckRun, ConsoleCommand, HintUnlock, Status
from challenges.selectors import Progress, ProgressStatus, progress_by_challenge
from challenges.templatetags.breakfix import duration
from classroom.models import Assignment, Classroom, Membership

# "Stuck": working for longer than the challenge's estimate, and the checks have not improved
# for this long (or never passed anything).
NO_PROGRESS_WINDOW = timedelta(minutes=10)


# --- access -------------------------------------------------------------------------------------


class Role(StrEnum):
    INSTRUCTOR = "instructor"  # runs the classroom: sees everything, acts on environments
    STAFF = "staff"  # operators: see every classroom, read-only
    LEARNER = "learner"  # joined: sees the classroom's assignments, nothing about others


def can_instruct(user: AbstractBaseUser | AnonymousUser) -> bool:
    return isinstance(user, User) and user.has_perm("classroom.instruct")


def classroom_role(*, classroom: Classroom, user: AbstractBaseUser | AnonymousUser) -> Role | None:
    if not user.is_authenticated:
        return None
    if classroom.instructor_id == user.pk and can_instruct(user):
        # Owning a classroom is not enough: whoever lost the permission no longer runs it.
        return Role.INSTRUCTOR
    if getattr(user, "is_staff", False):
        return Role.STAFF
    if Membership.objects.filter(classroom=classroom, learner_id=user.pk).exists():
        return Role.LEARNER
    return None


def classroom_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Classroom]:
    """The classrooms a user runs: their own; staff see them all."""
    classrooms = Classroom.objects.select_related("instructor")
    if getattr(user, "is_staff", False):
        return classrooms.all()
    return classrooms.filter(instructor_id=user.pk)


# --- the learner's side -------------------------------------------------------------------------


@dataclass
class AssignmentProgress:
    assignment: Assignment
    progress: Progress

    @property
    def challenge(self) -> Challenge:
        return self.assignment.challenge

    @property
    def late(self) -> bool:
        return self.progress.status != ProgressStatus.SOLVED and self.assignment.overdue()


@dataclass
class JoinedClassroom:
    classroom: Classroom
    joined_at: datetime
    assignments: list[AssignmentProgress]

    @property
    def solved(self) -> int:
        return sum(1 for a in self.assignments if a.progress.status == ProgressStatus.SOLVED)


def learner_classrooms(*, learner: AbstractBaseUser | AnonymousUser) -> list[JoinedClassroom]:
    """The classrooms a learner joined, each assignment with its due date and the learner's status."""
    if not learner.is_authenticated:
        return []
    memberships = list(
        Membership.objects.filter(learner_id=learner.pk)
        .select_related("classroom", "classroom__instructor")
        .order_by("-joined_at")
    )
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in Assignment.objects.filter(
        classroom_id__in=[m.classroom_id for m in memberships]
    ).select_related("challenge"):
        assignments[assignment.classroom_id].append(assignment)
    progress = progress_by_challenge(learner=learner)
    return [
        JoinedClassroom(
            classroom=m.classroom,
            joined_at=m.joined_at,
            assignments=[
                AssignmentProgress(assignment=a, progress=progress.get(a.challenge_id, Progress()))
                for a in sorted(assignments[m.classroom_id], key=lambda a: (a.due_at is None, a.due_at, a.pk))
            ],
        )
        for m in memberships
    ]


# --- the dashboard ------------------------------------------------------------------------------


class CellState(StrEnum):
    NOT_STARTED = "not-started"
    PROVISIONING = "provisioning"
    WORKING = "working"
    CHECKING = "checking"  # working, and the checks pass N of M
    SOLVED = "solved"
    FAILED = "failed"
    EXPIRED = "expired"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return CELL_LABELS[self]


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


class AttemptRow(NamedTuple):
    """The little of an attempt the grid needs, read without building model instances."""

    id: int
    learner_id: int
    challenge_id: int
    status: str
    started_at: datetime  # ready, or requested when it never got ready
    solved_at: datetime | None
    ended_at: datetime | None
    expires_at: datetime | None
    hints_unlocked: int
    failed: bool


ATTEMPT_FIELDS = (
    "id",
    "learner_id",
    "challenge_id",
    "status",
    "started_at",
    "solved_at",
    "ended_at",
    "expires_at",
    "hints_unlocked",
    "failed",
)


def _attempt_rows(attempts: QuerySet[Attempt]) -> Iterator[AttemptRow]:
    rows = attempts.annotate(
        started_at=Coalesce("ready_at", "created_at"),
        failed=ExpressionWrapper(~Q(error=""), output_field=BooleanField()),
    )
    return map(AttemptRow._make, rows.order_by("created_at", "pk").values_list(*ATTEMPT_FIELDS))


def _outcome(attempt: AttemptRow) -> CellState:
    """What an attempt came to, read from its status or, once destroyed, from its timestamps."""
    status = attempt.status
    if attempt.solved_at is not None:
        return CellState.SOLVED
    if status in (Status.REQUESTED, Status.PROVISIONING):
        return CellState.PROVISIONING
    if status == Status.READY:
        return CellState.WORKING
    if status == Status.FAILED or attempt.failed:
        return CellState.FAILED
    if status == Status.EXPIRED:
        return CellState.EXPIRED
    if (
        status == Status.DESTROYED
        and attempt.ended_at is not None
        and attempt.expires_at is not None
        and attempt.ended_at >= attempt.expires_at
    ):
        # Ended at or after its deadline: the reaper expired it before it was torn down.
        return CellState.EXPIRED
    return CellState.ENDED


NOTHING_FAILED: Mapping[str, int] = MappingProxyType({})


@dataclass
class Checks:
    """What an attempt's finished check runs add up to."""

    runs: int = 0
    passed: int = 0  # of the latest run while the environment runs, else the best
    total: int = 0
    best: int = 0
    best_at: datetime | None = None  # when the best count was first reached
    failing: Mapping[str, int] = NOTHING_FAILED


@dataclass
class Cell:
    learner_id: int
    challenge: Challenge
    challenge_id: int
    state: CellState = CellState.NOT_STARTED
    attempts: int = 0
    hints_used: int = 0
    check_runs: int = 0
    passed: int = 0
    total: int = 0
    best_time: timedelta | None = None
    solved_at: datetime | None = None
    working_since: datetime | None = None
    stuck: bool = False
    attempt_id: int | None = None  # the attempt the state comes from
    # How often each objective failed, over all the attempts' checks. Most cells have none,
    # so they share one empty, read-only mapping rather than thousands of Counters.
    failing: Mapping[str, int] = NOTHING_FAILED

    @property
    def text(self) -> str:
        if self.state == CellState.SOLVED:
            return f"✓ {duration(self.best_time)}"
        if self.state == CellState.CHECKING:
            return f"{self.passed} of {self.total} checks"
        if self.state == CellState.NOT_STARTED:
            return "—"
        return self.state.label

    @property
    def title(self) -> str:
        parts = [self.state.label]
        if self.state == CellState.CHECKING:
            parts = [f"Checks passing {self.passed} of {self.total}"]
        if self.stuck:
            parts.append("stuck: over the estimate with no progress")
        if self.attempts:
            parts.append(f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}")
            parts.append(f"{self.hints_used} hint{'s' if self.hints_used != 1 else ''}")
        return " · ".join(parts)

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.total) if self.total else 0

    @property
    def score(self) -> float:
        """Progress in [0, 1]: solved is 1, a working attempt counts its passing checks."""
        if self.state == CellState.SOLVED:
            return 1.0
        if self.total:
            return 0.9 * self.passed / self.total
        return 0.0


@dataclass
class Summary:
    """A row's or a column's figures."""

    solved: int = 0
    of: int = 0
    median_time: timedelta | None = None
    failing_title: str = ""
    failing_count: int = 0
    stuck: int = 0
    active: int = 0

    @property
    def median_text(self) -> str:
        return duration(self.median_time)


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
        elif cell.state in (CellState.PROVISIONING, CellState.WORKING, CellState.CHECKING):
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


# A finished check run never changes, so what an attempt's failed runs say about each objective
# is worked out once per process and reused by every later poll, until the attempt has another
# failed run (keyed by the number and time of the latest, as ids come back after a rollback).
# Decoding every run's results on each 3 s poll was the dashboard's largest cost.
_failing_memo: dict[int, tuple[tuple[int, datetime | None], Counter[str]]] = {}
FAILING_MEMO_LIMIT = 200_000


def _check_aggregates(attempts: QuerySet[Attempt]) -> dict[int, Checks]:
    """Per attempt: its finished checks, the best and (while its environment runs) the latest
    result, and how often each objective failed.

    At most three queries, so that Python handles a row per attempt rather than per check run
    where it can: totals grouped by the database, the runs of environments still running (a few
    per learner at most), and the results of failed runs not seen before.
    """
    done = CheckRun.objects.filter(attempt_id__in=attempts.values("pk"), state=CheckRun.State.DONE)
    checks: dict[int, Checks] = {}
    failed_runs: dict[int, tuple[int, datetime | None]] = {}
    totals = (
        done.order_by()
        .values("attempt_id")
        .annotate(
            runs=Count("pk"),
            failed=Count("pk", filter=Q(passed=False)),
            last_failed=Max("created_at", filter=Q(passed=False)),
            best=Max("passed_count"),
            most=Max("total"),
        )
        .values_list("attempt_id", "runs", "failed", "last_failed", "best", "most")
    )
    for attempt_id, runs, failed, last_failed, best, most in totals:
        checks[attempt_id] = Checks(runs=runs, passed=best, total=most, best=best)
        if failed:
            failed_runs[attempt_id] = (failed, last_failed)
    running = (
        done.filter(attempt__status=Status.READY)
        .order_by("created_at", "pk")
        .values_list("attempt_id", "passed_count", "total", "created_at")
    )
    for attempt_id, passed_count, total, created_at in running:
        item = checks[attempt_id]
        item.passed, item.total = passed_count, total
        if item.best_at is None and item.best > 0 and passed_count == item.best:
            item.best_at = created_at
    unseen = [a for a, key in failed_runs.items() if a not in _failing_memo or _failing_memo[a][0] != key]
    if unseen:
        if len(_failing_memo) > FAILING_MEMO_LIMIT:
            _failing_memo.clear()
        fresh: dict[int, tuple[tuple[int, datetime | None], Counter[str]]] = {}
        # A short list of ids, or the whole class again when most are new (the first poll).
        scope = done.filter(attempt_id__in=unseen) if len(unseen) <= 500 else done
        results_of_failed = (
            scope.filter(passed=False).order_by().values_list("attempt_id", "created_at", "results")
        )
        for attempt_id, created_at, results in results_of_failed:
            (count, last), failing = fresh.get(attempt_id, ((0, None), Counter()))
            failing.update(r.get("key", "") for r in results or () if not r.get("passed"))
            fresh[attempt_id] = ((count + 1, max(last, created_at) if last else created_at), failing)
        _failing_memo.update(fresh)
    for attempt_id, item in checks.items():
        memo = _failing_memo.get(attempt_id)
        if memo is not None:
            item.failing = memo[1]  # shared: read, never changed
    return checks


def _cell(cell: Cell, attempts: list[AttemptRow], checks: dict[int, Checks], now: datetime) -> Cell:
    """Fold a learner's attempts at one challenge (oldest first) into their cell."""
    cell.attempts = len(attempts)
    latest = attempts[-1]
    failing: Counter[str] | None = None
    for attempt in attempts:
        cell.hints_used += attempt.hints_unlocked
        result = checks.get(attempt.id)
        if result is not None:
            cell.check_runs += result.runs
            if result.failing:
                failing = failing if failing is not None else Counter()
                failing.update(result.failing)
        if attempt.solved_at is not None:
            spent = attempt.solved_at - attempt.started_at
            if cell.best_time is None or spent < cell.best_time:
                cell.best_time = spent
            cell.solved_at = cell.solved_at or attempt.solved_at
    if failing is not None:
        cell.failing = failing
    if cell.solved_at is not None:
        # Solving is what counts: a later attempt at the same challenge is practice.
        cell.state = CellState.SOLVED
        cell.attempt_id = next(a.id for a in attempts if a.solved_at is not None)
        return cell
    cell.state = _outcome(latest)
    cell.attempt_id = latest.id
    latest_checks = checks.get(latest.id)
    if latest_checks is not None:
        cell.passed, cell.total = latest_checks.passed, latest_checks.total
    if cell.state == CellState.WORKING:
        cell.working_since = latest.started_at
        if latest_checks is not None and latest_checks.total:
            cell.state = CellState.CHECKING
        over_estimate = now - cell.working_since > timedelta(minutes=cell.challenge.estimated_minutes)
        progressed_at = latest_checks.best_at if latest_checks is not None else None
        no_progress = progressed_at is None or now - progressed_at > NO_PROGRESS_WINDOW
        cell.stuck = over_estimate and no_progress
    return cell


# How often the grid is rebuilt even when nothing was recorded: "stuck" is a matter of time.
QUIET_REFRESH_SECONDS = 30


def dashboard_version(*, classroom: Classroom, now: datetime | None = None) -> str:
    """A short fingerprint of everything the grid shows, from four aggregate queries.

    Every change of an attempt's state stamps one of its timestamps, a check run that finishes
    stamps `finished_at`, hints add up in `hints_unlocked`: when none of these moved, the grid
    has nothing new, and a poll can be answered without building it.
    """
    now = now or timezone.now()
    learner_ids = Membership.objects.filter(classroom=classroom).values("learner_id")
    challenge_ids = Assignment.objects.filter(classroom=classroom).values("challenge_id")
    attempts = Attempt.objects.filter(learner_id__in=learner_ids, challenge_id__in=challenge_ids)
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
    challenge_ids = Assignment.objects.filter(classroom=classroom).values("challenge_id")
    learner_ids = Membership.objects.filter(classroom=classroom).values("learner_id")
    attempt_rows = Attempt.objects.filter(learner_id__in=learner_ids, challenge_id__in=challenge_ids)
    by_pair: dict[tuple[int, int], list[AttemptRow]] = defaultdict(list)
    for row in _attempt_rows(attempt_rows):
        by_pair[(row.learner_id, row.challenge_id)].append(row)
    checks = _check_aggregates(attempt_rows)

    objectives = Objectives.of(a.challenge for a in assignments)
    rows: list[Row] = []
    for learner in learners:
        cells = []
        for assignment in assignments:
            cell = Cell(
                learner_id=learner.pk, challenge=assignment.challenge, challenge_id=assignment.challenge_id
            )
            attempts = by_pair.get((learner.pk, assignment.challenge_id))
            cells.append(_cell(cell, attempts, checks, now) if attempts else cell)
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


# --- the drill-down -----------------------------------------------------------------------------


@dataclass
class Entry:
    at: datetime
    kind: str  # attempt, check, hint, command, event
    title: str
    detail: str = ""
    actor: str = ""
    ok: bool | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""


@dataclass
class AttemptTimeline:
    attempt: Attempt
    outcome: CellState
    entries: list[Entry]
    check_runs: int = 0


def enrolled_learner(*, classroom: Classroom, learner_id: int) -> User | None:
    membership = (
        Membership.objects.filter(classroom=classroom, learner_id=learner_id)
        .select_related("learner")
        .first()
    )
    return membership.learner if membership is not None else None


def assignment_for(*, classroom: Classroom, slug: str) -> Assignment | None:
    return classroom.assignments.select_related("challenge").filter(challenge__slug=slug).first()


def _attempt_row(attempt: Attempt) -> AttemptRow:
    return AttemptRow(
        id=attempt.pk,
        learner_id=attempt.learner_id,
        challenge_id=attempt.challenge_id,
        status=attempt.status,
        started_at=attempt.ready_at or attempt.created_at,
        solved_at=attempt.solved_at,
        ended_at=attempt.ended_at,
        expires_at=attempt.expires_at,
        hints_unlocked=attempt.hints_unlocked,
        failed=bool(attempt.error),
    )


# What the lifecycle's events are called on the timeline.
EVENT_TITLES = {
    "requested": "Environment requested",
    "provisioning": "Provisioning started",
    "ready": "Environment ready",
    "solved": "Solved",
    "failed": "Environment failed",
    "extended": "Time extended",
    "ended": "Environment ended",
    "expired": "Time ran out",
    "reset": "Fresh environment (reset)",
    "destroyed": "Environment removed",
    "editor-apply": "Applied from the editor",
}
EVENT_OK = {"solved": True, "failed": False, "expired": False}
# Check runs and hints appear with their own details; their events would say it twice.
EVENTS_SHOWN_OTHERWISE = {"check_requested", "checked", "check_failed", "hint"}


def _solved_in(attempt: Attempt) -> str:
    return f"in {duration(attempt.time_to_solve)}" if attempt.time_to_solve is not None else ""


def _milestones(attempt: Attempt) -> list[tuple[str, datetime | None, str]]:
    """(event kind, time, detail) read from the attempt's own fields, for events that are missing."""
    return [
        ("requested", attempt.created_at, ""),
        ("ready", attempt.ready_at, ""),
        ("solved", attempt.solved_at, _solved_in(attempt)),
        ("failed", (attempt.ended_at or attempt.created_at) if attempt.error else None, attempt.error),
    ]


def learner_timeline(*, learner: User, challenge: Challenge) -> list[AttemptTimeline]:
    """Every attempt of one learner at one challenge, newest first, each with its timed entries:
    environment events (with who acted), check runs with per-objective results, hints, commands."""
    attempts = list(
        Attempt.objects.filter(learner=learner, challenge=challenge).order_by("-created_at", "-pk")
    )
    attempts_by_pk = {a.pk: a for a in attempts}
    entries: dict[int, list[Entry]] = {a.pk: [] for a in attempts}
    kinds: dict[int, set[str]] = {a.pk: set() for a in attempts}
    ids = list(entries)
    runs: Counter[int] = Counter()
    for event in AttemptEvent.objects.filter(attempt_id__in=ids).select_related("actor"):
        if event.kind in EVENTS_SHOWN_OTHERWISE:
            continue
        kinds[event.attempt_id].add(event.kind)
        entries[event.attempt_id].append(
            Entry(
                at=event.created_at,
                kind="event",
                title=EVENT_TITLES.get(
                    event.kind, event.kind.replace("_", " ").replace("-", " ").capitalize()
                ),
                detail=_solved_in(attempts_by_pk[event.attempt_id])
                if event.kind == "solved"
                else event.message,
                # Only someone other than the learner is worth naming: an instructor, say.
                actor=event.actor.username if event.actor is not None and event.actor != learner else "",
                ok=EVENT_OK.get(event.kind),
            )
        )
    for attempt in attempts:
        for kind, at, detail in _milestones(attempt):
            if at is not None and kind not in kinds[attempt.pk]:
                entries[attempt.pk].append(
                    Entry(at=at, kind="event", title=EVENT_TITLES[kind], detail=detail, ok=EVENT_OK.get(kind))
                )
    for run in (
        CheckRun.objects.filter(attempt_id__in=ids).select_related("requested_by").order_by("created_at")
    ):
        runs[run.attempt_id] += 1
        if run.state == CheckRun.State.DONE:
            title, ok = f"Check: {run.passed_count} of {run.total} objectives pass", run.passed
        elif run.state == CheckRun.State.ERROR:
            title, ok = "Check could not run", False
        else:
            title, ok = "Check running", None
        entries[run.attempt_id].append(
            Entry(
                at=run.created_at,
                kind="check",
                title=title,
                detail=run.error,
                ok=ok,
                results=list(run.results or []),
                actor=run.requested_by.username if run.requested_by and run.requested_by != learner else "",
            )
        )
    for hint in HintUnlock.objects.filter(attempt_id__in=ids):
        entries[hint.attempt_id].append(
            Entry(at=hint.created_at, kind="hint", title=f"Hint {hint.index + 1} unlocked")
        )
    for command in ConsoleCommand.objects.filter(attempt_id__in=ids):
        if command.refused:
            detail, ok = "refused", False
        elif command.exit_code is None:
            detail, ok = "no exit status", None
        else:
            detail, ok = f"exit {command.exit_code}", command.exit_code == 0
        entries[command.attempt_id].append(
            Entry(
                at=command.created_at,
                kind="command",
                title=command.command,
                detail=detail,
                ok=ok,
                output=command.output[:4000],
            )
        )
    return [
        AttemptTimeline(
            attempt=a,
            outcome=_outcome(_attempt_row(a)),
            entries=sorted(entries[a.pk], key=lambda e: e.at),
            check_runs=runs[a.pk],
        )
        for a in attempts
    ]


# --- exports ------------------------------------------------------------------------------------


def check_run_export(*, classroom: Classroom) -> Iterator[CheckRun]:
    """Every check run of the classroom's learners at its assigned challenges, oldest first."""
    return (
        CheckRun.objects.filter(
            attempt__learner_id__in=Membership.objects.filter(classroom=classroom).values("learner_id"),
            attempt__challenge_id__in=Assignment.objects.filter(classroom=classroom).values("challenge_id"),
        )
        .select_related("attempt", "attempt__learner", "attempt__challenge")
        .order_by("created_at", "pk")
        .iterator(chunk_size=1000)
    )
