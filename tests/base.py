"""The shared test base: named personas and helpers, in the healthchecks style."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client, TestCase, override_settings

from challenges.models import Attempt, Challenge, Status
from challenges.services.content import challenges_sync


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
        """An attempt row in a given state, without provisioning anything."""
        challenge = self.challenge(slug)
        return Attempt.objects.create(
            learner=learner,
            challenge=challenge,
            version=challenge.current_version,
            backend="namespace",
            status=status,
            **fields,
        )
