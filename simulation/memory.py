"""What the simulated kubelet keeps in memory, as a real one does: lost when it restarts.

Pull back-offs, when a container that could not be created was last tried, and what each
running container was started with (its environment is fixed for the run, whatever happens to
the ConfigMaps it came from). Everything else is read from the pods' status at each sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from simulation.behaviour import RunContext

Key = tuple[str, str]  # (pod uid, container name)


@dataclass
class RunRecord:
    container_id: str
    context: RunContext
    released_at: datetime | None = None


@dataclass
class PullRecord:
    image: str
    attempts: int
    last: datetime


@dataclass
class Memory:
    runs: dict[Key, RunRecord] = field(default_factory=dict)
    pulls: dict[Key, PullRecord] = field(default_factory=dict)
    retries: dict[Key, datetime] = field(default_factory=dict)

    def forget(self, uid: str) -> None:
        for table in (self.runs, self.pulls, self.retries):
            for key in [k for k in table if k[0] == uid]:
                del table[key]
