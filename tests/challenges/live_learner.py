"""A ready attempt on the real local control plane, for the console and editor live tests.

The attempt's namespace is the `namespace` fixture's; it gets what provisioning gives it (the
learner's ServiceAccount and Role, the challenge's broken state and its guards) through the
backend's and kube package's own functions, and a real learner token. Import the fixture into
a test module: `from tests.challenges.live_learner import live_attempt  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from challenges import secrets
from challenges.backends import NamespaceBackend
from challenges.backends.base import INSTALLATION_LABEL
from challenges.kube import apply_documents, apply_guards, apply_simulation, delete_guards, delete_simulations
from challenges.models import Attempt, Challenge, Status
from challenges.services.content import challenges_sync
from tests.fixtures.cluster import Cluster

LIVE_PREFIX = "bf6-live"


def make_live_attempt(cluster: Cluster, namespace: str, *, slug: str, learner: User) -> Attempt:
    challenges_sync(content_dir=settings.BREAKFIX_CONTENT_DIR)
    challenge = Challenge.objects.get(slug=slug)
    version = challenge.current_version
    backend = NamespaceBackend(prefix=LIVE_PREFIX, kubeconfig=cluster.kubeconfig)
    with cluster.api_client() as api:
        apply_documents(api, namespace, backend.access_documents(namespace))
        simulation = version.simulation()
        apply_simulation(api, namespace, simulation, labels={INSTALLATION_LABEL: LIVE_PREFIX})
        apply_documents(api, namespace, version.documents("manifests"))
        apply_guards(api, namespace, version.documents("guards"), labels={INSTALLATION_LABEL: LIVE_PREFIX})
    kubeconfig = backend.learner_kubeconfig(namespace, seconds=3600)
    return Attempt.objects.create(
        learner=learner,
        challenge=challenge,
        version=version,
        backend="namespace",
        status=Status.READY,
        environment=namespace,
        learner_kubeconfig=secrets.encrypt(kubeconfig),
    )


@pytest.fixture
def live_attempt(cluster: Cluster, namespace: str, django_user_model: type[User]) -> Iterator[Attempt]:
    """A ready `wrong-selector` attempt of learner alice, in a namespace of the local control plane."""
    alice = django_user_model.objects.create_user("alice", "alice@example.org", "password-alice")
    attempt = make_live_attempt(cluster, namespace, slug="wrong-selector", learner=alice)
    try:
        yield attempt
    finally:
        with cluster.api_client() as api:
            delete_guards(api, namespace)
            delete_simulations(api, namespace)
