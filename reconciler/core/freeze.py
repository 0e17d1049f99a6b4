"""Change freezes: windows of time in which apply must not change a flow.

A flow file's `freeze:` lists windows, each one-off (`start`, `end`: ISO 8601
with an offset) or weekly (`days`, `from`, `to` as local HH:MM, `timezone` as
an IANA name). Every instant here is an aware UTC datetime; a weekly window is
laid out date by date in its own time zone and only then converted, so it
follows the local clock across daylight-saving changes:

- a local time the clocks skip (spring forward) is taken as the moment they
  jump over it;
- a local time the clocks repeat (fall back) opens a window at its first
  reading and closes one at its second, so a window never shrinks.

A weekly `to` at or before `from` ends on the next day (`from: "22:00"`,
`to: "02:00"` spans midnight; equal times make a 24-hour window).

Purely computational, no clock of its own: callers pass `now`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.core.errors import Location, StateError

if TYPE_CHECKING:  # annotations only: --help need not load YAML
    from reconciler.core.yamlfile import Document

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What an allow list may name: the planner's actions, plus `enable` and
# `disable`, which are updates that change OutputStatus and nothing else.
ACTIONS = ("add", "update", "replace", "remove", "enable", "disable")
# Weeks sampled to find overlapping weekly windows (winter and summer time in
# both hemispheres); fixed, so that validation does not depend on today's date.
_SAMPLE_WEEKS = (date(2026, 1, 5), date(2026, 7, 6))


@dataclass(frozen=True)
class Interval:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class OneOff:
    start: datetime
    end: datetime

    def occurrences(self, since: datetime, until: datetime) -> Iterator[Interval]:
        """The window, if it ends after `since` and starts before `until`."""
        if self.end > since and self.start < until:
            yield Interval(self.start, self.end)

    def describe(self) -> str:
        return f"{utc_text(self.start)} to {utc_text(self.end)}"


@dataclass(frozen=True)
class Weekly:
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time
    timezone: str

    def occurrences(self, since: datetime, until: datetime) -> Iterator[Interval]:
        """Every occurrence that ends after `since` and starts before `until`, in order."""
        zone = ZoneInfo(self.timezone)
        day = since.astimezone(zone).date() - timedelta(days=2)
        last = until.astimezone(zone).date() + timedelta(days=1)
        while day <= last:
            if day.weekday() in self.days:
                ends_on = day if self.end > self.start else day + timedelta(days=1)
                found = Interval(
                    _instant(datetime.combine(day, self.start), zone, first=True),
                    _instant(datetime.combine(ends_on, self.end), zone, first=False),
                )
                if found.end > since and found.start < until:
                    yield found
            day += timedelta(days=1)

    def describe(self) -> str:
        days = ", ".join(DAYS[d] for d in sorted(self.days))
        return f"every {days} {self.start:%H:%M} to {self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class Recorded:
    """One occurrence of a window as a saved plan recorded it (`text`: how its
    schedule was described), so `reconcile show` states it as `plan` did."""

    occurrence: Interval
    text: str

    def occurrences(self, since: datetime, until: datetime) -> Iterator[Interval]:
        if self.occurrence.end > since and self.occurrence.start < until:
            yield self.occurrence

    def describe(self) -> str:
        return self.text


def _instant(local: datetime, zone: ZoneInfo, *, first: bool) -> datetime:
    """The UTC instant of a naive local time: a repeated time's first (or last)
    reading; a skipped time's jump, the first instant the clock reads later."""
    readings = {local.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1)}
    valid = sorted(r for r in readings if r.astimezone(zone).replace(tzinfo=None) == local)
    if valid:
        return valid[0] if first else valid[-1]
    instant = min(readings)  # in a gap: step to the jump, at most a few hours
    while instant.astimezone(zone).replace(tzinfo=None) < local:
        instant += timedelta(minutes=1)
    return instant.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class FreezeWindow:
    """One window of a flow's `freeze:` list."""

    reason: str
    schedule: OneOff | Weekly | Recorded
    location: Location
    allow: frozenset[str] = frozenset()

    def open_at(self, now: datetime) -> Interval | None:
        """The occurrence open at `now`, if any."""
        for found in self.schedule.occurrences(now, now + timedelta(seconds=1)):
            if found.contains(now):
                return found
        return None

    def next_opening(self, now: datetime) -> Interval | None:
        """The first occurrence starting after `now`, if any (weekly: within 8 days)."""
        horizon = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
        if isinstance(self.schedule, Weekly):
            horizon = now + timedelta(days=8)
        return next((i for i in self.schedule.occurrences(now, horizon) if i.start > now), None)

    def describe(self) -> str:
        return f"{self.reason!r} ({self.schedule.describe()}; {self.location})"


