"""Creating a classroom, assigning challenges, managing the invite code."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from classroom.models import CODE_ALPHABET, CODE_LENGTH, Assignment, Classroom
from tests.classroom.base import ClassroomTestCase


class CreateTestCase(ClassroomTestCase):
    def test_it_creates_a_classroom_with_its_challenges_and_a_code(self) -> None:
        challenges = [self.challenge("wrong-selector"), self.challenge("partial-outage")]
        r = self.client_for(self.ian).post(
            reverse("classroom_create"),
            {
                "name": "Networking lab",
                "challenges": [c.pk for c in challenges],
                "due_at": "2031-03-04T16:30",
            },
        )
        classroom = Classroom.objects.get(name="Networking lab")
        self.assertRedirects(r, classroom.get_absolute_url())
        self.assertEqual(classroom.instructor, self.ian)
        self.assertEqual(
            sorted(classroom.assignments.values_list("challenge__slug", flat=True)),
            ["partial-outage", "wrong-selector"],
        )
        due = classroom.assignments.first()
        assert due is not None and due.due_at is not None
        self.assertEqual((due.due_at.year, due.due_at.hour, due.due_at.minute), (2031, 16, 30))
        self.assertEqual(len(classroom.invite_code), CODE_LENGTH)
        self.assertTrue(set(classroom.invite_code) <= set(CODE_ALPHABET))

    def test_it_shows_the_code_and_the_join_link_after_creating(self) -> None:
        r = self.client_for(self.ian).post(reverse("classroom_create"), {"name": "Lab"}, follow=True)
        classroom = Classroom.objects.get(name="Lab")
        self.assertContains(r, classroom.invite_code_display)
        self.assertContains(r, f"http://testserver/classrooms/join/{classroom.invite_code}/")

    def test_it_refuses_a_classroom_without_a_name(self) -> None:
        r = self.client_for(self.ian).post(reverse("classroom_create"), {"name": "  "})
        self.assertEqual(r.status_code, 200)
        self.assertFalse(Classroom.objects.filter(instructor=self.ian).exists())

    def test_it_refuses_an_invite_expiry_in_the_past(self) -> None:
        r = self.client_for(self.ian).post(
            reverse("classroom_create"), {"name": "Lab", "invite_expires_at": "2001-01-01T10:00"}
        )
        self.assertContains(r, "Pick a moment in the future")

    def test_codes_differ_between_classrooms(self) -> None:
        codes = {Classroom.objects.create(name=f"c{i}", instructor=self.ivy).invite_code for i in range(50)}
        self.assertEqual(len(codes), 50)

    def test_the_page_offers_the_create_button_only_to_instructors(self) -> None:
        self.assertContains(self.client_for(self.ivy).get(reverse("classroom_list")), "New classroom")
        self.assertNotContains(self.client_for(self.alice).get(reverse("classroom_list")), "New classroom")


class AssignmentTestCase(ClassroomTestCase):
    def test_it_assigns_a_challenge_with_a_due_date(self) -> None:
        self.client_for(self.ivy).post(
            reverse("classroom_assignment_add", args=[self.classroom.pk]),
            {"challenge": self.challenge("partial-outage").pk, "due_at": "2031-05-01T09:00"},
        )
        assignment = Assignment.objects.get(classroom=self.classroom, challenge__slug="partial-outage")
        assert assignment.due_at is not None
        self.assertEqual(assignment.due_at.month, 5)

    def test_assigning_twice_updates_the_due_date(self) -> None:
        url = reverse("classroom_assignment_add", args=[self.classroom.pk])
        client = self.client_for(self.ivy)
        client.post(url, {"challenge": self.challenge("wrong-selector").pk, "due_at": "2031-05-01T09:00"})
        self.assertEqual(self.classroom.assignments.filter(challenge__slug="wrong-selector").count(), 1)
        self.assertIsNotNone(self.classroom.assignments.get(challenge__slug="wrong-selector").due_at)

    def test_it_changes_and_clears_a_due_date(self) -> None:
        assignment = self.classroom.assignments.get(challenge__slug="wrong-selector")
        url = reverse("classroom_assignment_update", args=[self.classroom.pk, assignment.pk])
        self.client_for(self.ivy).post(url, {"action": "due", f"a{assignment.pk}-due_at": "2031-06-01T12:00"})
        assignment.refresh_from_db()
        self.assertIsNotNone(assignment.due_at)
        self.client_for(self.ivy).post(url, {"action": "due", f"a{assignment.pk}-due_at": ""})
        assignment.refresh_from_db()
        self.assertIsNone(assignment.due_at)

    def test_removing_an_assignment_keeps_the_attempts(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        assignment = self.classroom.assignments.get(challenge__slug="wrong-selector")
        self.client_for(self.ivy).post(
            reverse("classroom_assignment_update", args=[self.classroom.pk, assignment.pk]),
            {"action": "remove"},
        )
        self.assertFalse(Assignment.objects.filter(pk=assignment.pk).exists())
        attempt.refresh_from_db()

    def test_it_refuses_to_assign_an_unpublished_challenge(self) -> None:
        hidden = self.challenge("partial-outage")
        hidden.published = False
        hidden.save()
        self.client_for(self.ivy).post(
            reverse("classroom_assignment_add", args=[self.classroom.pk]), {"challenge": hidden.pk}
        )
        self.assertFalse(self.classroom.assignments.filter(challenge=hidden).exists())


class InviteTestCase(ClassroomTestCase):
    def test_rotating_replaces_the_code(self) -> None:
        old = self.classroom.invite_code
        r = self.client_for(self.ivy).post(
            reverse("classroom_invite", args=[self.classroom.pk]), {"action": "rotate"}, follow=True
        )
        self.classroom.refresh_from_db()
        self.assertNotEqual(self.classroom.invite_code, old)
        self.assertContains(r, "The old code and link no longer work")

    def test_closing_stops_the_code(self) -> None:
        self.client_for(self.ivy).post(
            reverse("classroom_invite", args=[self.classroom.pk]), {"action": "save"}
        )
        self.classroom.refresh_from_db()
        self.assertFalse(self.classroom.joining_open)
        self.assertFalse(self.classroom.accepts_joins())

    def test_it_sets_an_expiry(self) -> None:
        self.client_for(self.ivy).post(
            reverse("classroom_invite", args=[self.classroom.pk]),
            {"action": "save", "joining_open": "on", "invite_expires_at": "2031-01-01T08:00"},
        )
        self.classroom.refresh_from_db()
        self.assertTrue(self.classroom.joining_open)
        assert self.classroom.invite_expires_at is not None
        self.assertEqual(self.classroom.invite_expires_at.year, 2031)

    def test_it_warns_when_the_expiry_has_passed(self) -> None:
        past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        r = self.client_for(self.ivy).post(
            reverse("classroom_invite", args=[self.classroom.pk]),
            {"action": "save", "joining_open": "on", "invite_expires_at": past},
            follow=True,
        )
        self.assertContains(r, "the expiry date has passed")


class LearnerViewTestCase(ClassroomTestCase):
    def test_a_learner_sees_the_assignments_and_their_status(self) -> None:
        self.attempt_at(self.alice, "wrong-selector", "solved", solved_after=timedelta(minutes=4))
        r = self.client_for(self.alice).get(self.classroom.get_absolute_url())
        self.assertContains(r, "Wrong Selector")
        self.assertContains(r, "Expose Internally")
        self.assertContains(r, "1 of 2 solved")
        self.assertNotContains(r, "Rotate")
        self.assertNotContains(r, self.classroom.invite_code_display)

    def test_staff_see_the_classroom_read_only(self) -> None:
        r = self.client_for(self.sam).get(self.classroom.get_absolute_url())
        self.assertContains(r, "read-only")
        self.assertNotContains(r, "Rotate the code")
        self.assertNotContains(r, "Assign</button>")


class MembershipTestCase(ClassroomTestCase):
    def test_an_instructor_removes_a_learner_and_keeps_their_attempts(self) -> None:
        attempt = self.attempt_at(self.alice, "wrong-selector")
        r = self.client_for(self.ivy).post(
            reverse("classroom_learner_remove", args=[self.classroom.pk, self.alice.pk]), follow=True
        )
        self.assertContains(r, "alice is no longer in")
        self.assertFalse(self.classroom.memberships.exists())
        attempt.refresh_from_db()

    def test_removing_someone_who_is_not_in_the_classroom_is_404(self) -> None:
        r = self.client_for(self.ivy).post(
            reverse("classroom_learner_remove", args=[self.classroom.pk, self.bob.pk])
        )
        self.assertEqual(r.status_code, 404)

    def test_a_learner_leaves_and_the_dashboard_forgets_them(self) -> None:
        r = self.client_for(self.alice).post(
            reverse("classroom_leave", args=[self.classroom.pk]), follow=True
        )
        self.assertContains(r, "You left “Kubernetes 101”")
        dashboard = self.client_for(self.ivy).get(reverse("classroom_dashboard", args=[self.classroom.pk]))
        self.assertNotContains(dashboard, 'data-learner="alice"')
        self.assertEqual(self.client_for(self.alice).get(self.classroom.get_absolute_url()).status_code, 404)
