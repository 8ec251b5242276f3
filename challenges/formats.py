"""How figures read wherever a person reads them: on the pages (as template filters) and in exports."""

from __future__ import annotations

from datetime import timedelta


def duration(value: timedelta | None) -> str:
    """4m 07s, or 1h 05m from an hour on; a dash for none."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s"
