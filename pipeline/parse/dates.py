"""Dates as printed in plans (16/6/2022, ngày 19 tháng 6 năm 2015) to ISO."""

from __future__ import annotations

# On folded text (see pipeline.parse.text.fold).
NUMERIC = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
WORDED_TAIL = r"(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})"


def iso(day: str | None, month: str | None, year: str) -> str | None:
    """``YYYY-MM-DD``; ``YYYY-MM`` without a day; ``YYYY`` without a month; None if impossible.

    A printed day that the calendar does not have (30/02) is kept: it is what the plan says.
    """
    if not month:
        return year
    m = int(month)
    if not 1 <= m <= 12:
        return None
    if not day:
        return f"{year}-{m:02d}"
    d = int(day)
    if not 1 <= d <= 31:
        return None
    return f"{year}-{m:02d}-{d:02d}"
