"""The drill-down: every attempt of one learner at one challenge, each with its timed entries —
environment events (with who acted), check runs with per-objective results, hints, commands.

Entries hold facts; the template (`classroom/drilldown.html`) words them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q

from challenges.models import Attempt, AttemptEvent, Challenge, CheckRun, ConsoleCommand, HintUnlock
from classroom.dashboard.attempts import AttemptRow, CellState, outcome
from classroom.models import Classroom, Notice


class EntryKind(StrEnum):
    EVENT = "event"
    CHECK = "check"
    HINT = "hint"
    COMMAND = "command"
    NOTICE = "notice"


@dataclass(kw_only=True)
class Entry:
    at: datetime
    kind: EntryKind
    ok: bool | None = None  # went well, went badly, or neither
    actor: str = ""  # who acted, when it was someone other than the learner (an instructor, say)


@dataclass(kw_only=True)
class EventEntry(Entry):
    kind: EntryKind = EntryKind.EVENT
    event: str  # AttemptEvent.kind
    message: str = ""
    took: timedelta | None = None  # solved: the time it took


@dataclass(kw_only=True)
class CheckEntry(Entry):
    kind: EntryKind = EntryKind.CHECK
    state: str  # CheckRun.State
    passed_count: int = 0
    total: int = 0
    error: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class HintEntry(Entry):
    kind: EntryKind = EntryKind.HINT
    number: int  # from 1


@dataclass(kw_only=True)
class CommandEntry(Entry):
    kind: EntryKind = EntryKind.COMMAND
    command: str
    refused: bool = False
    exit_code: int | None = None
    output: str = ""


@dataclass(kw_only=True)
class NoticeEntry(Entry):
    kind: EntryKind = EntryKind.NOTICE
    text: str
    personal: bool  # to this learner, not the whole class


@dataclass
class AttemptTimeline:
    attempt: Attempt
    outcome: CellState
    entries: list[Entry]
    check_runs: int = 0


Kind = AttemptEvent.Kind
EVENT_OK: dict[str, bool] = {Kind.SOLVED: True, Kind.FAILED: False, Kind.EXPIRED: False}
# Check runs and hints appear with their own details; their events would say it twice.
EVENTS_SHOWN_OTHERWISE = {Kind.CHECK_REQUESTED, Kind.CHECKED, Kind.CHECK_FAILED, Kind.HINT}
# Commands show the start of what kubectl answered; the rest stays stored.
OUTPUT_SHOWN = 4000


def _event(attempt: Attempt, *, at: datetime, event: str, message: str = "", actor: str = "") -> EventEntry:
    if event == Kind.SOLVED:
        # The attempt's own figure, rather than the event's raw wording of it.
        return EventEntry(at=at, event=event, took=attempt.time_to_solve, actor=actor, ok=True)
    return EventEntry(at=at, event=event, message=message, actor=actor, ok=EVENT_OK.get(event))


def _milestones(attempt: Attempt) -> list[tuple[str, datetime | None, str]]:
    """(event kind, time, message) read from the attempt's own fields, for events that are missing."""
    return [
        (Kind.REQUESTED, attempt.created_at, ""),
        (Kind.READY, attempt.ready_at, ""),
        (Kind.SOLVED, attempt.solved_at, ""),
        (
            Kind.FAILED,
            (attempt.ended_at or attempt.created_at) if attempt.has_failed else None,
            attempt.error,
        ),
    ]


def _check(run: CheckRun, learner: User) -> CheckEntry:
    ok: bool | None = None  # still running
    if run.state == CheckRun.State.DONE:
        ok = run.passed
    elif run.state == CheckRun.State.ERROR:
        ok = False
    return CheckEntry(
        at=run.created_at,
        state=run.state,
        passed_count=run.passed_count,
        total=run.total,
        error=run.error,
        ok=ok,
        results=list(run.results or []),
        actor=run.requested_by.username if run.requested_by and run.requested_by != learner else "",
    )


def _command(command: ConsoleCommand) -> CommandEntry:
    ok = False if command.refused else None if command.exit_code is None else command.exit_code == 0
    return CommandEntry(
        at=command.created_at,
        command=command.command,
        refused=command.refused,
        exit_code=command.exit_code,
        output=command.output[:OUTPUT_SHOWN],
        ok=ok,
    )


def learner_timeline(
    *, learner: User, challenge: Challenge, classroom: Classroom | None = None
) -> list[AttemptTimeline]:
    """Every attempt of one learner at one challenge, newest first, its entries in time order;
    with `classroom`, the instructor's notices to the learner (or the class) while each ran."""
    attempts = list(
        Attempt.objects.filter(learner=learner, challenge=challenge)
        .select_related("version")
        .order_by("-created_at", "-pk")
    )
    by_pk = {a.pk: a for a in attempts}
    entries: dict[int, list[Entry]] = {a.pk: [] for a in attempts}
    seen: dict[int, set[str]] = {a.pk: set() for a in attempts}
    ids = list(entries)
    for event in AttemptEvent.objects.filter(attempt_id__in=ids).select_related("actor"):
        if event.kind in EVENTS_SHOWN_OTHERWISE:
            continue
        seen[event.attempt_id].add(event.kind)
        actor = event.actor.username if event.actor is not None and event.actor != learner else ""
        entries[event.attempt_id].append(
            _event(
                by_pk[event.attempt_id],
                at=event.created_at,
                event=event.kind,
                message=event.message,
                actor=actor,
            )
        )
    for attempt in attempts:
        for kind, at, message in _milestones(attempt):
            if at is not None and kind not in seen[attempt.pk]:
                entries[attempt.pk].append(_event(attempt, at=at, event=kind, message=message))
    runs: Counter[int] = Counter()
    for run in (
        CheckRun.objects.filter(attempt_id__in=ids).select_related("requested_by").order_by("created_at")
    ):
        runs[run.attempt_id] += 1
        entries[run.attempt_id].append(_check(run, learner))
    for hint in HintUnlock.objects.filter(attempt_id__in=ids):
        entries[hint.attempt_id].append(HintEntry(at=hint.created_at, number=hint.index + 1))
    for command in ConsoleCommand.objects.filter(attempt_id__in=ids):
        entries[command.attempt_id].append(_command(command))
    if classroom is not None and attempts:
        told = (
            Notice.objects.filter(classroom=classroom, created_at__gte=attempts[-1].created_at)
            .filter(Q(learner__isnull=True) | Q(learner=learner))
            .select_related("sent_by")
        )
        for notice in told:
            # In the attempt that was running when it was sent (the newest, when they overlap).
            running = next(
                (
                    a
                    for a in attempts
                    if a.created_at <= notice.created_at <= (a.ended_at or notice.created_at)
                ),
                None,
            )
            if running is not None:
                entries[running.pk].append(
                    NoticeEntry(
                        at=notice.created_at,
                        text=notice.text,
                        personal=notice.learner_id is not None,
                        actor=notice.sent_by.username,
                    )
                )
    return [
        AttemptTimeline(
            attempt=a,
            outcome=outcome(AttemptRow.of(a)),
            entries=sorted(entries[a.pk], key=lambda e: e.at),
            check_runs=runs[a.pk],
        )
        for a in attempts
    ]
