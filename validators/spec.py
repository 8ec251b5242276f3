"""The base of every objective spec: camelCase keys as in challenge.yaml, nothing unknown allowed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)
