"""Writes: classrooms, assignments, invite codes, and joining (with its throttle on wrong codes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from challenges.models import Challenge
from classroom.models import Assignment, Classroom, Membership, new_invite_code, normalize_invite_code


class JoinRefused(Exception):
    """A code that admits nobody; the message is what the learner reads."""

    message = "That code does not open any classroom."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class InviteCodeUnknown(JoinRefused):
    message = "No classroom has that invite code. Check it for typos, or ask your instructor for the link."


class InviteCodeExpired(JoinRefused):
    pass


class InviteCodeClosed(JoinRefused):
    pass


class InstructorCannotJoin(JoinRefused):
    message = "You run this classroom, so you cannot join it as a learner."


class JoinThrottled(JoinRefused):
    message = "Too many wrong codes. Wait a few minutes, then try again."


# Wrong codes a signed-in user may try per window before joining pauses for them.
JOIN_FAILURES_ALLOWED = 20
JOIN_FAILURES_WINDOW = 15 * 60


def classroom_create(
    *,
    instructor: User,
    name: str,
    challenges: Iterable[Challenge] = (),
    due_at: datetime | None = None,
    invite_expires_at: datetime | None = None,
) -> Classroom:
    with transaction.atomic():
        classroom = Classroom.objects.create(
            instructor=instructor, name=name.strip(), invite_expires_at=invite_expires_at
        )
        Assignment.objects.bulk_create(
            Assignment(classroom=classroom, challenge=c, due_at=due_at) for c in challenges
        )
    return classroom


def classroom_rotate_code(*, classroom: Classroom) -> str:
    """A new code: the old code and every link made from it stop working at once."""
    for _ in range(5):
        code = new_invite_code()
        try:
            with transaction.atomic():
                Classroom.objects.filter(pk=classroom.pk).update(invite_code=code)
        except IntegrityError:  # a collision in a 60-bit space: astronomically rare, but cheap to handle
            continue
        classroom.invite_code = code
        return code
    raise RuntimeError("could not find a free invite code")


def classroom_set_joining(
    *, classroom: Classroom, joining_open: bool, invite_expires_at: datetime | None
) -> None:
    Classroom.objects.filter(pk=classroom.pk).update(
        joining_open=joining_open, invite_expires_at=invite_expires_at
    )
    classroom.joining_open, classroom.invite_expires_at = joining_open, invite_expires_at


def assignment_set(*, classroom: Classroom, challenge: Challenge, due_at: datetime | None) -> Assignment:
    """Assign a challenge, or change its due date when it is already assigned."""
    assignment, _ = Assignment.objects.update_or_create(
        classroom=classroom, challenge=challenge, defaults={"due_at": due_at}
    )
    return assignment


def assignment_remove(*, assignment: Assignment) -> None:
    """The learners' attempts stay; the challenge only leaves the classroom's grid."""
    assignment.delete()


def classroom_find(*, code: str, now: datetime | None = None) -> Classroom:
    """The classroom a code admits to, or JoinRefused saying why not."""
    normalized = normalize_invite_code(code)
    classroom = Classroom.objects.filter(invite_code=normalized).select_related("instructor").first()
    if not normalized or classroom is None:
        raise InviteCodeUnknown()
    if not classroom.joining_open:
        raise InviteCodeClosed(
            f"“{classroom.name}” is not accepting new learners right now. Ask your instructor to open it."
        )
    if classroom.invite_expired(now):
        assert classroom.invite_expires_at is not None
        when = timezone.localtime(classroom.invite_expires_at).strftime("%d %b %Y, %H:%M")
        raise InviteCodeExpired(
            f"The invite code for “{classroom.name}” expired on {when}. Ask your instructor for a new one."
        )
    return classroom


def classroom_join(*, learner: User, code: str) -> tuple[Classroom, bool]:
    """Join by code; joining twice is harmless. Returns the classroom and whether this call joined.

    Raises JoinRefused saying why not; JoinThrottled after JOIN_FAILURES_ALLOWED unknown codes
    in a window, whatever the code.
    """
    key = f"classroom-join-tries:{learner.pk}"
    if _count_try(key) > JOIN_FAILURES_ALLOWED:
        raise JoinThrottled()
    try:
        classroom = classroom_find(code=code)
    except JoinRefused as refused:
        if not isinstance(refused, InviteCodeUnknown):
            _uncount_try(key)  # only a wrong code counts against the allowance
        raise
    _uncount_try(key)
    if classroom.instructor_id == learner.pk:
        raise InstructorCannotJoin()
    _, created = Membership.objects.get_or_create(classroom=classroom, learner=learner)
    return classroom, created


def _count_try(key: str) -> int:
    """Count a try before it runs, and return the count in this window.

    Counting first, with the cache's atomic increment, is what holds across processes: of many
    tries sent at once each gets its own number, so no more than the allowance get through —
    where reading the count and writing it back would let them all pass on the same reading.
    """
    for _ in range(3):
        cache.add(key, 0, JOIN_FAILURES_WINDOW)  # opens a window; does nothing within one
        try:
            count = int(cache.incr(key))
        except ValueError:  # the window closed between add and incr: open a new one
            continue
        if count == 1:
            # Redis's INCR recreates a key that expired after Django's existence check, without
            # its timeout: give the window its end again (a no-op for a window just opened).
            cache.touch(key, JOIN_FAILURES_WINDOW)
        return count
    return 0  # the cache keeps losing the key: let the try through rather than lock out


def _uncount_try(key: str) -> None:
    """Give back the try of a code that was not wrong (a join, a closed or expired classroom).
    Should Redis recreate an expired key at -1 here, _count_try gives it a timeout again at 1."""
    with contextlib.suppress(ValueError):  # the window closed meanwhile: nothing to give back
        cache.decr(key)


def membership_remove(*, classroom: Classroom, learner: User) -> None:
    Membership.objects.filter(classroom=classroom, learner=learner).delete()
