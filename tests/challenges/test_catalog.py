"""The catalog a visitor sees, the challenge page, accounts."""

from django.contrib.auth.models import User
from django.urls import reverse

from challenges.models import Attempt, Challenge, Status
from tests.base import BaseTestCase


class CatalogTestCase(BaseTestCase):
    def slugs(self, response: object) -> list[str]:
        return [challenge.slug for challenge, _ in response.context["cards"]]  # type: ignore[attr-defined]

    def cards(self, response: object) -> list[Challenge]:
        return [challenge for challenge, _ in response.context["cards"]]  # type: ignore[attr-defined]

    def test_it_lists_every_published_challenge_to_anyone(self) -> None:
        r = self.client_for(None).get(reverse("catalog"))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(
            sorted(self.slugs(r)),
            sorted(Challenge.objects.filter(published=True).values_list("slug", flat=True)),
        )
        self.assertTrue({"expose-internally", "partial-outage", "wrong-selector"} <= set(self.slugs(r)))
        self.assertContains(r, "Wrong Selector")
        self.assertContains(r, "About 10 min")

    def test_it_filters_by_difficulty(self) -> None:
        r = self.client_for(None).get(reverse("catalog"), {"difficulty": "medium"})
        self.assertIn("partial-outage", self.slugs(r))
        self.assertEqual({c.difficulty for c in self.cards(r)}, {"medium"})
        self.assertEqual(len(self.slugs(r)), Challenge.objects.filter(difficulty="medium").count())

    def test_it_filters_by_theme(self) -> None:
        r = self.client_for(None).get(reverse("catalog"), {"theme": "networking", "difficulty": "easy"})
        self.assertEqual(sorted(self.slugs(r)), ["expose-internally", "wrong-selector"])
        r = self.client_for(None).get(reverse("catalog"), {"theme": "networking", "q": "no such title"})
        self.assertEqual(self.slugs(r), [])
        self.assertContains(r, "No challenge matches these filters")

    def test_it_searches_by_title(self) -> None:
        r = self.client_for(None).get(reverse("catalog"), {"q": "wrong selector"})
        self.assertEqual(self.slugs(r), ["wrong-selector"])

    def test_it_ignores_unknown_filter_values(self) -> None:
        r = self.client_for(None).get(reverse("catalog"), {"difficulty": "<script>", "theme": "x"})
        self.assertEqual(len(self.slugs(r)), Challenge.objects.filter(published=True).count())
        self.assertNotContains(r, "<script>")

    def test_an_htmx_request_gets_only_the_cards(self) -> None:
        r = self.client_for(None).get(reverse("catalog"), {"q": "outage"}, HTTP_HX_REQUEST="true")
        self.assertContains(r, 'id="cards"')
        self.assertNotContains(r, "<html")
        self.assertContains(r, "Partial Outage")

    def test_it_hides_unpublished_challenges(self) -> None:
        self.challenge("wrong-selector").__class__.objects.filter(slug="wrong-selector").update(
            published=False
        )
        r = self.client_for(None).get(reverse("catalog"))
        self.assertNotIn("wrong-selector", self.slugs(r))
        r = self.client_for(None).get(reverse("challenge", args=["wrong-selector"]))
        self.assertEqual(r.status_code, 404)

    def test_each_card_shows_the_learners_status(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", status=Status.READY)
        r = self.client_for(self.alice).get(reverse("catalog"))
        progress = {c.slug: p for c, p in r.context["cards"]}
        self.assertEqual(progress["wrong-selector"].status, "in-progress")
        self.assertEqual(progress["partial-outage"].status, "not-started")
        # bob sees none of alice's progress
        r = self.client_for(self.bob).get(reverse("catalog"))
        self.assertTrue(all(p.status == "not-started" for _, p in r.context["cards"]))


class ChallengePageTestCase(BaseTestCase):
    def test_it_shows_description_situation_and_objective_titles(self) -> None:
        r = self.client_for(None).get(reverse("challenge", args=["wrong-selector"]))
        self.assertContains(r, "no endpoints")
        self.assertContains(r, "Service frontend routes to every frontend pod")
        self.assertContains(r, "Log in to start")

    def test_it_never_shows_the_solution_or_failure_messages_upfront(self) -> None:
        r = self.client_for(self.alice).get(reverse("challenge", args=["partial-outage"]))
        self.assertNotContains(r, "port: 8443\n")
        self.assertNotContains(r, "allow-payments was copied")
        self.assertContains(r, "Start challenge")

    def test_anonymous_users_cannot_start_anything(self) -> None:
        r = self.client_for(None).post(reverse("attempt_start", args=["wrong-selector"]))
        self.assertEqual(r.status_code, 302)
        self.assertIn(reverse("login"), r["Location"])
        self.assertEqual(Attempt.objects.count(), 0)

    def test_start_refuses_get(self) -> None:
        r = self.client_for(self.alice).get(reverse("attempt_start", args=["wrong-selector"]))
        self.assertEqual(r.status_code, 405)
        self.assertEqual(Attempt.objects.count(), 0)


class AccountsTestCase(BaseTestCase):
    def test_a_visitor_can_sign_up_and_is_logged_in(self) -> None:
        client = self.client_for(None)
        r = client.post(
            reverse("signup"),
            {
                "username": "newbie",
                "password1": "a-long-pass-phrase-42",
                "password2": "a-long-pass-phrase-42",
            },
        )
        self.assertRedirects(r, reverse("catalog"))
        self.assertTrue(User.objects.filter(username="newbie").exists())
        self.assertContains(client.get(reverse("catalog")), "newbie")

    def test_sign_up_never_redirects_off_site(self) -> None:
        r = self.client_for(None).post(
            reverse("signup"),
            {
                "username": "eve",
                "password1": "a-long-pass-phrase-42",
                "password2": "a-long-pass-phrase-42",
                "next": "https://evil.example/",
            },
        )
        self.assertRedirects(r, reverse("catalog"))

    def test_sign_up_reports_a_weak_password(self) -> None:
        r = self.client_for(None).post(
            reverse("signup"), {"username": "weak", "password1": "123", "password2": "123"}
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "too short")
        self.assertFalse(User.objects.filter(username="weak").exists())

    def test_log_in_and_log_out(self) -> None:
        client = self.client_for(None)
        r = client.post(reverse("login"), {"username": "alice", "password": "password-alice"})
        self.assertRedirects(r, reverse("catalog"))
        r = client.post(reverse("logout"))
        self.assertRedirects(r, reverse("catalog"))

    def test_the_admin_is_for_staff_only(self) -> None:
        self.assertEqual(self.client_for(self.alice).get("/admin/").status_code, 302)
        self.assertEqual(self.client_for(self.sam).get("/admin/").status_code, 200)
