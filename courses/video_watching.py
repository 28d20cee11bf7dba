"""Watched video as covered intervals of its timeline: the arithmetic, without the database.

The learner's browser reports the ranges of the timeline it has played
(HTMLMediaElement.played), again and again, each report holding everything
played since the page was opened. The server keeps the union of what it
has credited ("covered") and adds what is new in each report, under rules
a scripted client cannot get round by lying about ranges:

- Seeking ahead covers nothing: only ranges the player reports as played count.
- Replaying covers nothing new: the union is kept, not a sum of playing time.
- A report credits at most RATE_CAP × the real time (measured on the
  server) since the learner's previous accepted report for this video, and
  that time counts up to CREDIT_WINDOW only: playing at 4× gains nothing
  over 2×, a burst of reports earns nothing, and neither does an open tab
  left alone. What is not credited yet is reported again with the next
  report (the ranges are cumulative), so a learner watching at normal speed
  loses nothing to the cap.
- Ranges are clamped to [0, duration]; absurd ones (negative, reversed,
  not numbers, far beyond the end, too many) refuse the whole report.

The video's duration comes from the learner's browser: it is fixed at the
first report (a later report with another duration is refused) and must be
within MIN/MAX_DURATION.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

Interval = tuple[float, float]

RATE_CAP = 2.0  # playback faster than this does not count faster
CREDIT_WINDOW = 60.0  # seconds of real time one report can draw on (reports come every ~15 s)
MIN_DURATION = 1.0
MAX_DURATION = 12 * 60 * 60.0
MAX_RANGES = 200  # TimeRanges of one page: a learner who seeks a lot has a few dozen
# A browser's last timeupdate may overshoot the duration it reported by a frame or a rounding;
# a range further beyond the end is not a player's.
END_TOLERANCE = 1.0
DURATION_TOLERANCE = 1.0  # two browsers may round a video's duration differently
PLACES = 3  # stored precision, in seconds


class ReportRefused(Exception):
    """A report the server will not credit; `code` for the client, `message` (translated) for the learner."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code, self.message = code, str(message)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def checked_duration(value) -> float:
    duration = _number(value)
    if duration is None or not MIN_DURATION <= duration <= MAX_DURATION:
        raise ReportRefused("bad_duration", _("The video's length in the report is not a real video length."))
    return round(duration, PLACES)


def checked_ranges(value, duration: float) -> list[Interval]:
    """The reported ranges clamped to [0, duration] and merged; ReportRefused for anything a player never sends."""
    if not isinstance(value, list) or len(value) > MAX_RANGES:
        raise ReportRefused("bad_ranges", _("The watched parts in the report cannot be read."))
    ranges = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ReportRefused("bad_ranges", _("The watched parts in the report cannot be read."))
        start, end = _number(item[0]), _number(item[1])
        if start is None or end is None or start < 0 or end < start:
            raise ReportRefused("bad_ranges", _("The watched parts in the report cannot be read."))
        if end > duration + END_TOLERANCE:
            raise ReportRefused("out_of_range", _("The watched parts in the report go beyond the end of the video."))
        ranges.append((start, min(end, duration)))
    return merge(ranges)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of the intervals, as sorted disjoint intervals (touching ones joined, empty ones dropped)."""
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(round(s, PLACES), round(e, PLACES)) for s, e in merged]


def total(intervals: Iterable[Interval]) -> float:
    return round(sum(end - start for start, end in intervals), PLACES)


def uncovered_parts(covered: list[Interval], reported: list[Interval]) -> list[Interval]:
    """The parts of `reported` not in `covered` (both merged), in timeline order."""
    parts = []
    for start, end in reported:
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                parts.append((cursor, c_start))
            cursor = max(cursor, c_end)
            if cursor >= end:
                break
        if cursor < end:
            parts.append((cursor, end))
    return [(s, e) for s, e in parts if e > s]


def allowance(elapsed_seconds: float | None) -> float:
    """Seconds of timeline one report may add, after `elapsed_seconds` of real time since the previous one.

    None (the first report) and a clock that went backwards allow nothing.
    """
    if elapsed_seconds is None or not math.isfinite(elapsed_seconds) or elapsed_seconds <= 0:
        return 0.0
    return RATE_CAP * min(elapsed_seconds, CREDIT_WINDOW)


@dataclass(frozen=True)
class Credit:
    covered: list[Interval]  # the new union
    added: float  # seconds of timeline this report added
    withheld: float  # seconds reported but not credited yet (over the allowance)


def credit(covered: list[Interval], reported: list[Interval], elapsed_seconds: float | None) -> Credit:
    """Add what the report covers that is new, in timeline order, up to the allowance of the elapsed time."""
    budget = allowance(elapsed_seconds)
    new = uncovered_parts(covered, reported)
    taken = []
    for start, end in new:
        if budget <= 0:
            break
        end = min(end, start + budget)
        taken.append((start, end))
        budget -= end - start
    new_total = total(new)
    added = total(taken)
    return Credit(covered=merge([*covered, *taken]), added=added, withheld=round(max(0.0, new_total - added), PLACES))


def share(covered: list[Interval], duration: float) -> float:
    """The covered share of the timeline, 0…1."""
    if duration <= 0:
        return 0.0
    return min(1.0, total(covered) / duration)


def is_watched(covered: list[Interval], duration: float, watched_share: float) -> bool:
    # A hair of tolerance: 0.9 × 60 s must not miss by a rounding of the third decimal.
    return share(covered, duration) + 1e-9 >= watched_share
