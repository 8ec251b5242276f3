"""CronJob schedules as the CronJob controller reads them (the standard five fields of robfig/cron).

`minute hour day-of-month month day-of-week`, each `*`, `?`, a value, a range `a-b`, a
step `*/n`, `a-b/n` or `a/n` (a to the end), or a comma list; months and weekdays
also by name (JAN, MON); Sunday is 0 or 7; and the descriptors @yearly, @annually,
@monthly, @weekly, @daily, @midnight, @hourly and `@every <duration>`. When both
day fields are restricted a day matching either one fires (cron's old rule); when
either is `*` or `?`, both must match.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DURATION = re.compile(r"(\d+)(h|m|s)")
# The controller looks this far ahead for a schedule's next time before calling it never.
_SEARCH_DAYS = 5 * 366


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    days_star: bool = True
    weekdays_star: bool = True
    every: timedelta | None = None

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return in_month and in_week
        return in_month or in_week

    def daily_minutes(self) -> list[int]:
        return sorted(h * 60 + m for h in self.hours for m in self.minutes)


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number" + (" or a name" if names else ""))
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{value} is outside {low}-{high}")
    return value


def _field(
    text: str, low: int, high: int, names: dict[str, int] | None = None
) -> tuple[frozenset[int], bool]:
    names = names or {}
    values: set[int] = set()
    star = False
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"step {step_text!r} must be a positive number")
            step = int(step_text)
        if span in ("*", "?"):
            start, end = low, high
            star = star or step == 1
        elif "-" in span:
            first, _, last = span.partition("-")
            start, end = _value(first, low, high, names), _value(last, low, high, names)
            if start > end:
                raise ValueError(f"range {span!r} runs backwards")
        else:
            start = _value(span, low, high, names)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values), star


def parse(text: str) -> Schedule:
    """Parse a schedule; ValueError says what is wrong."""
    text = " ".join(text.split())
    if text.startswith("@every "):
        total = 0
        rest = text.removeprefix("@every ").strip()
        if not rest or _DURATION.sub("", rest):
            raise ValueError(f"{rest!r} is not a duration such as 1h30m")
        for amount, unit in _DURATION.findall(rest):
            total += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
        if total <= 0:
            raise ValueError("@every needs a duration above zero")
        return Schedule(every=timedelta(seconds=total))
    text = _DESCRIPTORS.get(text.lower(), text)
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(f"a schedule has 5 fields (minute hour day month weekday), not {len(fields)}")
    minutes, _ = _field(fields[0], 0, 59)
    hours, _ = _field(fields[1], 0, 23)
    days, days_star = _field(fields[2], 1, 31)
    months, _ = _field(fields[3], 1, 12, _MONTHS)
    weekdays, weekdays_star = _field(fields[4], 0, 7, _DAYS)
    if 7 in weekdays:
        weekdays = (weekdays - {7}) | {0}
    return Schedule(minutes, hours, days, months, weekdays, days_star, weekdays_star)


def _runs(schedule: Schedule, after: datetime, days: int) -> Iterator[datetime]:
    """The run times after `after` (aware, in the schedule's zone), day by day, for `days` days."""
    zone: tzinfo | None = after.tzinfo
    minutes = schedule.daily_minutes()
    start = after.replace(tzinfo=None)
    for offset in range(days + 1):
        day = start.date() + timedelta(days=offset)
        if not schedule.day_matches(day):
            continue
        midnight = datetime(day.year, day.month, day.day)
        for minute in minutes:
            wall = midnight + timedelta(minutes=minute)
            if wall > start:
                yield wall.replace(tzinfo=zone)


def next_run(schedule: Schedule, after: datetime) -> datetime | None:
    if schedule.every is not None:
        return after + schedule.every
    return next(_runs(schedule, after, _SEARCH_DAYS), None)


def longest_gap(schedule: Schedule, after: datetime, *, days: int = 8) -> timedelta | None:
    """The longest wait between two consecutive runs over the next `days` days; None when it never runs.

    Eight days cover every schedule that repeats weekly; one that skips whole weeks waits longer
    than any limit a check would set anyway, and is measured from its next two runs.
    """
    if schedule.every is not None:
        return schedule.every
    minutes = schedule.daily_minutes()
    start = after.replace(tzinfo=None)
    origin = datetime(start.year, start.month, start.day)
    now = (start - origin).total_seconds() / 60
    runs = [
        offset * 1440 + minute
        for offset in range(days + 1)
        if schedule.day_matches((origin + timedelta(days=offset)).date())
        for minute in minutes
        if offset * 1440 + minute > now
    ]
    if len(runs) >= 2:
        return timedelta(minutes=max(b - a for a, b in itertools.pairwise(runs)))
    first = next_run(schedule, after)
    second = next_run(schedule, first) if first is not None else None
    if first is None:
        return None
    return None if second is None else second - first
