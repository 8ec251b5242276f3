"""What the views of both apps know of a request."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware hands it on: `request.htmx` is true for htmx's own."""

    htmx: HtmxDetails


def signed_in(request: HttpRequest) -> User:
    """The user of a view behind @login_required."""
    assert isinstance(request.user, User)
    return request.user
