from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from validators import cron

NOON = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("* * * * *", datetime(2026, 12, 1, 12, 1, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2026, 12, 1, 12, 15, tzinfo=UTC)),
        ("0 3 * * *", datetime(2026, 12, 2, 3, 0, tzinfo=UTC)),
        ("30 9 * * MON-FRI", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
        ("0 0 1 * *", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("@hourly", datetime(2026, 12, 1, 13, 0, tzinfo=UTC)),
        ("@weekly", datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),
        ("0 12 * * 7", datetime(2026, 12, 6, 12, 0, tzinfo=UTC)),
        ("5/20 * * * *", datetime(2026, 12, 1, 12, 5, tzinfo=UTC)),
        ("0 0 29 2 *", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_it_finds_the_next_run(schedule: str, expected: datetime) -> None:
    assert cron.next_run(cron.parse(schedule), NOON) == expected


def test_a_day_matching_either_restricted_day_field_fires() -> None:
    # The 15th or any Friday; with one of them `*`, both must match.
    either = cron.parse("0 0 15 * FRI")
    assert cron.next_run(either, NOON) == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    both = cron.parse("0 0 */1 * FRI")
    assert cron.next_run(both, NOON) == datetime(2026, 12, 4, 0, 0, tzinfo=UTC)


def test_a_schedule_for_a_day_that_does_not_exist_never_fires() -> None:
    assert cron.next_run(cron.parse("0 0 30 2 *"), NOON) is None


def test_it_runs_in_the_schedules_time_zone() -> None:
    paris = NOON.astimezone(ZoneInfo("Europe/Paris"))
    upcoming = cron.next_run(cron.parse("0 3 * * *"), paris)
    assert upcoming is not None and upcoming.astimezone(UTC) == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_it_measures_the_longest_wait_between_runs() -> None:
    assert cron.longest_gap(cron.parse("*/5 * * * *"), NOON) == timedelta(minutes=5)
    assert cron.longest_gap(cron.parse("0 9,17 * * *"), NOON) == timedelta(hours=16)
    assert cron.longest_gap(cron.parse("0 9 * * MON-FRI"), NOON) == timedelta(days=3)
    assert cron.longest_gap(cron.parse("@every 1h30m"), NOON) == timedelta(minutes=90)
    assert cron.longest_gap(cron.parse("0 0 1 * *"), NOON) == timedelta(days=31)
    assert cron.longest_gap(cron.parse("0 0 30 2 *"), NOON) is None


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("* * * *", "5 fields"),
        ("60 * * * *", "outside 0-59"),
        ("*/0 * * * *", "positive number"),
        ("0 0 * FOO *", "not a number or a name"),
        ("5-1 * * * *", "backwards"),
        ("@every soon", "not a duration"),
    ],
)
def test_it_says_what_is_wrong_with_a_schedule(schedule: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        cron.parse(schedule)
