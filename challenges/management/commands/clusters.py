"""`python manage.py clusters list|add|drain|activate|offline|capacity|remove`: the operator's clusters.

manage.py clusters add east --kubeconfig east.yaml --capacity 120 --label zone=east
manage.py clusters drain east        # no new environments; the current ones run to their end
manage.py clusters list
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from challenges.kube.kubeconfig import embedded_kubeconfig
from challenges.models import Cluster
from challenges.services.clusters import (
    ClusterInvalid,
    cluster_probe,
    cluster_register,
    cluster_set,
    cluster_unregister,
)
from validators.errors import ObjectInvalid

STATES = {"activate": Cluster.State.ACTIVE, "drain": Cluster.State.DRAINING, "offline": Cluster.State.OFFLINE}


def _label(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise CommandError(f"--label {text!r}: write it as name=value.")
    return key, value


class Command(BaseCommand):
    help = "Register the clusters the namespace backend places environments on, and drain or retire them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every cluster: state, health, capacity and use")
        add = sub.add_parser("add", help="register a cluster (or update one of that name)")
        add.add_argument("name")
        add.add_argument("--kubeconfig", type=Path, required=True, help="a kubeconfig with admin credentials")
        add.add_argument("--capacity", type=int, required=True, help="environments it may hold at once")
        add.add_argument("--label", action="append", default=[], help="name=value, repeatable")
        for action, state in STATES.items():
            sub.add_parser(action, help=f"set its state to {state}").add_argument("name")
        capacity = sub.add_parser("capacity", help="change how many environments it may hold")
        capacity.add_argument("name")
        capacity.add_argument("capacity", type=int)
        sub.add_parser("remove", help="forget a cluster that holds no environment").add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "list":
                self._list()
            elif action == "add":
                self._add(options)
            else:
                cluster = self._find(options["name"])
                if action in STATES:
                    cluster_set(cluster, state=STATES[action])
                elif action == "capacity":
                    cluster_set(cluster, capacity=options["capacity"])
                else:
                    cluster_unregister(cluster)
                    self.stdout.write(f"removed {cluster.name}")
                    return
                self.stdout.write(f"{cluster.name}: {cluster.state}, capacity {cluster.capacity}")
        except ClusterInvalid as exc:
            raise CommandError(str(exc)) from None

    def _find(self, name: str) -> Cluster:
        cluster = Cluster.objects.filter(name=name).first()
        if cluster is None:
            known = ", ".join(Cluster.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"There is no cluster called {name!r} (registered: {known}).")
        return cluster

    def _add(self, options: dict[str, Any]) -> None:
        if options["capacity"] < 0:
            raise CommandError("--capacity must be 0 or more.")
        try:
            text = embedded_kubeconfig(options["kubeconfig"])
        except ObjectInvalid as exc:
            raise CommandError(str(exc)) from None
        labels = dict(_label(text) for text in options["label"])
        cluster = cluster_register(
            name=options["name"], kubeconfig=text, capacity=options["capacity"], labels=labels
        )
        health = "answers" if cluster.reachable else f"does not answer: {cluster.problem}"
        self.stdout.write(
            f"registered {cluster.name} ({cluster.server}), capacity {cluster.capacity}; it {health}"
        )

    def _list(self) -> None:
        clusters = list(Cluster.objects.with_use())
        if not clusters:
            self.stdout.write("No cluster is registered: environments go to BREAKFIX_KUBECONFIG's cluster.")
            return
        for cluster in clusters:
            cluster_probe(cluster)
            health = "reachable" if cluster.reachable else f"unreachable ({cluster.problem})"
            labels = ",".join(f"{k}={v}" for k, v in sorted(cluster.labels.items())) or "-"
            self.stdout.write(
                f"{cluster.name}\t{cluster.state}\t{health}\t{cluster.used}/{cluster.capacity}\t{labels}"
                f"\t{cluster.server}"
            )
