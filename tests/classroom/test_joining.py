"""Joining by code or link: clear refusals, idempotent, fast for a whole class."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from classroom.models import Classroom, Membership, format_invite_code
from tests.classroom.base import ClassroomTestCase


class JoinByCodeTestCase(ClassroomTestCase):
    def post_code(self, user: User, code: str, follow: bool = True) -> object:
        return self.client_for(user).post(reverse("classroom_join"), {"code": code}, follow=follow)

    def test_it_joins_with_the_code(self) -> None:
        r = self.post_code(self.bob, self.classroom.invite_code)
        self.assertTrue(Membership.objects.filter(classroom=self.classroom, learner=self.bob).exists())
        self.assertContains(r, "Welcome to “Kubernetes 101”")  # type: ignore[arg-type]

    def test_it_accepts_the_code_as_people_type_it(self) -> None:
        typed = format_invite_code(self.classroom.invite_code).lower().replace("-", " - ")
        self.post_code(self.bob, f"  {typed} ")
        self.assertTrue(Membership.objects.filter(classroom=self.classroom, learner=self.bob).exists())

    def test_it_reads_confusable_letters_as_digits(self) -> None:
        self.classroom.invite_code = "ABCD0123EFGH"
        self.classroom.save()
        self.post_code(self.bob, "abcdOI23efgh")
        self.assertTrue(Membership.objects.filter(classroom=self.classroom, learner=self.bob).exists())

    def test_joining_twice_is_harmless(self) -> None:
        self.post_code(self.alice, self.classroom.invite_code)
        r = self.post_code(self.alice, self.classroom.invite_code)
        self.assertEqual(Membership.objects.filter(classroom=self.classroom, learner=self.alice).count(), 1)
        self.assertContains(r, "You are already in")  # type: ignore[arg-type]

    def test_it_explains_a_wrong_code(self) -> None:
        r = self.post_code(self.bob, "ZZZZ-ZZZZ-ZZZZ")
        self.assertContains(r, "No classroom has that invite code")  # type: ignore[arg-type]
        self.assertFalse(Membership.objects.filter(learner=self.bob).exists())

    def test_it_explains_an_expired_code(self) -> None:
        self.classroom.invite_expires_at = timezone.now() - timedelta(hours=1)
        self.classroom.save()
        r = self.post_code(self.bob, self.classroom.invite_code)
        self.assertContains(r, "expired on")  # type: ignore[arg-type]
        self.assertContains(r, "Ask your instructor for a new one")  # type: ignore[arg-type]
        self.assertFalse(Membership.objects.filter(learner=self.bob).exists())

    def test_it_explains_a_closed_classroom(self) -> None:
        self.classroom.joining_open = False
        self.classroom.save()
        r = self.post_code(self.bob, self.classroom.invite_code)
        self.assertContains(r, "is not accepting new learners")  # type: ignore[arg-type]
        self.assertFalse(Membership.objects.filter(learner=self.bob).exists())

    def test_a_rotated_code_no_longer_works(self) -> None:
        old = self.classroom.invite_code
        self.client_for(self.ivy).post(
            reverse("classroom_invite", args=[self.classroom.pk]), {"action": "rotate"}
        )
        r = self.post_code(self.bob, old)
        self.assertContains(r, "No classroom has that invite code")  # type: ignore[arg-type]

    def test_an_instructor_cannot_join_their_own_classroom(self) -> None:
        r = self.post_code(self.ivy, self.classroom.invite_code)
        self.assertContains(r, "You run this classroom")  # type: ignore[arg-type]
        self.assertFalse(Membership.objects.filter(learner=self.ivy).exists())

    def test_another_instructor_may_join_as_a_learner(self) -> None:
        self.post_code(self.ian, self.classroom.invite_code)
        self.assertTrue(Membership.objects.filter(classroom=self.classroom, learner=self.ian).exists())

    def test_it_pauses_after_many_wrong_codes(self) -> None:
        self.addCleanup(cache.clear)  # the count lives in the cache, which outlives the test
        client = self.client_for(self.bob)
        for i in range(20):
            client.post(reverse("classroom_join"), {"code": f"WRONG{i:07d}"})
        r = client.post(reverse("classroom_join"), {"code": self.classroom.invite_code}, follow=True)
        self.assertContains(r, "Too many wrong codes")
        self.assertFalse(Membership.objects.filter(learner=self.bob).exists())

    def test_only_wrong_codes_count_towards_the_pause(self) -> None:
        self.addCleanup(cache.clear)
        closed = Classroom.objects.create(name="Closed", instructor=self.ivy, joining_open=False)
        client = self.client_for(self.bob)
        for i in range(19):
            client.post(reverse("classroom_join"), {"code": f"WRONG{i:07d}"})
        for _ in range(5):  # a right code gives its try back, and so does a closed classroom's
            client.post(reverse("classroom_join"), {"code": self.classroom.invite_code})
            client.post(reverse("classroom_join"), {"code": closed.invite_code})
        r = client.post(reverse("classroom_join"), {"code": "WRONG0000099"}, follow=True)
        self.assertContains(r, "No classroom has that invite code")  # the 20th wrong code
        r = client.post(reverse("classroom_join"), {"code": self.classroom.invite_code}, follow=True)
        self.assertContains(r, "Too many wrong codes")


class JoinLinkTestCase(ClassroomTestCase):
    def url(self, code: str | None = None) -> str:
        return reverse("classroom_join_code", args=[code or self.classroom.invite_code])

    def test_it_shows_what_the_link_joins_to_a_visitor(self) -> None:
        r = Client().get(self.url())
        self.assertContains(r, "Kubernetes 101")
        self.assertContains(
            r, f'href="/accounts/signup/?next=/classrooms/join/{self.classroom.invite_code}/"'
        )
        self.assertContains(r, f'href="/accounts/login/?next=/classrooms/join/{self.classroom.invite_code}/"')

    def test_a_new_learner_signs_up_and_joins_in_two_steps(self) -> None:
        client = Client()
        r = client.post(
            reverse("signup"),
            {
                "username": "carol",
                "password1": "a-long-passphrase-9",
                "password2": "a-long-passphrase-9",
                "next": self.url(),
            },
        )
        self.assertRedirects(r, self.url(), fetch_redirect_response=False)
        page = client.get(self.url())
        self.assertContains(page, "Join Kubernetes 101")
        r = client.post(self.url())
        self.assertRedirects(r, self.classroom.get_absolute_url())
        self.assertTrue(
            Membership.objects.filter(classroom=self.classroom, learner__username="carol").exists()
        )

    def test_a_learner_who_logs_in_comes_back_to_the_link(self) -> None:
        r = Client().post(
            reverse("login"), {"username": "bob", "password": "password-bob", "next": self.url()}
        )
        self.assertRedirects(r, self.url(), fetch_redirect_response=False)

    def test_posting_the_link_anonymously_asks_to_log_in(self) -> None:
        r = Client().post(self.url())
        self.assertRedirects(r, f"{reverse('login')}?next={self.url()}", fetch_redirect_response=False)
        self.assertEqual(Membership.objects.filter(classroom=self.classroom).count(), 1)

    def test_a_get_never_joins(self) -> None:
        self.client_for(self.bob).get(self.url())
        self.assertFalse(Membership.objects.filter(learner=self.bob).exists())

    def test_the_link_says_when_you_are_already_in(self) -> None:
        self.assertContains(self.client_for(self.alice).get(self.url()), "You are already in this classroom")

    def test_a_wrong_link_says_so(self) -> None:
        r = Client().get(self.url("NOPENOPENOPE"))
        self.assertContains(r, "No classroom has that invite code", status_code=404)

    def test_a_closed_link_says_so(self) -> None:
        self.classroom.joining_open = False
        self.classroom.save()
        r = self.client_for(self.bob).get(self.url())
        self.assertContains(r, "is not accepting new learners", status_code=404)

    def test_thirty_learners_join_with_one_request_each(self) -> None:
        for i in range(30):
            learner = User.objects.create_user(f"learner{i:02d}")
            r = self.client_for(learner).post(self.url())
            self.assertEqual(r.status_code, 302)
        self.assertEqual(Membership.objects.filter(classroom=self.classroom).count(), 31)
