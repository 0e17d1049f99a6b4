"""Running independent calls at once (threads), results in the order given.

Used for reads that wait on the network: flows, regions and secret batches.
How fast the calls really go is bounded elsewhere, by the client-side rate
limiters in `aws.clients`; this only lets them overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")

# At most aws.clients.POOL_CONNECTIONS: one HTTP connection per thread.
MAX_THREADS = 32


def in_parallel(calls: Sequence[Callable[[], T]], threads: int = MAX_THREADS) -> list[T]:
    """Every call's result, in the order of `calls`.

    All calls run to the end; if any raised, the first one's exception (in the
    order of `calls`, not of time) is raised, as a loop would have. If the
    waiting thread is interrupted (Ctrl-C, SIGTERM), calls not yet started are
    dropped, here and in the pools those calls opened, and the interrupt is
    raised once the calls under way have returned.
    """
    if len(calls) <= 1:
        return [call() for call in calls]
    return _gathered(calls, min(threads, len(calls)))


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Both results, the calls run at once; as `in_parallel`, both run to the end
    and `first`'s exception, if any, is the one raised."""
    one, two = _gathered([first, second], 2)
    return one, two


# Set while an interrupted wait drops the calls not yet started.
_stopping = threading.Event()


def _unless_stopping(call: Callable[[], T]) -> T:
    if _stopping.is_set():
        raise CancelledError("interrupted before it started")
    return call()


def _gathered(calls: Sequence[Callable[[], Any]], threads: int) -> list[Any]:
    pool = ThreadPoolExecutor(max_workers=threads)
    futures = [pool.submit(_unless_stopping, call) for call in calls]
    try:
        return [future.result() for future in futures]
    except BaseException as e:
        if not isinstance(e, Exception):  # interrupted while waiting
            _stopping.set()
            pool.shutdown(wait=True, cancel_futures=True)
            _stopping.clear()
        raise
    finally:
        pool.shutdown(wait=True)
