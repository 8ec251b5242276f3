"""`cronjob`: a CronJob that will run, runs often enough, and whose latest Job completed.

It must not be suspended; its schedule (in its spec.timeZone, UTC by default) must
fire at all, and at least every `everyMinutes` when given. With `lastJobSucceeded`
(the default), the newest Job it owns (the schedule's, or one made with
`kubectl create job --from=cronjob/NAME`) must have completed: a fixed CronJob
proves itself on its next run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from validators import cron, jobs
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import name_of
from validators.view import View
from validators.workloads import controller_uid

Obj = dict[str, Any]


class CronJobSpec(Spec):
    """`name`: the CronJob; `everyMinutes`: the longest wait between runs allowed (optional);
    `lastJobSucceeded` (default true): its newest Job must have completed."""

    name: str = Field(min_length=1)
    every_minutes: int | None = Field(default=None, ge=1, le=10080)
    last_job_succeeded: bool = True


def _when(moment: datetime, now: datetime) -> str:
    minutes = max(0, int((moment - now).total_seconds() // 60))
    wait = "in under a minute" if minutes == 0 else f"in {minutes} minute{'s' if minutes != 1 else ''}"
    if minutes >= 2 * 1440:
        wait = f"in {minutes // 1440} days"
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or 'UTC'} ({wait})"


def _latest_job(view: View, cronjob: Obj) -> Obj | None:
    uid = (cronjob.get("metadata") or {}).get("uid")
    owned = [job for job in view.list("Job") if controller_uid(job) == uid]
    return max(owned, key=lambda j: str(j["metadata"].get("creationTimestamp") or ""), default=None)


@register("cronjob", CronJobSpec)
def check_cronjob(spec: CronJobSpec, view: View) -> Result:
    cronjob = view.get("CronJob", spec.name)
    if cronjob is None:
        return Result.fail(f"There is no CronJob named {spec.name} yet.")
    label = f"CronJob {spec.name}"
    body = cronjob.get("spec") or {}
    if body.get("suspend"):
        return Result.fail(f"{label} is suspended (spec.suspend: true), so it creates no Jobs.")
    text = str(body.get("schedule") or "")
    try:
        schedule = cron.parse(text)
        zone = ZoneInfo(body["timeZone"]) if body.get("timeZone") else UTC
    except (ValueError, ZoneInfoNotFoundError) as exc:
        return Result.fail(f"{label} has a schedule the controller cannot use ({text!r}: {exc}).")
    now = datetime.now(zone)
    upcoming = cron.next_run(schedule, now)
    if upcoming is None:
        return Result.fail(f'{label} has the schedule "{text}", which never fires, so it creates no Jobs.')
    if spec.every_minutes is not None:
        limit = timedelta(minutes=spec.every_minutes)
        gap = cron.longest_gap(schedule, now)
        if gap is not None and gap > limit:
            return Result.fail(
                f'{label} runs on "{text}", which leaves up to {int(gap.total_seconds() // 60)} minutes '
                f"between runs; the check expects a run at least every {spec.every_minutes} minutes."
            )
    details: dict[str, Any] = {"schedule": text, "next_run": upcoming.isoformat()}
    next_text = f"its next run is at {_when(upcoming, now)}"
    if not spec.last_job_succeeded:
        return Result.ok(f'{label} runs on "{text}"; {next_text}.', **details)
    job = _latest_job(view, cronjob)
    if job is None:
        return Result.fail(f"{label} has not created a Job yet; {next_text}.", **details)
    details["latest_job"] = name_of(job)
    done, sentence = jobs.outcome(view, job, label=f"Its latest Job, {name_of(job)},")
    if not done:
        return Result.fail(f"{sentence} {next_text[:1].upper()}{next_text[1:]}.", **details)
    return Result.ok(f'{label} runs on "{text}" and its latest Job, {name_of(job)}, completed.', **details)
