"""The shared test base: named personas and helpers, in the healthchecks style."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client, TestCase, override_settings

from challenges.models import Attempt, Challenge, Outcome, Status
from challenges.services.content import challenges_sync

# The outcome the lifecycle leaves on an attempt it moved to one of these statuses.
OUTCOME_OF = {
    Status.SOLVED: Outcome.SOLVED,
    Status.FAILED: Outcome.FAILED,
    Status.EXPIRED: Outcome.EXPIRED,
    Status.ENDED: Outcome.ENDED_BY_LEARNER,
}


def solution_text(slug: str, file: str) -> str:
    """A file of a challenge's reference solution, as a learner would paste it."""
    return (settings.BREAKFIX_CONTENT_DIR / slug / "solution" / file).read_text()


# Tests make many users; the real hasher is slow on purpose and tests gain nothing from it.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class BaseTestCase(TestCase):
    """alice and bob are learners, ivy and ian instructors, sam is staff."""

    alice: User
    bob: User
    ivy: User
    ian: User
    sam: User

    @classmethod
    def setUpTestData(cls) -> None:
        challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
        cls.alice = User.objects.create_user("alice", "alice@example.org", "password-alice")
        cls.bob = User.objects.create_user("bob", "bob@example.org", "password-bob")
        cls.ivy = User.objects.create_user("ivy", "ivy@example.org", "password-ivy")
        cls.ian = User.objects.create_user("ian", "ian@example.org", "password-ian")
        cls.sam = User.objects.create_user("sam", "sam@example.org", "password-sam", is_staff=True)
        instruct = Permission.objects.filter(codename="instruct", content_type__app_label="classroom").first()
        if instruct is not None:
            cls.ivy.user_permissions.add(instruct)
            cls.ian.user_permissions.add(instruct)

    def client_for(self, user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def challenge(self, slug: str) -> Challenge:
        return Challenge.objects.get(slug=slug)

    def make_attempt(self, learner: User, slug: str, status: str = Status.READY, **fields: object) -> Attempt:
        """An attempt row in a given state, without provisioning anything: with the outcome the
        lifecycle would have given it (a destroyed one says its outcome itself)."""
        challenge = self.challenge(slug)
        if "outcome" not in fields:
            fields["outcome"] = (
                Outcome.SOLVED if fields.get("solved_at") else OUTCOME_OF.get(Status(status), "")
            )
        return Attempt.objects.create(
            learner=learner,
            challenge=challenge,
            version=challenge.current_version,
            backend="namespace",
            status=status,
            **fields,
        )
