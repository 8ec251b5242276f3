"""Sign-up, a rate-limited log-in, and the page a rate-limited request gets.

Both limits count in the shared cache (see CACHES), so every web process sees the same count:
log-ins per client address and per user name (a password sprayer moves between names, a guesser
between addresses), sign-ups per client address.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited


@method_decorator(
    ratelimit(key="ip", rate=lambda group, request: settings.BREAKFIX_LOGIN_RATE, method="POST", block=True),
    name="post",
)
@method_decorator(
    ratelimit(
        key="post:username",
        rate=lambda group, request: settings.BREAKFIX_LOGIN_RATE,
        method="POST",
        block=True,
    ),
    name="post",
)
class LoginView(auth_views.LoginView):
    pass


login = LoginView.as_view()


@ratelimit(key="ip", rate=lambda group, request: settings.BREAKFIX_SIGNUP_RATE, method="POST", block=True)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("catalog")
    form: UserCreationForm[User] = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("catalog")
    return render(request, "registration/signup.html", {"form": form, "next": request.GET.get("next", "")})


def rate_limited(request: HttpRequest, exception: Ratelimited) -> HttpResponse:
    """What a request over a rate limit gets (RATELIMIT_VIEW): a 429 that says what to do."""
    return render(request, "rate_limited.html", status=429)
