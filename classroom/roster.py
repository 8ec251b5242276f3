"""Reads for the classroom pages themselves: the list an instructor runs, and a classroom's
assignments and learners."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from classroom.models import Assignment, Classroom, Membership


def classrooms_run(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Classroom]:
    """The classrooms a user runs, with their numbers of learners and assignments; staff see them all."""
    classrooms = Classroom.objects.select_related("instructor").annotate(
        learner_count=Count("memberships", distinct=True),
        assignment_count=Count("assignments", distinct=True),
    )
    if getattr(user, "is_staff", False):
        return classrooms
    return classrooms.filter(instructor_id=user.pk)


def classroom_assignments(*, classroom: Classroom) -> QuerySet[Assignment]:
    """In the order they were assigned, which is also the dashboard's column order."""
    return classroom.assignments.select_related("challenge").order_by("created_at", "pk")


def classroom_memberships(*, classroom: Classroom) -> QuerySet[Membership]:
    return classroom.memberships.select_related("learner").order_by("learner__username", "pk")
