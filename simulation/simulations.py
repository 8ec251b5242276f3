"""The per-namespace simulations: cluster-scoped `Simulation` objects the platform applies.

A learner, a namespaced ServiceAccount, can neither read nor change them. Each names the
namespace it describes; the controller acknowledges one by setting `status.observedGeneration`,
which is what provisioning waits for before it applies the challenge's workloads.
"""

from __future__ import annotations

import logging
from typing import Any

import urllib3
from pydantic import ValidationError

from simulation.kube import Kube
from simulation.spec import SimulationSpec

Obj = dict[str, Any]
logger = logging.getLogger(__name__)
GROUP_VERSION = "simulation.breakfix.dev/v1alpha1"
PATH = f"/apis/{GROUP_VERSION}/simulations"


def parse(obj: Obj) -> tuple[str, SimulationSpec | None, str]:
    """(namespace, spec or None, the problem when it is invalid)."""
    spec = dict(obj.get("spec") or {})
    namespace = str(spec.pop("namespace", "") or "")
    try:
        return namespace, SimulationSpec.model_validate(spec), ""
    except ValidationError as error:
        return (
            namespace,
            None,
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()),
        )


class Simulations:
    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.by_namespace: dict[str, SimulationSpec] = {}
        self.acknowledged: dict[str, int] = {}  # object name → generation acknowledged

    def namespace_of(self, obj: Obj) -> str:
        return str((obj.get("spec") or {}).get("namespace") or "")

    def for_namespace(self, namespace: str) -> SimulationSpec | None:
        return self.by_namespace.get(namespace)

    def update(self, objects: list[Obj]) -> None:
        merged: dict[str, list[SimulationSpec]] = {}
        for obj in sorted(objects, key=lambda o: str((o.get("metadata") or {}).get("name"))):
            namespace, spec, problem = parse(obj)
            if spec is not None and namespace:
                merged.setdefault(namespace, []).append(spec)
            self._acknowledge(obj, problem)
        self.by_namespace = {
            namespace: SimulationSpec(
                missing_images=[image for s in specs for image in s.missing_images],
                containers=[c for s in specs for c in s.containers],
            )
            if len(specs) > 1
            else specs[0]
            for namespace, specs in merged.items()
        }

    def _acknowledge(self, obj: Obj, problem: str) -> None:
        meta = obj.get("metadata") or {}
        name, generation = str(meta.get("name")), int(meta.get("generation") or 0)
        observed = int((obj.get("status") or {}).get("observedGeneration") or 0)
        if observed == generation or self.acknowledged.get(name) == generation:
            return
        status: Obj = {"observedGeneration": generation, "problem": problem}
        try:
            code, answer = self.kube.request(
                "PATCH",
                f"{PATH}/{name}/status",
                body={"status": status},
                content_type="application/merge-patch+json",
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            logger.warning("simulation %s not acknowledged: %s", name, exc)
            return
        if code == 200:
            self.acknowledged[name] = generation
        elif code != 404:
            logger.warning("simulation %s not acknowledged: HTTP %s %s", name, code, answer.get("message"))
        if problem:
            logger.warning("simulation %s is invalid: %s", name, problem)
