"""The `simulation:` section of challenge.yaml: what the applications in a challenge's containers do.

The manifests hold the real containers, which fail the same way on a real cluster. This section
tells the local control plane, which runs no containers, how those applications behave: when
they exit and with what, what they log, which ports and paths answer, how long they take to
start and how much memory they need. The kubelet's part (pulls, environment, restarts with
back-off, probes, events) follows from the pod spec and is the same for every challenge.

    simulation:
      missingImages: [registry.example/shop/api:2.4.0-rc1]
      containers:
        - name: api
          listens: [8080]
          logs: ["listening on :8080"]
          failures:
            - unless: {env: [DATABASE_URL]}
              exitCode: 1
              logs: ["FATAL: DATABASE_URL is not set"]
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from simulation import quantity

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
# Long enough for a slow starter or a long Job, short enough that a typo is caught.
MAX_SECONDS = 3600.0


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class Condition(Spec):
    """Facts about one run of a container; every fact given must hold for the condition to hold."""

    env: list[str] = Field(default_factory=list, description="variables that are set and not empty")
    env_equals: dict[str, str] = Field(
        default_factory=dict, description="variables with exactly these values"
    )
    files: list[str] = Field(default_factory=list, description="paths that exist in the container")
    file_contains: dict[str, str] = Field(default_factory=dict, description="files holding this text")
    services: list[str] = Field(default_factory=list, description="Services that exist in the namespace")
    endpoints: list[str] = Field(default_factory=list, description="Services with a ready endpoint")
    argv: list[str] | None = Field(default=None, description="command and args, exactly")
    argv_includes: list[str] = Field(default_factory=list, description="words in command and args")
    image: list[str] = Field(default_factory=list, description="the container runs one of these images")

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if not any(
            (
                self.env,
                self.env_equals,
                self.files,
                self.file_contains,
                self.services,
                self.endpoints,
                self.argv is not None,
                self.argv_includes,
                self.image,
            )
        ):
            raise ValueError(
                "a condition needs at least one of env, envEquals, files, fileContains, "
                "services, endpoints, argv, argvIncludes, image"
            )
        for name in [*self.env, *self.env_equals]:
            if not ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        for path in [*self.files, *self.file_contains]:
            if not path.startswith("/"):
                raise ValueError(f"file paths are absolute: {path!r}")
        for service in [*self.services, *self.endpoints]:
            if not NAME.match(service):
                raise ValueError(f"{service!r} is not a Service name")
        return self


class Failure(Spec):
    """One way a run goes wrong: it exits with `exitCode`, or (`waits`) it never gets anywhere.

    `exitCode: 0` is a run that ends as if all went well without doing its work: a command
    replaced by `true`, a script that only prints. A Job counts it as succeeded; a
    Deployment's container is restarted, and crash-loops, as a kubelet does with any exit.
    """

    when: Condition | None = None
    unless: Condition | None = None
    exit_code: int | None = Field(default=None, ge=0, le=255)
    after_seconds: float = Field(default=1.0, ge=0, le=MAX_SECONDS)
    waits: bool = False
    logs: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_trigger_one_outcome(self) -> Self:
        if (self.when is None) == (self.unless is None):
            raise ValueError("give exactly one of when and unless")
        if (self.exit_code is None) == (not self.waits):
            raise ValueError("a failure either exits (exitCode) or waits (waits: true), not both")
        return self


class Completion(Spec):
    """How a run that goes right ends, for Jobs and init containers."""

    exit_code: int = Field(default=0, ge=0, le=255)
    after_seconds: float = Field(default=1.0, ge=0, le=MAX_SECONDS)


class ContainerBehaviour(Spec):
    """What the application in containers (or init containers) of this name does."""

    name: str
    pod_labels: dict[str, str] = Field(default_factory=dict)
    start_seconds: float = Field(default=0.0, ge=0, le=MAX_SECONDS)
    listens: list[int] | None = None
    http_paths: list[str] | None = None
    memory: str | None = None
    logs: list[str] = Field(default_factory=list)
    completes: Completion | None = None
    failures: list[Failure] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _container_name(cls, name: str) -> str:
        if not NAME.match(name):
            raise ValueError(f"{name!r} is not a container name")
        return name

    @field_validator("listens")
    @classmethod
    def _ports(cls, ports: list[int] | None) -> list[int] | None:
        for port in ports or []:
            if not 1 <= port <= 65535:
                raise ValueError(f"{port} is not a port number")
        return ports

    @field_validator("http_paths")
    @classmethod
    def _paths(cls, paths: list[str] | None) -> list[str] | None:
        for path in paths or []:
            if not path.startswith("/"):
                raise ValueError(f"HTTP paths start with /: {path!r}")
        return paths

    @field_validator("memory")
    @classmethod
    def _memory(cls, memory: str | None) -> str | None:
        if memory is not None:
            quantity.parse(memory)
        return memory

    def memory_bytes(self) -> int | None:
        return None if self.memory is None else int(quantity.parse(self.memory))


class SimulationSpec(Spec):
    missing_images: list[str] = Field(default_factory=list)
    containers: list[ContainerBehaviour] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for behaviour in self.containers:
            key = (behaviour.name, tuple(sorted(behaviour.pod_labels.items())))
            if key in seen:
                raise ValueError(f"container {behaviour.name!r} is described twice for the same pods")
            seen.add(key)
        return self

    def behaviour_for(self, container: str, pod_labels: dict[str, str]) -> ContainerBehaviour | None:
        """The most specific description of a container of this name in a pod with these labels."""
        matching = [
            b
            for b in self.containers
            if b.name == container and all(pod_labels.get(k) == v for k, v in b.pod_labels.items())
        ]
        return max(matching, key=lambda b: len(b.pod_labels), default=None)
