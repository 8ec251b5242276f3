"""The permission matrix: every classroom URL, for every persona.

Personas: anonymous; alice, a learner who joined the classroom; bob, a learner who did not;
ivy, the classroom's instructor; ian, another instructor; sam, staff.

Decisions (see classroom/access.py): strangers get 404 as if the classroom did not exist; a
learner of the classroom and staff get 403 where their role does not reach; staff may read
every classroom (pages, dashboard, drill-downs, exports) but change nothing; anonymous
visitors are sent to log in. The join link is public by design: the code is the secret.

Every refused request must also leave the classroom, its assessments and the learner's
environment untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from challenges.models import Attempt, AttemptEvent, PoolSchedule, Status
from classroom.models import (
    Assessment,
    Assignment,
    Classroom,
    Extension,
    Membership,
    Notice,
    Sitting,
    WarmPool,
)
from classroom.warmpool import warm_pool_raise
from tests.classroom.base import ClassroomTestCase

PERSONAS = ("anonymous", "alice", "bob", "ivy", "ian", "sam")
LOGIN = 302  # to the login page
OK_REDIRECT = 302  # done, back to the page


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    url: Callable[[PermissionMatrix], str]
    expect: dict[str, int]
    data: Callable[[PermissionMatrix], dict[str, str]] | None = None
    htmx: bool = False


def _action_url(action: str) -> Callable[[PermissionMatrix], str]:
    def url(t: PermissionMatrix) -> str:
        return reverse("classroom_attempt_action", args=[t.classroom.pk, t.attempt.pk, action])

    return url


def expect(anonymous: int, alice: int, bob: int, ivy: int, ian: int, sam: int) -> dict[str, int]:
    return dict(zip(PERSONAS, (anonymous, alice, bob, ivy, ian, sam), strict=True))


READ_INSTRUCTOR = expect(LOGIN, 403, 404, 200, 404, 200)
WRITE_INSTRUCTOR = expect(LOGIN, 403, 404, OK_REDIRECT, 404, 403)

ROUTES = [
    Route(
        "classroom_list", "get", lambda t: reverse("classroom_list"), expect(LOGIN, 200, 200, 200, 200, 200)
    ),
    Route(
        "classroom_create",
        "get",
        lambda t: reverse("classroom_create"),
        expect(LOGIN, 403, 403, 200, 200, 403),
    ),
    Route(
        "classroom_create_post",
        "post",
        lambda t: reverse("classroom_create"),
        expect(LOGIN, 403, 403, OK_REDIRECT, OK_REDIRECT, 403),
        data=lambda t: {"name": "Another class"},
    ),
    Route(
        "classroom", "get", lambda t: t.classroom.get_absolute_url(), expect(LOGIN, 200, 404, 200, 404, 200)
    ),
    Route(
        "classroom_invite_rotate",
        "post",
        lambda t: reverse("classroom_invite", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"action": "rotate"},
    ),
    Route(
        "classroom_invite_close",
        "post",
        lambda t: reverse("classroom_invite", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"action": "save"},
    ),
    Route(
        "classroom_assignment_add",
        "post",
        lambda t: reverse("classroom_assignment_add", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"challenge": str(t.challenge("partial-outage").pk)},
    ),
    Route(
        "classroom_assignment_due",
        "post",
        lambda t: reverse("classroom_assignment_update", args=[t.classroom.pk, t.assignment.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"action": "due", f"a{t.assignment.pk}-due_at": "2031-01-01T10:00"},
    ),
    Route(
        "classroom_assignment_remove",
        "post",
        lambda t: reverse("classroom_assignment_update", args=[t.classroom.pk, t.assignment.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"action": "remove"},
    ),
    Route(
        "classroom_learner_remove",
        "post",
        lambda t: reverse("classroom_learner_remove", args=[t.classroom.pk, t.alice.pk]),
        WRITE_INSTRUCTOR,
    ),
    Route(
        "classroom_leave",
        "post",
        lambda t: reverse("classroom_leave", args=[t.classroom.pk]),
        expect(LOGIN, OK_REDIRECT, 404, 403, 404, 403),
    ),
    Route(
        "classroom_dashboard",
        "get",
        lambda t: reverse("classroom_dashboard", args=[t.classroom.pk]),
        READ_INSTRUCTOR,
    ),
    Route(
        "classroom_dashboard_poll",
        "get",
        lambda t: reverse("classroom_dashboard", args=[t.classroom.pk]) + "?sort=progress",
        READ_INSTRUCTOR,
        htmx=True,
    ),
    Route(
        "classroom_drilldown",
        "get",
        lambda t: reverse("classroom_drilldown", args=[t.classroom.pk, t.alice.pk, "wrong-selector"]),
        READ_INSTRUCTOR,
    ),
    *(
        Route(
            f"classroom_attempt_{action}",
            "post",
            _action_url(action),
            WRITE_INSTRUCTOR,
        )
        for action in ("extend", "reset", "end", "hint")
    ),
    Route(
        "classroom_export_grid",
        "get",
        lambda t: reverse("classroom_export_grid", args=[t.classroom.pk]),
        READ_INSTRUCTOR,
    ),
    Route(
        "classroom_export_checks",
        "get",
        lambda t: reverse("classroom_export_checks", args=[t.classroom.pk]),
        READ_INSTRUCTOR,
    ),
    Route(
        "classroom_notice_to_the_class",
        "post",
        lambda t: reverse("classroom_notice", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"text": "Stop and look at the projector"},
    ),
    Route(
        "classroom_notice_to_alice",
        "post",
        lambda t: reverse("classroom_notice", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"text": "Look at the selector", "learner": str(t.alice.pk), "slug": "wrong-selector"},
    ),
    Route(
        "assessment_create",
        "get",
        lambda t: reverse("assessment_create", args=[t.classroom.pk]),
        expect(LOGIN, 403, 404, 200, 404, 403),
    ),
    Route(
        "assessment_create_post",
        "post",
        lambda t: reverse("assessment_create", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {
            "title": "Another",
            "challenges": str(t.assignment.challenge_id),
            "starts_at": (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "minutes": "30",
            "max_attempts": "1",
            "hint_penalty_percent": "0",
        },
    ),
    # The instructor and staff read the results; a learner of the classroom, their own sitting.
    Route(
        "assessment", "get", lambda t: t.assessment.get_absolute_url(), expect(LOGIN, 200, 404, 200, 404, 200)
    ),
    Route(
        "assessment_poll",
        "get",
        lambda t: t.assessment.get_absolute_url() + "?sort=score",
        expect(LOGIN, 200, 404, 200, 404, 200),
        htmx=True,
    ),
    Route(
        "assessment_start",
        "post",
        lambda t: reverse("assessment_start", args=[t.classroom.pk, t.assessment.pk, "wrong-selector"]),
        expect(LOGIN, OK_REDIRECT, 404, 403, 404, 403),
    ),
    Route(
        "assessment_extend",
        "post",
        lambda t: reverse("assessment_extend", args=[t.classroom.pk, t.assessment.pk, t.alice.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {"minutes": "10", "reason": "A fire drill"},
    ),
    Route(
        "assessment_end",
        "post",
        lambda t: reverse("assessment_end", args=[t.classroom.pk, t.assessment.pk]),
        WRITE_INSTRUCTOR,
    ),
    Route(
        "assessment_export",
        "get",
        lambda t: reverse("assessment_export", args=[t.classroom.pk, t.assessment.pk]),
        READ_INSTRUCTOR,
    ),
    Route(
        "classroom_warm_pool_add",
        "post",
        lambda t: reverse("classroom_warm_pool_add", args=[t.classroom.pk]),
        WRITE_INSTRUCTOR,
        data=lambda t: {
            "challenge": str(t.assignment.challenge_id),
            "ready": "30",
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "minutes": "60",
        },
    ),
    Route(
        "classroom_warm_pool_cancel",
        "post",
        lambda t: reverse("classroom_warm_pool_cancel", args=[t.classroom.pk, t.warm_pool.pk]),
        WRITE_INSTRUCTOR,
    ),
    Route(
        "classroom_join_code",
        "get",
        lambda t: reverse("classroom_join_code", args=[t.classroom.invite_code]),
        expect(200, 200, 200, 200, 200, 200),
    ),
]


class PermissionMatrix(ClassroomTestCase):
    attempt: Attempt
    assignment: Assignment
    assessment: Assessment
    warm_pool: WarmPool

    def setUp(self) -> None:
        self.attempt = self.attempt_at(
            self.alice, "wrong-selector", Status.READY, expires_at=timezone.now() + timedelta(minutes=30)
        )
        self.check_run(self.attempt, [False, True])
        self.assignment = Assignment.objects.get(classroom=self.classroom, challenge__slug="wrong-selector")
        now = timezone.now()
        self.assessment = Assessment.objects.create(
            classroom=self.classroom,
            title="Week 3 practical",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(minutes=30),
            created_by=self.ivy,
        )
        self.assessment.challenges.add(self.assignment.challenge)
        self.warm_pool = warm_pool_raise(
            classroom=self.classroom,
            instructor=self.ivy,
            challenge=self.assignment.challenge,
            ready=10,
            starts_at=now,
            minutes=60,
        )

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)

    def fingerprint(self) -> tuple[object, ...]:
        """Everything a refused request could have changed."""
        classroom = Classroom.objects.get(pk=self.classroom.pk)
        return (
            Classroom.objects.count(),
            classroom.invite_code,
            classroom.joining_open,
            classroom.invite_expires_at,
            sorted(Assignment.objects.filter(classroom=classroom).values_list("challenge_id", "due_at")),
            sorted(Attempt.objects.values_list("pk", "status", "expires_at", "hints_unlocked")),
            sorted(Membership.objects.values_list("classroom_id", "learner_id")),
            AttemptEvent.objects.count(),
            sorted(Assessment.objects.values_list("pk", "ends_at", "ended_at")),
            sorted(Sitting.objects.values_list("pk", "extra_minutes", "closed_at")),
            Extension.objects.count(),
            Notice.objects.count(),
            sorted(PoolSchedule.objects.values_list("pk", "target")),
        )

    def run_cell(self, route: Route, persona: str) -> None:
        client = self.client_for(self.persona(persona))
        url = route.url(self)
        before = self.fingerprint()
        headers = {"HX-Request": "true"} if route.htmx else {}
        if route.method == "get":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, route.data(self) if route.data else {}, headers=headers)
        expected = route.expect[persona]
        self.assertEqual(response.status_code, expected, f"{route.method.upper()} {url} as {persona}")
        if persona == "anonymous" and expected == LOGIN:
            self.assertTrue(response["Location"].startswith(reverse("login")), response["Location"])
        if expected >= 400 or (persona == "anonymous" and expected == LOGIN):
            self.assertEqual(self.fingerprint(), before, f"a refused {route.name} changed something")
        elif route.method == "post" and route.name.startswith("classroom_attempt_"):
            # An allowed action is recorded with who did it.
            self.assertTrue(AttemptEvent.objects.filter(attempt=self.attempt, actor=self.ivy).exists())


def _cell_test(route: Route, persona: str) -> Callable[[PermissionMatrix], None]:
    def test(self: PermissionMatrix) -> None:
        self.run_cell(route, persona)

    test.__doc__ = f"{route.method.upper()} {route.name} as {persona} → {route.expect[persona]}"
    return test


for _route in ROUTES:
    for _persona in PERSONAS:
        setattr(
            PermissionMatrix,
            f"test_{_route.name}_as_{_persona}_is_{_route.expect[_persona]}",
            _cell_test(_route, _persona),
        )


class CrossClassroomTestCase(ClassroomTestCase):
    """What the matrix cannot show with one classroom: ids that belong elsewhere."""

    def setUp(self) -> None:
        self.other = Classroom.objects.create(name="Ian's class", instructor=self.ian)
        Assignment.objects.create(classroom=self.other, challenge=self.challenge("partial-outage"))
        self.join(self.bob, self.other)
        self.bob_attempt = self.attempt_at(self.bob, "partial-outage")

    def test_it_lists_only_the_instructors_own_classrooms(self) -> None:
        r = self.client_for(self.ivy).get(reverse("classroom_list"))
        self.assertContains(r, "Kubernetes 101")
        self.assertNotContains(r, "Ian&#x27;s class")

    def test_staff_see_every_classroom_in_the_list(self) -> None:
        r = self.client_for(self.sam).get(reverse("classroom_list"))
        self.assertContains(r, "Kubernetes 101")
        self.assertContains(r, "Ian&#x27;s class")

    def test_a_learner_lists_only_the_classrooms_they_joined(self) -> None:
        r = self.client_for(self.alice).get(reverse("classroom_list"))
        self.assertContains(r, "Kubernetes 101")
        self.assertNotContains(r, "Ian&#x27;s class")

    def test_it_hides_a_learner_of_another_classroom_in_the_drilldown(self) -> None:
        url = reverse("classroom_drilldown", args=[self.classroom.pk, self.bob.pk, "partial-outage"])
        self.assertEqual(self.client_for(self.ivy).get(url).status_code, 404)

    def test_it_hides_an_unassigned_challenge_in_the_drilldown(self) -> None:
        url = reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "partial-outage"])
        self.assertEqual(self.client_for(self.ivy).get(url).status_code, 404)

    def test_it_refuses_an_action_on_another_classrooms_attempt(self) -> None:
        url = reverse("classroom_attempt_action", args=[self.classroom.pk, self.bob_attempt.pk, "end"])
        r = self.client_for(self.ivy).post(url)
        self.assertEqual(r.status_code, 404)
        self.bob_attempt.refresh_from_db()
        self.assertEqual(self.bob_attempt.status, Status.READY)

    def test_it_refuses_an_action_on_a_classroom_learners_unassigned_challenge(self) -> None:
        attempt = self.attempt_at(self.alice, "partial-outage")
        url = reverse("classroom_attempt_action", args=[self.classroom.pk, attempt.pk, "end"])
        self.assertEqual(self.client_for(self.ivy).post(url).status_code, 404)

    def test_it_refuses_an_unknown_action(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        url = reverse("classroom_attempt_action", args=[self.classroom.pk, attempt.pk, "delete"])
        self.assertEqual(self.client_for(self.ivy).post(url).status_code, 404)

    def test_it_refuses_an_assignment_of_another_classroom(self) -> None:
        assignment = Assignment.objects.get(classroom=self.other)
        url = reverse("classroom_assignment_update", args=[self.classroom.pk, assignment.pk])
        self.assertEqual(self.client_for(self.ivy).post(url, {"action": "remove"}).status_code, 404)
        self.assertTrue(Assignment.objects.filter(pk=assignment.pk).exists())

    def test_actions_refuse_get(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        url = reverse("classroom_attempt_action", args=[self.classroom.pk, attempt.pk, "end"])
        self.assertEqual(self.client_for(self.ivy).get(url).status_code, 405)

    def test_an_instructor_whose_permission_was_withdrawn_loses_the_dashboard(self) -> None:
        self.ivy.user_permissions.clear()
        url = reverse("classroom_dashboard", args=[self.classroom.pk])
        self.assertEqual(self.client_for(User.objects.get(pk=self.ivy.pk)).get(url).status_code, 404)

    def test_the_dashboard_shows_no_learner_of_another_classroom(self) -> None:
        r = self.client_for(self.ivy).get(reverse("classroom_dashboard", args=[self.classroom.pk]))
        self.assertContains(r, 'data-learner="alice"')
        self.assertNotContains(r, 'data-learner="bob"')

    def test_the_grid_export_holds_no_learner_of_another_classroom(self) -> None:
        r = self.client_for(self.ivy).get(reverse("classroom_export_grid", args=[self.classroom.pk]))
        body = b"".join(r.streaming_content).decode()  # type: ignore[attr-defined]
        self.assertIn("alice", body)
        self.assertNotIn("bob", body)
