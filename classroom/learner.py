"""The learner's side of a classroom: the classrooms they joined, each assignment with its due
date and how far they got."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from challenges.models import Challenge
from challenges.selectors import Progress, ProgressStatus, progress_by_challenge
from classroom.models import Assignment, Classroom, Membership


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


def learner_classrooms(
    *, learner: AbstractBaseUser | AnonymousUser, classroom: Classroom | None = None
) -> list[JoinedClassroom]:
    """The classrooms a learner joined (or only `classroom`), newest first, each assignment with
    its due date and the learner's status; the earliest due first, undated last."""
    if not learner.is_authenticated:
        return []
    memberships = Membership.objects.filter(learner_id=learner.pk)
    if classroom is not None:
        memberships = memberships.filter(classroom=classroom)
    joined = list(memberships.select_related("classroom", "classroom__instructor").order_by("-joined_at"))
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in Assignment.objects.filter(
        classroom_id__in=[m.classroom_id for m in joined]
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
        for m in joined
    ]
