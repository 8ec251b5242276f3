"""`cronjob`: a CronJob that will run, runs often enough, and whose latest Job completed.

It must not be suspended; its schedule (in its spec.timeZone, UTC by default) must
fire at all, and at least every `everyMinutes` when given. With `dailyAt: "02:00"` it
must fire once a day, every day, at that time of `timeZone` (UTC by default): read over
the next eight days, so a schedule in another zone passes only where the two agree. With `lastJobSucceeded`
(the default), the newest Job it owns (the schedule's, or one made with
`kubectl create job --from=cronjob/NAME`) must have completed: a fixed CronJob
proves itself on its next run.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from validators import cron, jobs
from validators.registry import register
from validators.result import Result
from validators.spec import Spec
from validators.target import name_of
from validators.view import View
from validators.workloads import controller_uid

Obj = dict[str, Any]
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# Runs read ahead for dailyAt: a week and a day catches a schedule that skips a weekday.
DAILY_DAYS = 8


class CronJobSpec(Spec):
    """`name`: the CronJob; `everyMinutes`: the longest wait between runs allowed (optional);
    `dailyAt`: "HH:MM", the one time of day it must fire, every day (optional), read in
    `timeZone` (default UTC); `lastJobSucceeded` (default true): its newest Job must have
    completed."""

    name: str = Field(min_length=1)
    every_minutes: int | None = Field(default=None, ge=1, le=10080)
    daily_at: str | None = None
    time_zone: str = "UTC"
    last_job_succeeded: bool = True

    @field_validator("daily_at")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None and not CLOCK.match(value):
            raise ValueError(f"dailyAt is a time of day as HH:MM (24 hours), not {value!r}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ValueError(f"timeZone {value!r} is not a known time zone") from exc
        return value


def _daily_problem(
    label: str, body: Obj, schedule: cron.Schedule, now: datetime, wanted: str, zone: tzinfo
) -> str | None:
    """Why the schedule does not fire once a day, every day, at `wanted` in `zone`; None if it does."""
    runs: list[datetime] = []
    moment: datetime | None = now
    end = now + timedelta(days=DAILY_DAYS)
    while moment is not None and len(runs) <= 3 * DAILY_DAYS:
        moment = cron.next_run(schedule, moment)
        if moment is None or moment > end:
            break
        runs.append(moment.astimezone(zone))
    text = str(body.get("schedule") or "")
    own = str(body.get("timeZone") or "")
    where = f" in {own}" if own and own != str(zone) else ""
    expected = f"the check expects it to fire once a day, every day, at {wanted} {zone}"
    clocks = sorted({run.strftime("%H:%M") for run in runs})
    if len(runs) > 2 * DAILY_DAYS:
        return f'{label} runs on "{text}"{where}, which fires many times a day; {expected}.'
    if clocks != [wanted]:
        shown = ", ".join(clocks[:4]) + (" and more" if len(clocks) > 4 else "")
        return f'{label} runs on "{text}"{where}, which fires at {shown} {zone}; {expected}.'
    days = [run.date() for run in runs]
    skips = any((later - earlier).days != 1 for earlier, later in itertools.pairwise(days))
    if skips or len(days) < DAILY_DAYS - 1:
        return f'{label} runs on "{text}"{where}, which does not fire every day; {expected}.'
    return None


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
    if spec.daily_at is not None:
        problem = _daily_problem(label, body, schedule, now, spec.daily_at, ZoneInfo(spec.time_zone))
        if problem:
            return Result.fail(problem)
    details: dict[str, Any] = {"schedule": text, "next_run": upcoming.isoformat()}
    next_text = f"its next run is at {_when(upcoming, now)}"
    daily = f", every day at {spec.daily_at} {spec.time_zone}" if spec.daily_at else ""
    if not spec.last_job_succeeded:
        return Result.ok(f'{label} runs on "{text}"{daily}; {next_text}.', **details)
    job = _latest_job(view, cronjob)
    if job is None:
        return Result.fail(f"{label} has not created a Job yet; {next_text}.", **details)
    details["latest_job"] = name_of(job)
    done, sentence = jobs.outcome(view, job, label=f"Its latest Job, {name_of(job)},")
    if not done:
        return Result.fail(f"{sentence} {next_text[:1].upper()}{next_text[1:]}.", **details)
    return Result.ok(
        f'{label} runs on "{text}"{daily} and its latest Job, {name_of(job)}, completed.', **details
    )