def utc_text(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# --- reading `freeze:` -------------------------------------------------------------


def windows(doc: Document) -> tuple[tuple[FreezeWindow, ...], list[StateError]]:
    """The typed windows of a schema-valid flow document, or what is wrong with them:
    mixed or missing kinds of fields, unreadable or inverted times, unknown time
    zones, and windows that overlap one another."""
    found: list[FreezeWindow] = []
    errors: list[StateError] = []
    for index, entry in enumerate(doc.data.get("freeze", [])):
        window = _window(doc, index, entry, errors)
        if window is not None:
            found.append(window)
    errors += _overlaps(doc, found)
    return tuple(found), errors


def _window(
    doc: Document, index: int, entry: dict[str, object], errors: list[StateError]
) -> FreezeWindow | None:
    at = ("freeze", index)
    one_off = {"start", "end"} & entry.keys()
    weekly = {"days", "from", "to", "timezone"} & entry.keys()
    if one_off and weekly:
        errors.append(
            doc.error(
                "freeze: a window is either one-off (start, end) or weekly "
                "(days, from, to, timezone), not both",
                *at,
            )
        )
        return None
    schedule: OneOff | Weekly | None
    if not (one_off or weekly):
        errors.append(
            doc.error(
                "freeze: a window needs `start` and `end` (one-off) or `days`, `from`, `to` "
                "and `timezone` (weekly)",
                *at,
            )
        )
        return None
    schedule = _weekly(doc, at, entry, errors) if weekly else _one_off(doc, at, entry, errors)
    if schedule is None:
        return None
    allow = entry.get("allow", [])
    assert isinstance(allow, list)
    return FreezeWindow(str(entry["reason"]), schedule, doc.at(*at), frozenset(allow))


def _one_off(
    doc: Document, at: tuple[str | int, ...], entry: dict[str, object], errors: list[StateError]
) -> OneOff | None:
    missing = [k for k in ("start", "end") if k not in entry]
    if missing:
        errors.append(doc.error(f"freeze: a one-off window needs `{missing[0]}`", *at))
        return None
    instants = [_iso(doc, (*at, k), entry[k], errors) for k in ("start", "end")]
    start, end = instants
    if start is None or end is None:
        return None
    if end <= start:
        errors.append(doc.error("freeze: end is not after start", *at, "end"))
        return None
    return OneOff(start, end)


def _iso(
    doc: Document, at: tuple[str | int, ...], value: object, errors: list[StateError]
) -> datetime | None:
    key = at[-1]
    example = "e.g. 2026-12-05T18:00:00+00:00"
    if isinstance(value, datetime):  # YAML read an unquoted timestamp itself
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            errors.append(doc.error(f"freeze: {key} is not an ISO 8601 time ({example})", *at))
            return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        errors.append(doc.error(f"freeze: {key} needs a UTC offset ({example})", *at))
        return None
    return parsed.astimezone(UTC)


def _weekly(
    doc: Document, at: tuple[str | int, ...], entry: dict[str, object], errors: list[StateError]
) -> Weekly | None:
    missing = [k for k in ("days", "from", "to", "timezone") if k not in entry]
    if missing:
        errors.append(doc.error(f"freeze: a weekly window needs `{missing[0]}`", *at))
        return None
    zone = str(entry["timezone"])
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(
            doc.error(
                f"freeze: unknown time zone {zone!r} (an IANA name such as Europe/London)",
                *at,
                "timezone",
            )
        )
        return None
    days = entry["days"]
    assert isinstance(days, list)
    start, end = (_clock_time(doc, (*at, k), entry[k], errors) for k in ("from", "to"))
    if start is None or end is None:
        return None
    return Weekly(tuple(sorted(DAYS.index(str(d)) for d in days)), start, end, zone)


def _clock_time(
    doc: Document, at: tuple[str | int, ...], value: object, errors: list[StateError]
) -> time | None:
    """`HH:MM`; YAML 1.1 reads an unquoted 18:00 as the number 1080 (base 60),
    which is taken back to 18:00."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        value = f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str) and re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", value):
        return time.fromisoformat(value)
    errors.append(doc.error(f'freeze: {at[-1]} must be a time of day as "HH:MM"', *at))
    return None


def _overlaps(doc: Document, found: Sequence[FreezeWindow]) -> list[StateError]:
    errors = []
    for i, later in enumerate(found):
        for earlier in found[:i]:
            clash = overlap(earlier, later)
            if clash is not None:
                errors.append(
                    StateError(
                        later.location,
                        f"freeze: this window overlaps the one at line {earlier.location.line} "
                        f"(both cover {utc_text(clash.start)}); merge them or make them disjoint",
                    )
                )
                break
    return errors


def overlap(a: FreezeWindow, b: FreezeWindow) -> Interval | None:
    """A stretch both windows cover, if any: one-off windows over their span
    (capped at a year), weekly ones over sample weeks in winter and summer."""
    spans = [s for s in (a.schedule, b.schedule) if isinstance(s, OneOff)]
    if spans:
        since = max(s.start for s in spans)
        until = min(min(s.end for s in spans), since + timedelta(days=366))
        ranges = [(since, until)] if since < until else []
    else:
        ranges = [
            (start, start + timedelta(days=14))
            for start in (datetime.combine(d, time(), UTC) for d in _SAMPLE_WEEKS)
        ]
    for since, until in ranges:
        for x in a.schedule.occurrences(since, until):
            for y in b.schedule.occurrences(since, until):
                if x.overlaps(y):
                    return Interval(max(x.start, y.start), min(x.end, y.end))
    return None
