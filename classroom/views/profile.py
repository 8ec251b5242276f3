"""The classroom's section of the learner's profile page (see settings.BREAKFIX_PROFILE_SECTIONS)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from classroom.learner import learner_classrooms


def profile_classrooms(request: HttpRequest) -> SafeString:
    """The classrooms the learner joined, with their assignments, or an invitation to join one."""
    return render_to_string(
        "classroom/_profile_classrooms.html",
        {"joined_list": learner_classrooms(learner=request.user)},
        request=request,
    )
