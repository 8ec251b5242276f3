"""The learner's classrooms and assignments, as the profile page includes them."""

from __future__ import annotations

from datetime import timedelta

from django.test import RequestFactory
from django.utils import timezone

from challenges.models import Status
from classroom.learner import learner_classrooms
from classroom.models import Assignment
from classroom.views.profile import profile_classrooms
from tests.classroom.base import ClassroomTestCase


class ProfileClassroomsTestCase(ClassroomTestCase):
    def render(self, user: object) -> str:
        request = RequestFactory().get("/profile/")
        request.user = user  # type: ignore[assignment]
        return profile_classrooms(request)

    def test_it_lists_the_joined_classroom_with_due_dates_and_status(self) -> None:
        Assignment.objects.filter(classroom=self.classroom, challenge__slug="wrong-selector").update(
            due_at=timezone.now() - timedelta(days=1)
        )
        self.attempt_at(self.alice, "expose-internally", Status.SOLVED, solved_after=timedelta(minutes=2))
        html = self.render(self.alice)
        self.assertIn("Kubernetes 101", html)
        self.assertIn("overdue since", html)
        self.assertIn('class="status status-solved"', html)
        self.assertIn("1 of 2 solved", html)

    def test_it_invites_a_learner_without_classrooms_to_join(self) -> None:
        self.assertIn("Join a classroom", self.render(self.bob))

    def test_the_selector_orders_assignments_by_due_date(self) -> None:
        Assignment.objects.filter(classroom=self.classroom, challenge__slug="expose-internally").update(
            due_at=timezone.now() + timedelta(days=1)
        )
        (joined,) = learner_classrooms(learner=self.alice)
        self.assertEqual(
            [a.challenge.slug for a in joined.assignments], ["expose-internally", "wrong-selector"]
        )

    def test_a_solved_assignment_is_never_late(self) -> None:
        Assignment.objects.filter(classroom=self.classroom).update(due_at=timezone.now() - timedelta(days=1))
        self.attempt_at(self.alice, "wrong-selector", Status.SOLVED, solved_after=timedelta(minutes=2))
        (joined,) = learner_classrooms(learner=self.alice)
        self.assertEqual([a.late for a in joined.assignments], [False, True])
