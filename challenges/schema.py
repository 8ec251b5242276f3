"""The schema of `challenge.yaml`. Objective specs are checked by the validators' own spec models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

import validators
from challenges.choices import ChallengeType, Difficulty, Theme
from simulation.spec import SimulationSpec

KEY_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
# A Kubernetes-style label key: an optional DNS prefix and a name.
LABEL_KEY = r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"


class ObjectiveDef(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    key: str = Field(pattern=KEY_PATTERN, max_length=63)
    title: str = Field(min_length=3, max_length=120)
    type: str
    spec: dict[str, Any]
    failure_message: str = Field(alias="failureMessage", min_length=3)
    # How much it counts towards an assessment's score, against the challenge's other objectives.
    weight: int = Field(default=1, ge=1, le=10)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        known = validators.types()
        if value not in known:
            raise ValueError(f"unknown objective type {value!r}; known types: {', '.join(sorted(known))}")
        return value

    @model_validator(mode="after")
    def _valid_spec(self) -> ObjectiveDef:
        # The validator that will run this objective owns the shape of its spec.
        try:
            validators.validate_spec(self.type, self.spec)
        except validators.SpecInvalid as error:
            raise ValueError(f"spec of {self.type!r} objective: {error}") from error
        return self


class ChallengeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: str = Field(min_length=3, max_length=200)
    # The models' own choices: one definition of what a theme, a difficulty and a type may be.
    theme: Theme
    difficulty: Difficulty
    type: ChallengeType
    estimated_minutes: int = Field(alias="estimatedMinutes", ge=1, le=240)
    description: str = Field(min_length=10)
    initial_situation: str = Field(alias="initialSituation", min_length=10)
    objectives: list[ObjectiveDef] = Field(min_length=1)
    hints: list[str] = Field(default_factory=list)
    # What the applications of the manifests do, for a cluster that runs no containers (the local
    # control plane); a real cluster runs the containers themselves.
    simulation: SimulationSpec | None = None
    # Labels a registered cluster must carry to host this challenge (the `namespace` backend's
    # placement, challenges/capacity.py), e.g. {"storage": "fast"}; none: any cluster.
    cluster_labels: dict[Annotated[str, Field(pattern=LABEL_KEY)], Annotated[str, Field(max_length=63)]] = (
        Field(default_factory=dict, alias="clusterLabels")
    )

    @model_validator(mode="after")
    def _unique_keys(self) -> ChallengeFile:
        seen: set[str] = set()
        for objective in self.objectives:
            if objective.key in seen:
                raise ValueError(f"objective key {objective.key!r} is used twice")
            seen.add(objective.key)
        return self
