"""Experience points and ranks: the rules, in one place.

- A solved challenge is worth its difficulty: easy 50, medium 100, hard 200.
- Each hint unlocked in the solving attempt takes 20% of that away; a solve always keeps at
  least 40%, however many hints it took.
- First-solve bonus: +20% when the learner solved the challenge in their first attempt at it.
- A challenge counts once, with the best of its solved attempts: replaying a challenge can
  raise its points (with fewer hints), never add them up (selectors.progress_by_challenge).
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = {"easy": 50, "medium": 100, "hard": 200}
HINT_PENALTY_PERCENT = 20
MIN_PERCENT = 40
FIRST_SOLVE_BONUS_PERCENT = 20


@dataclass(frozen=True)
class Rank:
    name: str
    min_xp: int


RANKS = (
    Rank("Newcomer", 0),
    Rank("Pod Wrangler", 50),
    Rank("Service Mender", 150),
    Rank("Cluster Medic", 300),
    Rank("Incident Commander", 600),
    Rank("Kubernetes Whisperer", 1000),
)


def solve_xp(*, difficulty: str, hints: int, first_attempt: bool) -> int:
    base = BASE.get(difficulty, 0)
    percent = max(MIN_PERCENT, 100 - HINT_PENALTY_PERCENT * max(0, hints))
    if first_attempt:
        percent += FIRST_SOLVE_BONUS_PERCENT
    return base * percent // 100


@dataclass(frozen=True)
class Standing:
    xp: int
    rank: Rank
    next_rank: Rank | None

    @property
    def to_next(self) -> int:
        return 0 if self.next_rank is None else self.next_rank.min_xp - self.xp

    @property
    def percent_to_next(self) -> int:
        """How far from this rank to the next, 0-100 (100 at the top rank)."""
        if self.next_rank is None:
            return 100
        span = self.next_rank.min_xp - self.rank.min_xp
        return min(100, max(0, (self.xp - self.rank.min_xp) * 100 // span))


def standing(xp: int) -> Standing:
    reached = [rank for rank in RANKS if xp >= rank.min_xp]
    rank = reached[-1] if reached else RANKS[0]
    following = [r for r in RANKS if r.min_xp > xp]
    return Standing(xp=xp, rank=rank, next_rank=following[0] if following else None)
