"""Freeze windows on a frozen clock: weekly windows follow the local clock
across daylight-saving changes, span midnight, and one-off windows are exact.
Every instant is given; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from reconciler.core.errors import Location, StateErrors
from reconciler.core.freeze import DAYS, FreezeWindow, OneOff, Weekly
from reconciler.core.state import load_state

HERE = Location(Path("flows/f.yaml"), 7)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekly(days: str, start: str, end: str, zone: str) -> FreezeWindow:
    schedule = Weekly(
        tuple(DAYS.index(d) for d in days.split(",")),
        time.fromisoformat(start),
        time.fromisoformat(end),
        zone,
    )
    return FreezeWindow("live show", schedule, HERE)


def open_span(window: FreezeWindow, now: str) -> tuple[str, str] | None:
    found = window.open_at(utc(now))
    return None if found is None else (found.start.isoformat(), found.end.isoformat())


def test_weekly_window_keeps_local_time_in_summer_and_winter():
    window = weekly("sat", "18:00", "23:00", "Europe/London")
    assert open_span(window, "2026-07-04T17:00") == (
        "2026-07-04T17:00:00+00:00",
        "2026-07-04T22:00:00+00:00",
    )
    assert open_span(window, "2026-07-04T22:00") is None  # the end is exclusive
    assert open_span(window, "2026-01-03T17:30") is None  # 17:30 GMT: not yet
    assert open_span(window, "2026-01-03T18:00") == (
        "2026-01-03T18:00:00+00:00",
        "2026-01-03T23:00:00+00:00",
    )


def test_london_spring_forward_opens_when_the_clocks_jump_over_a_skipped_start():
    # 2026-03-29: 01:00 GMT becomes 02:00 BST at 01:00 UTC; 01:30 local never happens.
    window = weekly("sun", "01:30", "03:00", "Europe/London")
    assert open_span(window, "2026-03-29T00:59") is None
    assert open_span(window, "2026-03-29T01:00") == (
        "2026-03-29T01:00:00+00:00",
        "2026-03-29T02:00:00+00:00",  # 03:00 BST
    )
    assert open_span(window, "2026-03-29T02:00") is None


def test_london_fall_back_opens_at_the_first_reading_and_closes_at_the_last():
    # 2026-10-25: 02:00 BST becomes 01:00 GMT at 01:00 UTC; 01:00-02:00 local happens twice.
    window = weekly("sun", "01:15", "01:45", "Europe/London")
    assert open_span(window, "2026-10-25T00:15") == (
        "2026-10-25T00:15:00+00:00",  # 01:15 BST, the first 01:15
        "2026-10-25T01:45:00+00:00",  # 01:45 GMT, the second 01:45
    )
    assert open_span(window, "2026-10-25T01:44") is not None
    assert open_span(window, "2026-10-25T01:45") is None


def test_new_york_spring_forward():
    # 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC; 02:30 local never happens.
    window = weekly("sun", "02:30", "04:00", "America/New_York")
    assert open_span(window, "2026-03-08T06:59") is None
    assert open_span(window, "2026-03-08T07:00") == (
        "2026-03-08T07:00:00+00:00",
        "2026-03-08T08:00:00+00:00",  # 04:00 EDT
    )
    # a week later the same window is 06:30-08:00 UTC (EDT all along)
    assert open_span(window, "2026-03-15T06:30") == (
        "2026-03-15T06:30:00+00:00",
        "2026-03-15T08:00:00+00:00",
    )


def test_new_york_fall_back_across_midnight():
    # Saturday 22:00 EDT to Sunday 02:00 EST, over the 2026-11-01 fall-back: five hours.
    window = weekly("sat", "22:00", "02:00", "America/New_York")
    assert open_span(window, "2026-11-01T02:00") == (
        "2026-11-01T02:00:00+00:00",
        "2026-11-01T07:00:00+00:00",
    )
    assert open_span(window, "2026-11-01T06:30") is not None  # 01:30 EST, the second 01:30
    assert open_span(window, "2026-11-01T07:00") is None


def test_window_spanning_midnight_covers_both_days_and_says_when_it_opens_next():
    window = weekly("fri", "22:00", "02:00", "UTC")
    assert open_span(window, "2026-11-28T01:59") == (  # Saturday morning
        "2026-11-27T22:00:00+00:00",
        "2026-11-28T02:00:00+00:00",
    )
    assert open_span(window, "2026-11-28T02:00") is None
    upcoming = window.next_opening(utc("2026-11-28T02:00"))
    assert upcoming is not None and upcoming.start == utc("2026-12-04T22:00")


def test_equal_from_and_to_make_a_whole_day():
    window = weekly("sat", "00:00", "00:00", "Europe/London")
    assert open_span(window, "2026-11-28T23:59") == (
        "2026-11-28T00:00:00+00:00",
        "2026-11-29T00:00:00+00:00",
    )


def test_one_off_window_is_exact_and_ends_for_good():
    window = FreezeWindow("final", OneOff(utc("2026-12-05T18:00"), utc("2026-12-05T23:30")), HERE)
    assert window.open_at(utc("2026-12-05T17:59")) is None
    assert window.open_at(utc("2026-12-05T18:00")) is not None
    assert window.open_at(utc("2026-12-05T23:30")) is None
    assert window.next_opening(utc("2026-12-01T00:00")).start == utc("2026-12-05T18:00")
    assert window.next_opening(utc("2026-12-06T00:00")) is None


# --- bad input: FILE:LINE errors from load_state (and so `validate`) ---------------


def state_with(tmp_path: Path, freeze: str) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "destinations").mkdir()
    (tmp_path / "flows" / "f.yaml").write_text(f"name: f\nregion: us-west-2\nfreeze:\n{freeze}")
    return tmp_path


def errors_of(tmp_path: Path, freeze: str) -> list[str]:
    root = state_with(tmp_path, freeze)
    with pytest.raises(StateErrors) as caught:
        load_state(root)
    return [str(e).replace(f"{root}/", "") for e in caught.value.errors]


@pytest.mark.parametrize(
    ("freeze", "error"),
    [
        (
            "  - reason: x\n    start: 2026-12-05T20:00:00+00:00\n    end: 2026-12-05T18:00:00+00:00\n",
            "flows/f.yaml:6: freeze: end is not after start",
        ),
        (
            "  - reason: x\n    start: '2026-12-05T18:00'\n    end: '2026-12-05T20:00+00:00'\n",
            "flows/f.yaml:5: freeze: start needs a UTC offset (e.g. 2026-12-05T18:00:00+00:00)",
        ),
        (
            "  - reason: x\n    start: 5 December\n    end: '2026-12-05T20:00+00:00'\n",
            "flows/f.yaml:5: freeze: start is not an ISO 8601 time (e.g. 2026-12-05T18:00:00+00:00)",
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '20:00'\n    timezone: Europe/Lundon\n",
            "flows/f.yaml:8: freeze: unknown time zone 'Europe/Lundon' (an IANA name such as Europe/London)",
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '20:00'\n",
            "flows/f.yaml:4: freeze: a weekly window needs `timezone`",
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '20:00'\n    timezone: UTC\n"
            "    end: '2026-12-05T20:00+00:00'\n",
            "flows/f.yaml:4: freeze: a window is either one-off (start, end) or weekly "
            "(days, from, to, timezone), not both",
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '23:00'\n    timezone: Europe/London\n"
            "  - reason: y\n    days: [sat]\n    from: '22:00'\n    to: '01:00'\n    timezone: Europe/London\n",
            "flows/f.yaml:9: freeze: this window overlaps the one at line 4 "
            "(both cover 2026-01-10 22:00 UTC); merge them or make them disjoint",
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '23:00'\n    timezone: Europe/London\n"
            "  - reason: y\n    start: '2026-12-05T22:30:00+00:00'\n    end: '2026-12-06T01:00:00+00:00'\n",
            "flows/f.yaml:9: freeze: this window overlaps the one at line 4 "
            "(both cover 2026-12-05 22:30 UTC); merge them or make them disjoint",
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '25:00'\n    to: '23:00'\n    timezone: UTC\n",
            'flows/f.yaml:6: freeze: from must be a time of day as "HH:MM"',
        ),
        (
            "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '23:00'\n    timezone: UTC\n"
            "    allow: [pause]\n",
            "flows/f.yaml:9: freeze.0.allow.0: must be one of add, update, replace, remove, enable, disable",
        ),
    ],
)
def test_bad_windows_are_file_and_line_errors(tmp_path, freeze, error):
    assert errors_of(tmp_path, freeze) == [error]


def test_unquoted_yaml_times_are_read_as_written(tmp_path):
    root = state_with(
        tmp_path,
        "  - reason: x\n    days: [sat]\n    from: 18:00\n    to: 20:30\n    timezone: UTC\n"
        "  - reason: y\n    start: 2026-12-04T18:00:00+01:00\n    end: 2026-12-04T20:00:00Z\n",
    )
    weekly_window, one_off = load_state(root).flows["f"].freeze
    assert weekly_window.schedule.describe() == "every sat 18:00 to 20:30 UTC"
    assert one_off.schedule.describe() == "2026-12-04 17:00 UTC to 2026-12-04 20:00 UTC"


def test_adjacent_windows_do_not_overlap(tmp_path):
    root = state_with(
        tmp_path,
        "  - reason: x\n    days: [sat]\n    from: '18:00'\n    to: '20:00'\n    timezone: UTC\n"
        "  - reason: y\n    days: [sat]\n    from: '20:00'\n    to: '22:00'\n    timezone: UTC\n",
    )
    assert len(load_state(root).flows["f"].freeze) == 2
