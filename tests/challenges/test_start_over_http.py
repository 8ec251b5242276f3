"""A double submit of Start over real HTTP: two gunicorn processes take the two posts at once."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse

from challenges.models import Attempt
from challenges.services.content import challenges_sync
from tests.fixtures.web import form_post, login_cookies

pytestmark = [pytest.mark.worker]

TRIES = 10


def test_a_double_submit_of_start_gives_exactly_one_environment(web_processes: Any, tmp_path: Any) -> None:
    challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
    # Nothing consumes this queue: the test is about what the web processes write.
    webs = web_processes(2, BREAKFIX_QUEUE=f"breakfix-test-{tmp_path.name}")
    path = reverse("attempt_start", args=["wrong-selector"])
    for i in range(TRIES):
        learner = User.objects.create_user(f"clicker{i}", password="password")
        cookies = login_cookies(learner)
        barrier = threading.Barrier(2)
        answers: list[httpx.Response | None] = [None, None]

        def click(
            n: int,
            cookies: dict[str, str] = cookies,
            answers: list[Any] = answers,
            barrier: threading.Barrier = barrier,
        ) -> None:
            barrier.wait(10)
            answers[n] = form_post(webs[n], path, cookies)

        threads = [threading.Thread(target=click, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        attempts = list(Attempt.objects.filter(learner=learner))
        assert len(attempts) == 1, [a.text[-500:] if a else None for a in answers]
        for answer in answers:
            assert answer is not None and answer.status_code == 302, answer
            assert answer.headers["location"] == attempts[0].get_absolute_url()
