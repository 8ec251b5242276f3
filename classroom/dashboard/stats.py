"""The dashboard's stats bar (learners, solved, working now, stuck), by its own queries, so that
the whole page and a poll that rebuilds only a few cells show the same figures by the same
rule; and the environments under way, which also say when a cell turns stuck with time alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from challenges.models import ACTIVE_STATUSES, Attempt, Status
from classroom.dashboard.cells import stuck_since
from classroom.models import Assignment, Classroom, Membership


def class_attempts(classroom: Classroom) -> QuerySet[Attempt]:
    """The attempts of the classroom's learners at its assigned challenges (any other stays out)."""
    learner_ids = Membership.objects.filter(classroom=classroom).values("learner_id")
    challenge_ids = Assignment.objects.filter(classroom=classroom).values("challenge_id")
    return Attempt.objects.filter(learner_id__in=learner_ids, challenge_id__in=challenge_ids)


@dataclass(frozen=True)
class UnderWay:
    """A cell whose latest attempt is under way and not solved before: the cells that are
    provisioning or working, and the only ones that can be (or become) stuck."""

    learner_id: int
    challenge_id: int
    working: bool  # the environment is ready (not still on its way)
    stuck_at: datetime | None  # when it is (or becomes) stuck with nothing else happening


def under_way(*, classroom: Classroom) -> list[UnderWay]:
    """One query: the class's active attempts at challenges they have not solved, with the check
    tally and the challenge's estimate that say when each becomes stuck."""
    solved = Attempt.objects.filter(
        learner_id=OuterRef("learner_id"), challenge_id=OuterRef("challenge_id"), solved_at__isnull=False
    )
    rows = (
        class_attempts(classroom)
        .filter(status__in=ACTIVE_STATUSES)
        .filter(~Exists(solved))
        .values_list(
            "learner_id",
            "challenge_id",
            "status",
            "ready_at",
            "challenge__estimated_minutes",
            "tally__best",
            "tally__best_at",
        )
    )
    found = []
    for learner_id, challenge_id, status, ready_at, estimate, best, best_at in rows:
        stuck_at = None
        if status == Status.READY and ready_at is not None:
            stuck_at = stuck_since(
                working_since=ready_at, estimate_minutes=estimate, best_at=best_at if best else None
            )
        found.append(UnderWay(learner_id, challenge_id, stuck_at is not None, stuck_at))
    return found


@dataclass(frozen=True)
class Stats:
    learners: int
    challenges: int
    solved_cells: int
    active_cells: int
    stuck_learners: int
    generated_at: datetime
    stuck: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # the stuck cells

    @property
    def cell_count(self) -> int:
        return self.learners * self.challenges


def board_stats(
    *,
    classroom: Classroom,
    learners: int,
    challenges: int,
    now: datetime,
    cells: list[UnderWay] | None = None,
) -> Stats:
    """The stats bar: two queries (one when the cells under way were read already)."""
    cells = under_way(classroom=classroom) if cells is None else cells
    stuck = frozenset(
        (c.learner_id, c.challenge_id) for c in cells if c.stuck_at is not None and now > c.stuck_at
    )
    solved = (
        class_attempts(classroom)
        .filter(solved_at__isnull=False)
        .values("learner_id", "challenge_id")
        .distinct()
        .count()
    )
    return Stats(
        learners=learners,
        challenges=challenges,
        solved_cells=solved,
        active_cells=len(cells),
        stuck_learners=len({learner for learner, _ in stuck}),
        generated_at=now,
        stuck=stuck,
    )
