"""Reads at once (core.concurrency): results in order, errors as a loop, interrupts prompt."""

from __future__ import annotations

import functools
import os
import signal
import threading

import pytest

from reconciler.core.concurrency import both, in_parallel
from reconciler.core.errors import Interrupted


def test_results_come_in_the_order_given_and_the_first_error_wins():
    assert in_parallel([functools.partial(lambda i: i * i, i) for i in range(5)]) == [0, 1, 4, 9, 16]

    def fail(message: str) -> None:
        raise ValueError(message)

    with pytest.raises(ValueError, match="first"):
        both(functools.partial(fail, "first"), functools.partial(fail, "second"))


def test_an_interrupted_wait_drops_the_calls_not_yet_started():
    """Ctrl-C or SIGTERM while 2 of 10 calls run: those 2 finish, the 8 others never start."""
    started: list[int] = []
    release = threading.Event()

    def call(i: int) -> int:
        started.append(i)
        release.wait(timeout=10)
        return i

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted(signum, "SIGUSR1")

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timers = [
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1)),
        threading.Timer(1.5, release.set),  # long after the interrupt was handled
    ]
    try:
        for timer in timers:
            timer.start()
        with pytest.raises(Interrupted):
            in_parallel([functools.partial(call, i) for i in range(10)], threads=2)
    finally:
        for timer in timers:
            timer.cancel()
        release.set()
        signal.signal(signal.SIGUSR1, previous)
    assert sorted(started) == [0, 1]
    # and the next run is not affected
    assert in_parallel([functools.partial(lambda i: i, i) for i in range(4)], threads=2) == [
        0, 1, 2, 3
    ]  # fmt: skip
