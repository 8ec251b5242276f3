"""What an assessment's results table shows: a row per learner of the classroom, a cell per
challenge (the score, the objectives passed), the total; and the CSV made of the same rows.

A learner who never began has a row with nothing in it ("not begun" while they still may, then
"did not sit"); a sitting still running shows its time left, so the instructor sees who is
still at work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.contrib.auth.models import User

from challenges.models import Challenge
from classroom.models import Assessment, Extension, Result, Sitting


class Sort(StrEnum):
    NAME = "name"
    SCORE = "score"  # highest first


@dataclass
class ResultRow:
    learner: User
    sitting: Sitting | None
    results: list[Result | None]  # in the assessment's challenge order
    extensions: list[Extension] = field(default_factory=list)
    window_open: bool = False  # they may still begin

    @property
    def total(self) -> float | None:
        """The mean of the challenges' scores, once the sitting is scored."""
        if self.sitting is None or self.sitting.closed_at is None or not self.sitting.has_begun:
            return None
        return (
            sum(r.score for r in self.results if r is not None) / len(self.results) if self.results else 0.0
        )

    @property
    def total_percent(self) -> int | None:
        total = self.total
        return None if total is None else round(100 * total)

    @property
    def state(self) -> str:
        if self.sitting is None:
            return "not begun" if self.window_open else "did not sit"
        if self.sitting.closed_at is not None and not self.sitting.has_begun:
            return "did not sit"
        if self.sitting.closed_at is not None:
            return "scored"
        if self.sitting.closing_at is not None:
            return "closing"
        if not self.sitting.has_begun:
            return "not begun"  # an instructor added time before they began
        return "in progress"


@dataclass
class ResultsTable:
    assessment: Assessment
    challenges: list[Challenge]
    rows: list[ResultRow]


def assessment_challenges(assessment: Assessment) -> list[Challenge]:
    return list(assessment.challenges.order_by("title", "pk"))


def results_table(*, assessment: Assessment, sort: Sort = Sort.NAME) -> ResultsTable:
    """Four queries whatever the class size: challenges, members, sittings, results."""
    challenges = assessment_challenges(assessment)
    learners = [
        m.learner
        for m in assessment.classroom.memberships.select_related("learner").order_by("learner__username")
    ]
    sittings = {
        s.learner_id: s for s in Sitting.objects.filter(assessment=assessment).prefetch_related("extensions")
    }
    results: dict[tuple[int, int], Result] = {
        (r.sitting.learner_id, r.challenge_id): r
        for r in Result.objects.filter(sitting__assessment=assessment).select_related("sitting")
    }
    window_open = assessment.is_window_open()
    rows = [
        ResultRow(
            learner=learner,
            sitting=sittings.get(learner.pk),
            results=[results.get((learner.pk, c.pk)) for c in challenges],
            extensions=list(sittings[learner.pk].extensions.all()) if learner.pk in sittings else [],
            window_open=window_open,
        )
        for learner in learners
    ]
    if sort == Sort.SCORE:
        rows.sort(key=lambda row: (-(row.total if row.total is not None else -1), row.learner.username))
    return ResultsTable(assessment=assessment, challenges=challenges, rows=rows)


def result_csv_rows(*, assessment: Assessment) -> Iterator[Sequence[object]]:
    """One row per learner and challenge, with the objectives passed and where the score came from."""
    table = results_table(assessment=assessment)
    yield [
        "learner",
        "challenge",
        "score_percent",
        "objectives_passed",
        "objectives",
        "hints_used",
        "content_version",
        "check_run",
        "total_percent",
        "state",
        "extensions",
    ]
    for row in table.rows:
        for challenge, result in zip(table.challenges, row.results, strict=True):
            passed = [o["key"] for o in result.objectives if o["passed"]] if result else []
            yield [
                row.learner.username,
                challenge.slug,
                result.percent if result else "",
                " ".join(passed),
                len(result.objectives) if result else "",
                result.hints_used if result else "",
                result.version.content_hash[:12] if result and result.version else "",
                result.check_run_id or "" if result else "",
                row.total_percent if row.total_percent is not None else "",
                row.state,
                "; ".join(f"+{e.minutes} min: {e.reason}" for e in row.extensions),
            ]


def my_results(*, sitting: Sitting) -> list[tuple[Challenge, Result | None]]:
    """A learner's own results, in the assessment's order."""
    found = {r.challenge_id: r for r in sitting.results.select_related("version")}
    return [(c, found.get(c.pk)) for c in assessment_challenges(sitting.assessment)]
