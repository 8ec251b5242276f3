"""A new challenge folder that lints clean, and the JSON Schema of `challenge.yaml` for editors.

`challenge new SLUG` writes a small but whole challenge (a broken Deployment, a guard, an
objective, three hints, the solution) for the author to turn into theirs: every file the loader
asks for is there, in the shape it checks. It is written into a temporary folder beside the
content and renamed into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from challenges.choices import ChallengeType, Difficulty, Theme
from challenges.schema import KEY_PATTERN, ChallengeFile

SCHEMA_FILE = "challenge.schema.json"


class ScaffoldError(ValueError):
    """What keeps a challenge from being scaffolded, said for the author."""


def challenge_schema() -> dict[str, Any]:
    """The JSON Schema of challenge.yaml, from the pydantic models the loader checks it with."""
    schema = ChallengeFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Breakfix challenge.yaml"
    return schema


def schema_text() -> str:
    return json.dumps(challenge_schema(), indent=2, sort_keys=True) + "\n"


def _challenge_yaml(title: str, theme: Theme, difficulty: Difficulty, kind: ChallengeType) -> str:
    return f"""title: {json.dumps(title)}
theme: {theme.value}
difficulty: {difficulty.value}
type: {kind.value}
estimatedMinutes: 10
description: |
  What the learner finds, as a colleague would report it: the symptom, never the fix.
  Deployment `web` should run two replicas, and it runs one.
initialSituation: |
  Deployment `web` runs nginx. Say what must stay as it is (the image), and what the
  checks look at: here, the replica count of Deployment `web`.
objectives:
  - key: two-replicas
    title: Deployment web runs two replicas
    type: spec
    spec:
      target: {{kind: Deployment, name: web}}
      checks:
        - {{path: spec.replicas, equals: 2}}
    failureMessage: Deployment web does not ask for two replicas yet.
hints:
  - "`kubectl get deployment web` shows how many replicas it wants and has."
  - The number of replicas is a field of the Deployment's spec.
  - "`kubectl scale deployment web --replicas=2`, or edit `spec.replicas`."
"""


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
"""

GUARD = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: keep-web-image
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: ["apps"]
        apiVersions: ["v1"]
        resources: ["deployments"]
        operations: ["UPDATE"]
  validations:
    - expression: >-
        object.metadata.name != 'web' ||
        object.spec.template.spec.containers.map(c, c.image) ==
        oldObject.spec.template.spec.containers.map(c, c.image)
      message: Keep the image of Deployment web as it is; the fix is elsewhere.
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: keep-web-image
spec:
  policyName: keep-web-image
  validationActions: ["Deny"]
"""


def scaffold(
    content_dir: Path,
    slug: str,
    *,
    title: str,
    theme: str = Theme.PODS.value,
    difficulty: str = Difficulty.EASY.value,
    kind: str = ChallengeType.FIX.value,
) -> Path:
    """Write challenges/content/<slug>/ and return it; ScaffoldError naming what is wrong otherwise."""
    if not re.fullmatch(KEY_PATTERN, slug) or len(slug) > 63:
        raise ScaffoldError(
            f"{slug!r} is not a challenge name: lowercase letters, digits and dashes, "
            "starting and ending with a letter or digit, at most 63 characters"
        )
    choices = {"theme": (Theme, theme), "difficulty": (Difficulty, difficulty), "type": (ChallengeType, kind)}
    for field, (enum, value) in choices.items():
        if value not in enum.values:
            raise ScaffoldError(f"unknown {field} {value!r}; choose one of: {', '.join(enum.values)}")
    if len(title.strip()) < 3:
        raise ScaffoldError("the title needs at least 3 characters")
    if not content_dir.is_dir():
        raise ScaffoldError(f"{content_dir} is not a folder")
    target = content_dir / slug
    if target.exists():
        raise ScaffoldError(f"{target} exists already: pick another name")
    files = {
        "challenge.yaml": _challenge_yaml(
            title.strip(), Theme(theme), Difficulty(difficulty), ChallengeType(kind)
        ),
        "manifests/01-deployment.yaml": DEPLOYMENT.format(replicas=1),
        "guards/keep-web-image.yaml": GUARD,
        "solution/deployment.yaml": DEPLOYMENT.format(replicas=2),
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}-", dir=content_dir))
    try:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
