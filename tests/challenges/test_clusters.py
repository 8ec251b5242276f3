"""Registered clusters of the `namespace` backend: placement by free capacity and labels, draining,
health, the operator's command and admin form. What needs no API server; the live test runs two
control planes (tests/live/test_clusters_live.py)."""

from __future__ import annotations

import base64
import tempfile
from io import StringIO
from pathlib import Path

import yaml
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from challenges import secrets
from challenges.admin import ClusterForm
from challenges.backends import BackendFailed, ClustersFull, get_backend
from challenges.kube.kubeconfig import embedded_kubeconfig
from challenges.models import Attempt, Cluster, Status
from challenges.services.clusters import (
    ClusterInvalid,
    cluster_probe,
    cluster_register,
    cluster_set,
    cluster_unregister,
    place,
)
from tests.base import BaseTestCase

# Nothing listens on port 9 of the loopback: a probe there fails at once.
NOWHERE = "https://127.0.0.1:9"


def kubeconfig(server: str = NOWHERE, **cluster: object) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": server, **cluster}}],
            "users": [{"name": "u", "user": {"token": "platform-secret-token"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "c",
        }
    )


class ClusterTestCase(BaseTestCase):
    def register(self, name: str, capacity: int, **fields: object) -> Cluster:
        cluster = Cluster(name=name, capacity=capacity, **fields)
        cluster.set_kubeconfig(kubeconfig(f"{NOWHERE}/{name}"))
        cluster.save()
        return cluster

    def attempt(self, name: str = "alice", status: str = Status.REQUESTED, **fields: object) -> Attempt:
        """`name`'s attempt at Wrong Selector, as a row in `status`."""
        learner = User.objects.filter(username=name).first() or User.objects.create_user(name, password="pw")
        return self.make_attempt(learner, "wrong-selector", status, **fields)


class PlacementTestCase(ClusterTestCase):
    def test_with_none_registered_the_default_cluster_serves(self) -> None:
        self.assertIsNone(place(self.attempt()))

    def test_the_cluster_with_the_most_free_capacity_wins_counting_what_is_not_torn_down(self) -> None:
        east = self.register("east", 3)
        west = self.register("west", 3)
        # Two on east: one running, one ended but not yet torn down (its namespace still exists).
        self.attempt("bob", Status.READY, cluster=east)
        self.attempt("carol", Status.ENDED, cluster=east)
        self.attempt("dave", Status.DESTROYED, cluster=west)  # gone: holds nothing
        self.assertEqual(place(self.attempt()), west)
        Cluster.objects.filter(pk=west.pk).update(capacity=1)
        self.assertEqual(place(self.attempt("erin")), east)

    def test_ties_go_by_name(self) -> None:
        self.register("west", 2)
        east = self.register("east", 2)
        self.assertEqual(place(self.attempt()), east)

    def test_draining_offline_and_unreachable_clusters_get_nothing_new(self) -> None:
        self.register("a-draining", 50, state=Cluster.State.DRAINING)
        self.register("b-offline", 50, state=Cluster.State.OFFLINE)
        self.register("c-unreachable", 50, reachable=False)
        small = self.register("d-small", 1)
        self.assertEqual(place(self.attempt()), small)

    def test_full_everywhere_is_temporary_and_says_so(self) -> None:
        full = self.register("east", 1)
        self.attempt("bob", Status.READY, cluster=full)
        with self.assertRaisesMessage(ClustersFull, "full, draining or unreachable"):
            place(self.attempt())

    def test_a_challenge_goes_only_where_its_labels_are(self) -> None:
        attempt = self.attempt()
        definition = attempt.version.definition
        definition["challenge"]["clusterLabels"] = {"storage": "fast"}
        attempt.version.save(update_fields=["definition"])
        self.register("big", 100)
        fast = self.register("small-fast", 2, labels={"storage": "fast", "zone": "east"})
        self.assertEqual(place(attempt), fast)
        Cluster.objects.filter(pk=fast.pk).update(state=Cluster.State.DRAINING)
        with self.assertRaises(ClustersFull):
            place(attempt)
        Cluster.objects.filter(pk=fast.pk).update(state=Cluster.State.OFFLINE)
        with self.assertRaisesMessage(BackendFailed, "storage=fast"):
            place(attempt)

    def test_the_backend_of_a_registered_cluster_uses_its_own_credentials(self) -> None:
        east = self.register("east", 1)
        with get_backend("namespace", cluster=east).platform_client("") as api:
            self.assertEqual(api.configuration.host, "https://127.0.0.1:9/east")
        # At rest the credentials are ciphertext.
        self.assertNotIn(b"platform-secret-token", bytes(Cluster.objects.get(pk=east.pk).kubeconfig))
        self.assertIn("platform-secret-token", secrets.decrypt(east.kubeconfig))


class HealthTestCase(ClusterTestCase):
    def test_a_cluster_that_does_not_answer_is_marked_and_its_address_is_not_kept(self) -> None:
        east = self.register("east", 5)
        self.assertFalse(cluster_probe(east))
        east.refresh_from_db()
        self.assertFalse(east.reachable)
        self.assertIsNotNone(east.checked_at)
        self.assertTrue(east.problem.startswith("it did not answer ("))
        self.assertNotIn("127.0.0.1", east.problem)

    def test_a_learner_whose_cluster_is_down_is_told_and_one_elsewhere_is_not(self) -> None:
        east = self.register("east", 5, reachable=False)
        on_east = self.attempt("alice", Status.READY, cluster=east)
        elsewhere = self.attempt("bob", Status.READY)
        self.assertTrue(on_east.is_cluster_down)
        self.assertFalse(elsewhere.is_cluster_down)
        self.client.force_login(self.alice)
        page = self.client.get(f"/attempts/{on_east.pk}/notices/").content.decode()
        self.assertIn("The cluster your environment runs on is not answering", page)
        self.client.force_login(self.bob)
        page = self.client.get(f"/attempts/{elsewhere.pk}/notices/").content.decode()
        self.assertNotIn("not answering", page)

    def test_readyz_names_each_cluster_in_service_and_not_its_address(self) -> None:
        self.register("east", 5)
        self.register("retired", 5, state=Cluster.State.OFFLINE)
        with self.settings(BREAKFIX_BACKEND="namespace"):
            response = self.client.get("/readyz")
        parts = response.json()["parts"]
        self.assertEqual(response.status_code, 503)
        self.assertTrue(parts["cluster:east"].startswith("unavailable ("))
        self.assertNotIn("cluster:retired", parts)
        self.assertNotIn("cluster", parts)
        self.assertNotIn("127.0.0.1", response.content.decode())


class OperatorTestCase(ClusterTestCase):
    def test_register_refuses_what_cannot_be_used_naming_it(self) -> None:
        cases = [
            ({"name": "East", "kubeconfig": kubeconfig(), "capacity": 1, "labels": {}}, "lowercase"),
            ({"name": "east", "kubeconfig": "- a list", "capacity": 1, "labels": {}}, "not a kubeconfig"),
            ({"name": "east", "kubeconfig": "{}", "capacity": 1, "labels": {}}, "names no cluster"),
        ]
        for arguments, expected in cases:
            with self.subTest(expected), self.assertRaisesMessage(ClusterInvalid, expected):
                cluster_register(**arguments)  # type: ignore[arg-type]
        self.assertFalse(Cluster.objects.exists())

    def test_one_api_server_is_registered_once(self) -> None:
        cluster_register(name="east", kubeconfig=kubeconfig(), capacity=1, labels={})
        with self.assertRaisesMessage(ClusterInvalid, "registered already, as cluster 'east'"):
            cluster_register(name="west", kubeconfig=kubeconfig(), capacity=1, labels={})

    def test_a_cluster_holding_environments_cannot_be_removed_and_one_drained_empty_can(self) -> None:
        east = self.register("east", 5)
        held = self.attempt("alice", Status.READY, cluster=east)
        with self.assertRaisesMessage(ClusterInvalid, "still holds 1 environment"):
            cluster_unregister(east)
        cluster_set(east, state=Cluster.State.DRAINING)
        Attempt.objects.filter(pk=held.pk).update(status=Status.DESTROYED)
        cluster_unregister(east)
        self.assertFalse(Cluster.objects.exists())
        self.assertIsNone(Attempt.objects.get(pk=held.pk).cluster)

    def test_the_command_registers_lists_drains_and_says_what_is_wrong(self) -> None:
        folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        (folder / "ca.crt").write_bytes(b"CA PEM")
        path = folder / "east.yaml"
        path.write_text(kubeconfig(**{"certificate-authority": "ca.crt"}))
        out = StringIO()
        call_command("clusters", "add", "east", "--kubeconfig", str(path), "--capacity", "7",
                     "--label", "zone=east", stdout=out)  # fmt: skip
        self.assertIn("registered east (https://127.0.0.1:9), capacity 7; it does not answer", out.getvalue())
        east = Cluster.objects.get(name="east")
        self.assertEqual((east.capacity, east.labels), (7, {"zone": "east"}))
        stored = yaml.safe_load(secrets.decrypt(east.kubeconfig))["clusters"][0]["cluster"]
        self.assertEqual(base64.b64decode(stored["certificate-authority-data"]), b"CA PEM")
        call_command("clusters", "drain", "east", stdout=out)
        self.assertEqual(Cluster.objects.get(name="east").state, Cluster.State.DRAINING)
        listed = StringIO()
        call_command("clusters", "list", stdout=listed)
        self.assertIn("east\tdraining\tunreachable", listed.getvalue())
        self.assertIn("0/7\tzone=east", listed.getvalue())
        self.assertNotIn("platform-secret-token", listed.getvalue() + out.getvalue())
        for argv, expected in [
            (["drain", "nowhere"], "There is no cluster called 'nowhere' (registered: east)"),
            (["add", "west", "--kubeconfig", str(path), "--capacity", "1", "--label", "zone"], "name=value"),
            (
                ["add", "west", "--kubeconfig", str(folder / "missing.yaml"), "--capacity", "1"],
                "cannot be read",
            ),
            (["add", "west", "--kubeconfig", str(path), "--capacity", "-1"], "--capacity must be 0 or more"),
        ]:
            with self.subTest(argv), self.assertRaisesMessage(CommandError, expected):
                call_command("clusters", *argv, stdout=StringIO())

    def test_a_kubeconfig_naming_a_file_that_is_not_there_is_refused(self) -> None:
        folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        path = folder / "k.yaml"
        path.write_text(kubeconfig(**{"certificate-authority": "gone.crt"}))
        with self.assertRaisesMessage(Exception, "gone.crt"):
            embedded_kubeconfig(path)

    def test_the_admin_form_wants_credentials_inline_and_never_shows_them(self) -> None:
        data = {"name": "east", "capacity": "3", "labels": "{}", "state": "active"}
        refused = ClusterForm(
            data={**data, "kubeconfig_text": kubeconfig(**{"certificate-authority": "/ca"})}
        )
        self.assertIn("names files", str(refused.errors))
        self.assertIn("needs its kubeconfig", str(ClusterForm(data=data).errors))
        self.assertTrue(ClusterForm(data={**data, "kubeconfig_text": kubeconfig()}).is_valid())
        self.client.force_login(User.objects.create_superuser("root", password="pw"))
        self.client.post("/admin/challenges/cluster/add/", {**data, "kubeconfig_text": kubeconfig()})
        east = Cluster.objects.get(name="east")
        self.assertFalse(east.reachable)  # probed on save
        page = self.client.get(f"/admin/challenges/cluster/{east.pk}/change/").content.decode()
        self.assertNotIn("platform-secret-token", page)
        listing = self.client.get("/admin/challenges/cluster/").content.decode()
        self.assertIn(
            '<td class="field-in_use">0</td><td class="field-pooled">0</td><td class="field-capacity">3</td>',
            listing,
        )
