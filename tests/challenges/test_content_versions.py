"""Content is read through ChallengeVersion: an attempt shows, checks and reports the version it ran,
whatever the challenge has become since; the catalog runs easy, medium, hard."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse
from pydantic import ValidationError

from challenges.choices import ChallengeType, Difficulty, Theme
from challenges.models import Attempt, Challenge, ChallengeVersion, Status
from challenges.schema import ChallengeFile
from challenges.services import checks
from challenges.services.hints import solution_files
from classroom.models import Membership
from tests.base import BaseTestCase
from tests.classroom.base import ClassroomTestCase

NEW_TITLE = "The Service sends traffic to the frontend (reworded)"
NEW_SITUATION = "A rewritten situation that the older attempt never saw."


def publish_new_version(challenge: Challenge) -> ChallengeVersion:
    """What sync_challenges does when the folder changes: a new version becomes the current one."""
    old = challenge.current_version
    definition = copy.deepcopy(old.definition)
    definition["challenge"]["objectives"][0]["title"] = NEW_TITLE
    definition["challenge"]["objectives"].append({**definition["challenge"]["objectives"][0], "key": "extra"})
    definition["challenge"]["initialSituation"] = NEW_SITUATION
    definition["challenge"]["hints"] = ["A new first hint."]
    definition["solution"] = [{"file": "new.yaml", "text": "kind: Service\n", "documents": []}]
    version = ChallengeVersion.objects.create(
        challenge=challenge, content_hash="f" * 64, definition=definition
    )
    challenge.content_hash = version.content_hash
    challenge.initial_situation = NEW_SITUATION
    challenge.save()
    return version


class VersionTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.challenge_ = self.challenge("wrong-selector")
        self.attempt = self.make_attempt(self.alice, "wrong-selector")
        self.first = self.attempt.version

    def test_a_version_reads_its_own_objectives_hints_situation_and_solution(self) -> None:
        objectives = self.first.objectives()
        self.assertEqual(objectives[0].key, "service-routes-to-frontend")
        self.assertEqual(objectives[0].type, "service")
        self.assertEqual(objectives[0].spec["name"], "frontend")
        self.assertTrue(objectives[0].failure_message)
        self.assertEqual(self.first.hints(), self.first.definition["challenge"]["hints"])
        self.assertIn("A Deployment named `frontend`", self.first.initial_situation())
        self.assertEqual([f.name for f in self.first.solution_files()], ["service.yaml"])

    def test_the_workspace_shows_the_version_the_attempt_runs(self) -> None:
        publish_new_version(self.challenge_)
        r = self.client_for(self.alice).get(self.attempt.get_absolute_url())
        self.assertContains(r, "Service frontend routes to every frontend pod")
        self.assertContains(r, "A Deployment named <code>frontend</code>")
        self.assertNotContains(r, NEW_TITLE)
        self.assertNotContains(r, NEW_SITUATION)

    def test_a_check_judges_the_version_the_attempt_runs(self) -> None:
        publish_new_version(self.challenge_)
        run = checks.attempt_check_request(attempt=self.attempt, requested_by=self.alice)
        self.assertEqual(run.total, len(self.first.objectives()))

    def test_hints_and_the_solution_are_the_versions(self) -> None:
        publish_new_version(self.challenge_)
        Attempt.objects.filter(pk=self.attempt.pk).update(
            status=Status.SOLVED, solved_at=self.attempt.created_at
        )
        self.attempt.refresh_from_db()
        self.assertEqual([f.name for f in solution_files(attempt=self.attempt)], ["service.yaml"])
        self.assertNotEqual(self.attempt.version.hints(), ["A new first hint."])

    def test_a_new_attempt_runs_the_new_version(self) -> None:
        version = publish_new_version(self.challenge_)
        bob = self.make_attempt(self.bob, "wrong-selector")
        self.assertEqual(bob.version, version)
        self.assertEqual(bob.version.objectives()[0].title, NEW_TITLE)


class DrilldownVersionTestCase(ClassroomTestCase):
    def test_the_drilldown_names_the_version_each_attempt_ran(self) -> None:
        old = self.attempt_at(self.alice, "wrong-selector", Status.DESTROYED)
        publish_new_version(self.challenge("wrong-selector"))
        self.assertTrue(Membership.objects.filter(learner=self.alice).exists())
        r = self.client_for(self.ivy).get(
            reverse("classroom_drilldown", args=[self.classroom.pk, self.alice.pk, "wrong-selector"])
        )
        self.assertContains(r, old.version.content_hash[:12])
        self.assertContains(r, "an earlier version of this challenge")


class CatalogOrderTestCase(BaseTestCase):
    def test_the_catalog_runs_easy_medium_hard_then_by_title(self) -> None:
        base = self.challenge("wrong-selector")
        for slug, title, difficulty in (("aardvark", "Aardvark", "hard"), ("zebra", "Zebra", "medium")):
            Challenge.objects.create(
                slug=slug,
                title=title,
                theme=base.theme,
                difficulty=difficulty,
                type=base.type,
                estimated_minutes=5,
                description=base.description,
                initial_situation=base.initial_situation,
                content_hash=base.content_hash,
            )
        r = self.client_for(None).get(reverse("catalog"))
        difficulties = [challenge.difficulty for challenge, _ in r.context["cards"]]
        self.assertEqual(difficulties, sorted(difficulties, key=list(Difficulty.values).index))
        slugs = [challenge.slug for challenge, _ in r.context["cards"]]
        # Zebra (medium) before Aardvark (hard): not the alphabetical order of difficulty or title.
        self.assertLess(slugs.index("zebra"), slugs.index("aardvark"))
        self.assertEqual([c.difficulty for c in Challenge.objects.all()][-1], "hard")


def test_challenge_yaml_takes_the_models_own_choices() -> None:
    fields = ChallengeFile.model_fields
    assert (fields["theme"].annotation, fields["difficulty"].annotation) == (Theme, Difficulty)
    assert fields["type"].annotation is ChallengeType
    base = {
        "title": "Some title",
        "type": "fix",
        "estimatedMinutes": 5,
        "description": "Something is broken.",
        "initialSituation": "Here is what you find.",
        "objectives": [
            {
                "key": "a",
                "title": "A thing",
                "type": "spec",
                "spec": {"target": {"kind": "Service", "name": "web"}, "checks": []},
                "failureMessage": "Not yet.",
            }
        ],
    }
    for theme in Theme.values:
        with pytest.raises(ValidationError) as raised:
            ChallengeFile.model_validate({**base, "theme": theme, "difficulty": "extreme"})
        locs = [e["loc"] for e in raised.value.errors()]
        assert ("difficulty",) in locs and ("theme",) not in locs
    with pytest.raises(ValidationError) as raised:
        ChallengeFile.model_validate({**base, "theme": "cooking", "difficulty": "easy"})
    assert ("theme",) in [e["loc"] for e in raised.value.errors()]
