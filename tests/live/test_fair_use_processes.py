"""Fair use holds across web processes: the counts and the lock live in the Redis they share.

Three uvicorn processes serve the test database; one learner's requests are spread over them,
in parallel, the way a load balancer would spread them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from challenges.models import Attempt
from classroom.models import Classroom, Membership
from tests.challenges.live_learner import live_attempt  # noqa: F401
from tests.fixtures.web import WebProcesses, login_cookies, post

pytestmark = [pytest.mark.live, pytest.mark.worker]

SLOW = "kubectl wait --for=delete deployment/frontend --timeout=4s"


def test_one_command_per_attempt_runs_at_a_time_across_processes(
    live_attempt: Attempt,  # noqa: F811
    web_processes: Callable[..., WebProcesses],
) -> None:
    webs = web_processes(3)
    cookies = login_cookies(live_attempt.learner)
    url = reverse("attempt_console", args=[live_attempt.pk])
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda web: post(web, url, cookies, {"line": SLOW}).text, webs.started))
    still_running = [text for text in answers if "still running" in text]
    assert len(still_running) == 2, answers
    assert live_attempt.console_commands.count() == 1
    # Once it ended, the next command runs.
    assert "still running" not in post(webs[0], url, cookies, {"line": "kubectl get pods"}).text
    assert live_attempt.console_commands.count() == 2


def test_the_console_rate_counts_one_learner_across_processes(
    live_attempt: Attempt,  # noqa: F811
    web_processes: Callable[..., WebProcesses],
) -> None:
    webs = web_processes(3, BREAKFIX_CONSOLE_RATE="6/m")
    cookies = login_cookies(live_attempt.learner)
    url = reverse("attempt_console", args=[live_attempt.pk])
    answers = [post(webs[i % 3], url, cookies, {"line": "kubectl proxy"}).text for i in range(9)]
    limited = [text for text in answers if "faster than this console takes them" in text]
    assert len(limited) == 3, answers
    assert live_attempt.console_commands.count() == 6


def test_log_in_tries_count_across_processes(
    live_attempt: Attempt,  # noqa: F811
    web_processes: Callable[..., WebProcesses],
) -> None:
    import httpx

    webs = web_processes(3, BREAKFIX_LOGIN_RATE="4/m")
    statuses = []
    for i in range(6):
        web = webs[i % 3]
        with httpx.Client(base_url=web.url) as client:
            page = client.get("/accounts/login/")
            token = client.cookies["csrftoken"]
            answer = client.post(
                "/accounts/login/",
                data={"username": "alice", "password": "wrong", "csrfmiddlewaretoken": token},
                headers={"Referer": web.url + "/accounts/login/"},
            )
            assert page.status_code == 200
            statuses.append(answer.status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_wrong_invite_codes_count_across_processes(
    live_attempt: Attempt,  # noqa: F811
    web_processes: Callable[..., WebProcesses],
    django_user_model: type[User],
) -> None:
    ivy = django_user_model.objects.create_user("ivy", "ivy@example.org", "password-ivy")
    classroom = Classroom.objects.create(name="Kubernetes 101", instructor=ivy)
    webs = web_processes(3)
    cookies = login_cookies(live_attempt.learner)
    url = reverse("classroom_join")
    with ThreadPoolExecutor(6) as pool:
        list(
            pool.map(
                lambda i: post(webs[i % 3], url, cookies, {"code": f"WRONG{i:07d}"}),
                range(30),
            )
        )
    # 30 wrong codes, 10 per process: a count per process (limit 20) would still let this one in.
    post(webs[0], url, cookies, {"code": classroom.invite_code})
    assert not Membership.objects.filter(classroom=classroom, learner=live_attempt.learner).exists()
