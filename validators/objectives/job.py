"""`job`: a Job has completed, with at least a given number of pods succeeded.

A failed Job says why (its Failed condition: BackoffLimitExceeded, DeadlineExceeded…)
and how its last failed pod ended (exit code and reason); a Job still running says
what holds its pods up (a pull that fails, a crash loop, no node that fits).
"""

from __future__ import annotations

from pydantic import Field

from validators import jobs
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.view import View


class JobSpec(Spec):
    """`name`: the Job; `succeeded`: how many of its pods must have succeeded (default: its
    spec.completions, or 1)."""

    name: str = Field(min_length=1)
    succeeded: int | None = Field(default=None, ge=1, le=10000)


@register("job", JobSpec)
def check_job(spec: JobSpec, view: View) -> Result:
    job = view.get("Job", spec.name)
    if job is None:
        return Result.fail(f"There is no Job named {spec.name} yet.")
    done, sentence = jobs.outcome(view, job)
    status = job.get("status") or {}
    details = {
        "succeeded": int(status.get("succeeded") or 0),
        "failed": int(status.get("failed") or 0),
        "active": int(status.get("active") or 0),
    }
    if not done:
        return Result.fail(sentence, **details)
    wanted = spec.succeeded or int((job.get("spec") or {}).get("completions") or 1)
    if details["succeeded"] < wanted:
        return Result.fail(
            f"Job {spec.name} completed with {details['succeeded']} pods succeeded; the check expects "
            f"{wanted}.",
            **details,
        )
    return Result.ok(sentence, **details)
