"""Who reaches which object in the learner's views: one helper per kind of object."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from challenges.models import Attempt


def own_attempt(request: HttpRequest, pk: int) -> Attempt:
    """The signed-in learner's own attempt; anyone else's is a 404, as if it did not exist."""
    return get_object_or_404(
        Attempt.objects.select_related("challenge", "version"), pk=pk, learner_id=request.user.pk
    )
