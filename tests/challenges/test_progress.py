"""Experience points, ranks, the profile page and the status on each catalog card."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from challenges import xp
from challenges.models import Challenge, Status
from challenges.selectors import learner_standing, progress_by_challenge
from tests.base import BaseTestCase


class XpRulesTestCase(BaseTestCase):
    def test_a_solve_is_worth_its_difficulty(self) -> None:
        self.assertEqual(xp.solve_xp(difficulty="easy", hints=0, first_attempt=False), 50)
        self.assertEqual(xp.solve_xp(difficulty="medium", hints=0, first_attempt=False), 100)
        self.assertEqual(xp.solve_xp(difficulty="hard", hints=0, first_attempt=False), 200)

    def test_each_hint_takes_a_fifth_off(self) -> None:
        self.assertEqual(xp.solve_xp(difficulty="hard", hints=1, first_attempt=False), 160)
        self.assertEqual(xp.solve_xp(difficulty="hard", hints=2, first_attempt=False), 120)

    def test_a_solve_keeps_at_least_forty_percent_however_many_hints(self) -> None:
        self.assertEqual(xp.solve_xp(difficulty="hard", hints=3, first_attempt=False), 80)
        self.assertEqual(xp.solve_xp(difficulty="hard", hints=9, first_attempt=False), 80)

    def test_solving_in_the_first_attempt_earns_a_bonus(self) -> None:
        self.assertEqual(xp.solve_xp(difficulty="easy", hints=0, first_attempt=True), 60)
        self.assertEqual(xp.solve_xp(difficulty="hard", hints=1, first_attempt=True), 200)

    def test_ranks_follow_the_total(self) -> None:
        self.assertEqual(xp.standing(0).rank.name, "Newcomer")
        self.assertEqual(xp.standing(60).rank.name, "Pod Wrangler")
        self.assertEqual(xp.standing(1000).rank.name, "Kubernetes Whisperer")
        self.assertIsNone(xp.standing(5000).next_rank)

    def test_the_way_to_the_next_rank(self) -> None:
        standing = xp.standing(100)  # Pod Wrangler (50) → Service Mender (150)
        self.assertEqual(standing.to_next, 50)
        self.assertEqual(standing.percent_to_next, 50)
        self.assertEqual(xp.standing(5000).percent_to_next, 100)


class ProgressTestCase(BaseTestCase):
    def solved(self, slug: str, *, hints: int = 0, minutes: int = 5, learner: object = None) -> None:
        ready = timezone.now() - timedelta(hours=1)
        self.make_attempt(
            learner or self.alice,  # type: ignore[arg-type]
            slug,
            status=Status.DESTROYED,
            hints_unlocked=hints,
            ready_at=ready,
            solved_at=ready + timedelta(minutes=minutes),
        )

    def test_a_challenge_counts_once_with_its_best_solve(self) -> None:
        self.solved("partial-outage", hints=3)  # first attempt: 40% + 20% of 100
        self.solved("partial-outage", hints=0)  # a replay without hints: 100
        self.solved("partial-outage", hints=1)
        item = progress_by_challenge(learner=self.alice)[self.challenge("partial-outage").pk]
        self.assertEqual(item.xp, 100)
        self.assertEqual(item.attempts, 3)
        self.assertEqual(learner_standing(progress=progress_by_challenge(learner=self.alice)).xp, 100)

    def test_the_first_solve_bonus_needs_the_first_attempt(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", status=Status.ENDED)
        self.solved("wrong-selector")
        item = progress_by_challenge(learner=self.alice)[self.challenge("wrong-selector").pk]
        self.assertEqual(item.xp, 50)

    def test_an_unsolved_challenge_earns_nothing(self) -> None:
        self.make_attempt(self.alice, "wrong-selector", status=Status.READY)
        item = progress_by_challenge(learner=self.alice)[self.challenge("wrong-selector").pk]
        self.assertEqual(item.xp, 0)
        self.assertEqual(item.status, "in-progress")


class ProfileTestCase(ProgressTestCase):
    def test_it_needs_a_login(self) -> None:
        r = self.client_for(None).get(reverse("profile"))
        self.assertRedirects(
            r, f"{reverse('login')}?next={reverse('profile')}", fetch_redirect_response=False
        )

    def test_it_lists_every_challenge_with_its_status(self) -> None:
        self.solved("wrong-selector", minutes=7, hints=1)
        self.make_attempt(self.alice, "partial-outage", status=Status.READY, hints_unlocked=2)
        r = self.client_for(self.alice).get(reverse("profile"))
        rows = {challenge.slug: progress for challenge, progress in r.context["rows"]}
        self.assertEqual(
            set(rows), set(Challenge.objects.filter(published=True).values_list("slug", flat=True))
        )
        self.assertEqual(rows["wrong-selector"].status, "solved")
        self.assertEqual(rows["partial-outage"].status, "in-progress")
        self.assertEqual(rows["expose-internally"].status, "not-started")
        self.assertContains(r, "7m 00s")  # best time
        self.assertEqual(rows["partial-outage"].hints_used, 2)

    def test_it_shows_the_total_and_the_rank(self) -> None:
        self.solved("wrong-selector")  # 60
        self.solved("expose-internally")  # 60
        r = self.client_for(self.alice).get(reverse("profile"))
        self.assertEqual(r.context["standing"].xp, 120)
        self.assertEqual(r.context["standing"].rank.name, "Pod Wrangler")
        self.assertContains(r, '<strong class="xp-total">120 XP</strong>', html=True)
        self.assertContains(r, "30 XP to <strong>Service Mender</strong>", html=False)

    def test_it_shows_only_the_learners_own_progress(self) -> None:
        self.solved("wrong-selector", learner=self.bob)
        r = self.client_for(self.alice).get(reverse("profile"))
        self.assertEqual(r.context["standing"].xp, 0)
        self.assertNotContains(r, "status-solved")

    def test_it_shows_the_learners_classrooms(self) -> None:
        r = self.client_for(self.alice).get(reverse("profile"))
        if r.context["profile_sections"]:
            self.assertContains(r, 'id="classrooms"')

    def test_the_catalog_card_shows_solved(self) -> None:
        self.solved("wrong-selector")
        r = self.client_for(self.alice).get(reverse("catalog"))
        self.assertContains(r, 'data-slug="wrong-selector"')
        cards = {challenge.slug: progress for challenge, progress in r.context["cards"]}
        self.assertEqual(cards["wrong-selector"].status, "solved")

    def test_the_navigation_links_to_the_profile(self) -> None:
        r = self.client_for(self.alice).get(reverse("catalog"))
        self.assertContains(r, f'href="{reverse("profile")}"')
