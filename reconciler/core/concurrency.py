"""Running independent calls at once (threads), results in the order given.

Used for reads that wait on the network: flows, regions and secret batches.
How fast the calls really go is bounded elsewhere, by the client-side rate
limiters in `aws.clients`; this only lets them overlap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

# At most aws.clients.POOL_CONNECTIONS: one HTTP connection per thread.
MAX_THREADS = 32


def in_parallel(calls: Sequence[Callable[[], T]], threads: int = MAX_THREADS) -> list[T]:
    """Every call's result, in the order of `calls`.

    All calls run to the end; if any raised, the first one's exception (in the
    order of `calls`, not of time) is raised, as a loop would have.
    """
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(threads, len(calls))) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Both results, the calls run at once; as `in_parallel`, both run to the end
    and `first`'s exception, if any, is the one raised."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        one, two = pool.submit(first), pool.submit(second)
        return one.result(), two.result()
