"""Who may see and act on what in a classroom: roles, and one access helper per kind of object.

The rules (tested as a matrix in tests/classroom/test_permissions.py):

- the classroom's instructor: everything about their classroom;
- staff: every classroom's pages, dashboard, drill-downs and exports, read-only — they support
  instructors but do not change a classroom or act on a learner's environment (403);
- a learner who joined: the classroom's page with their own assignments, and leaving it; the
  instructor's pages answer 403;
- anyone else signed in, another instructor included: 404, as if the classroom did not exist.

Each helper answers 404 for what lies outside the classroom, so an id from another classroom
reveals nothing.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from challenges.models import Attempt
from classroom.models import Assessment, Assignment, Classroom, Membership


class Role(StrEnum):
    INSTRUCTOR = "instructor"  # runs the classroom: sees everything, acts on environments
    STAFF = "staff"  # operators: see every classroom, read-only
    LEARNER = "learner"  # joined: sees the classroom's assignments, nothing about others


def can_instruct(user: AbstractBaseUser | AnonymousUser) -> bool:
    return isinstance(user, User) and user.has_perm("classroom.instruct")


def is_member(*, classroom: Classroom, user: AbstractBaseUser | AnonymousUser) -> bool:
    return (
        user.is_authenticated and Membership.objects.filter(classroom=classroom, learner_id=user.pk).exists()
    )


def classroom_role(*, classroom: Classroom, user: AbstractBaseUser | AnonymousUser) -> Role | None:
    if not user.is_authenticated:
        return None
    if classroom.instructor_id == user.pk and can_instruct(user):
        # Owning a classroom is not enough: whoever lost the permission no longer runs it.
        return Role.INSTRUCTOR
    if getattr(user, "is_staff", False):
        return Role.STAFF
    if is_member(classroom=classroom, user=user):
        return Role.LEARNER
    return None


def classroom_for(
    *, user: AbstractBaseUser | AnonymousUser, pk: int, roles: tuple[Role, ...]
) -> tuple[Classroom, Role]:
    """The classroom, if the user's role in it is one of `roles`; 404 to strangers, 403 to the rest."""
    classroom = Classroom.objects.select_related("instructor").filter(pk=pk).first()
    role = classroom_role(classroom=classroom, user=user) if classroom is not None else None
    if classroom is None or role is None:
        raise Http404("No such classroom.")
    if role not in roles:
        raise PermissionDenied("Your role in this classroom does not allow that.")
    return classroom, role


def learner_in(*, classroom: Classroom, learner_id: int) -> User:
    """A learner who joined the classroom; 404 for anyone else."""
    membership = (
        Membership.objects.filter(classroom=classroom, learner_id=learner_id)
        .select_related("learner")
        .first()
    )
    if membership is None:
        raise Http404("That learner is not in this classroom.")
    return membership.learner


def assignment_in(*, classroom: Classroom, pk: int | None = None, slug: str | None = None) -> Assignment:
    """One of the classroom's assignments, by its id or its challenge's slug; 404 for any other."""
    assignments = classroom.assignments.select_related("challenge")
    found = (
        assignments.filter(pk=pk).first()
        if pk is not None
        else assignments.filter(challenge__slug=slug).first()
    )
    if found is None:
        raise Http404("That challenge is not assigned in this classroom.")
    return found


def attempt_in(*, classroom: Classroom, pk: int) -> Attempt:
    """An attempt of one of the classroom's learners at one of its assigned challenges; 404 otherwise."""
    attempt = (
        Attempt.objects.select_related("challenge", "learner")
        .filter(
            pk=pk,
            learner__classroom_memberships__classroom=classroom,
            challenge__assignments__classroom=classroom,
        )
        .first()
    )
    if attempt is None:
        raise Http404("That attempt is not in this classroom.")
    return attempt


def assessment_in(*, classroom: Classroom, pk: int) -> Assessment:
    """One of the classroom's assessments; 404 for any other."""
    found = Assessment.objects.filter(classroom=classroom, pk=pk).first()
    if found is None:
        raise Http404("That assessment is not in this classroom.")
    return found
