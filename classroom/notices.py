"""Talking to the class: an instructor's notice to the whole classroom or to one learner, and
what a learner's workspace shows of them (challenges asks through BREAKFIX_WORKSPACE_NOTICES,
as it knows nothing of classrooms).

A notice is shown for a day: long enough for a class, short enough that an old one does not
greet the learner at their next session.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from challenges.models import Attempt
from classroom.models import Classroom, Membership, Notice

MOST_CHARACTERS = 500
SHOWN_FOR = timedelta(days=1)
MOST_SHOWN = 5


class NoticeRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def notice_send(
    *, classroom: Classroom, by: AbstractBaseUser, text: str, learner: AbstractBaseUser | None = None
) -> Notice:
    """Tell the class (or `learner`, who joined it) something; it shows in their workspace within seconds."""
    text = " ".join(text.split())
    if not text:
        raise NoticeRefused("Write something to send.")
    if len(text) > MOST_CHARACTERS:
        raise NoticeRefused(f"Keep it under {MOST_CHARACTERS} characters (this one has {len(text)}).")
    return Notice.objects.create(
        classroom=classroom, learner_id=learner.pk if learner else None, text=text, sent_by_id=by.pk
    )


def learner_notices(*, learner_id: int) -> list[Notice]:
    """The recent notices for a learner: their classrooms' and their own, newest first."""
    classrooms = Membership.objects.filter(learner_id=learner_id).values("classroom_id")
    return list(
        Notice.objects.filter(classroom_id__in=classrooms, created_at__gte=timezone.now() - SHOWN_FOR)
        .filter(Q(learner__isnull=True) | Q(learner_id=learner_id))
        .select_related("classroom", "sent_by")[:MOST_SHOWN]
    )


def workspace_notices(attempt: Attempt) -> list[dict[str, object]]:
    """BREAKFIX_WORKSPACE_NOTICES: what the attempt's workspace shows (plain values: challenges
    renders them without knowing the classroom's models)."""
    return [
        {
            "id": notice.pk,
            "text": notice.text,
            "source": f"{notice.sent_by.username} · {notice.classroom.name}",
            "personal": notice.learner_id is not None,
            "at": notice.created_at,
        }
        for notice in learner_notices(learner_id=attempt.learner_id)
    ]
