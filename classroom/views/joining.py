"""Joining a classroom: by typing its invite code, or by the link an instructor shares (which
shows anonymous visitors what it joins before they sign up or log in)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from challenges.http import signed_in
from classroom import services
from classroom.access import is_member
from classroom.forms import JoinForm
from classroom.models import Classroom


def _join(request: HttpRequest, code: str) -> HttpResponse | None:
    """Join by code and redirect; None (with a message saying why) when the code admits nobody."""
    try:
        classroom, created = services.classroom_join(learner=signed_in(request), code=code)
    except services.JoinRefused as refused:
        messages.error(request, refused.message)
        return None
    if created:
        messages.success(request, f"Welcome to “{classroom.name}”! Your assignments are below.")
    else:
        messages.info(request, f"You are already in “{classroom.name}”.")
    return redirect(classroom)


@login_required
def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _join(request, form.cleaned_data["code"])
        if response is not None:
            return response
    return render(request, "classroom/join.html", {"form": form})


def join_code(request: HttpRequest, code: str) -> HttpResponse:
    """The link an instructor shares: sign up or log in first (next= brings you back), then one click."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
        response = _join(request, code)
        if response is not None:
            return response
        return redirect("classroom_join")
    classroom: Classroom | None = None
    problem = ""
    try:
        classroom = services.classroom_find(code=code)
    except services.JoinRefused as refused:
        problem = refused.message
    return render(
        request,
        "classroom/join_code.html",
        {
            "classroom": classroom,
            "problem": problem,
            "code": code,
            "already": classroom is not None and is_member(classroom=classroom, user=request.user),
            "next": request.path,
        },
        status=200 if classroom is not None else 404,
    )
