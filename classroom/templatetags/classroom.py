from django import template
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from classroom import selectors
from classroom.selectors import JoinedClassroom

register = template.Library()


@register.simple_tag
def joined_classrooms(user: AbstractBaseUser | AnonymousUser) -> list[JoinedClassroom]:
    """For `classroom/_profile_classrooms.html`, which any page can include without extra context."""
    return selectors.learner_classrooms(learner=user)
