"""`python -m reconciler.sandbox --port PORT [--seed STATE_DIR]`: run the local AWS
sandbox (see `server.serve`), seeded from a state directory if asked (see `seed`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from reconciler.core.errors import StateErrors
from reconciler.core.models import State
from reconciler.sandbox.mediaconnect import settings
from reconciler.sandbox.seed import check_state, seed
from reconciler.sandbox.server import PortUnavailable, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.sandbox",
        description="Local AWS sandbox: moto with a faithful MediaConnect, on 127.0.0.1.",
    )
    parser.add_argument(
        "--port", type=int, default=5000, help="TCP port (0 picks a free one; default 5000)"
    )
    parser.add_argument(
        "--updating-describes",
        type=int,
        default=0,
        metavar="N",
        help="after each output write, report the flow UPDATING for the next N DescribeFlow calls",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="wait this long before answering each request (a simulated round trip)",
    )
    parser.add_argument(
        "--throttle",
        action="store_true",
        help="apply MediaConnect's rate limit: DescribeFlow 30/s, other calls 5/s burst 30 "
        "(429 TooManyRequestsException when exceeded), and Parameter Store's standard "
        "throughput: GetParameter(s) 40/s (400 ThrottlingException)",
    )
    parser.add_argument(
        "--seed",
        type=Path,
        metavar="STATE_DIR",
        help="create the flows of STATE_DIR/flows and a placeholder for each stream key, "
        "then print the `export` lines that point reconcile at the sandbox",
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="with --seed: seed the sandbox already running at URL, and exit",
    )
    args = parser.parse_args(argv)
    if args.endpoint and args.seed is None:
        parser.error("--endpoint needs --seed")
    settings.updating_describes = args.updating_describes
    state: State | None = None
    if args.seed is not None:
        try:
            state = check_state(args.seed)
        except StateErrors as errors:
            for error in errors.errors:
                print(error, file=sys.stderr)
            return 1
    if state is not None and args.endpoint:
        _seeder(state)(args.endpoint)
        return 0
    try:
        serve(
            args.port,
            on_ready=None if state is None else _seeder(state),
            latency_ms=args.latency_ms,
            throttle=args.throttle,
        )
    except PortUnavailable as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    return 0


def _seeder(state: State) -> Callable[[str], None]:
    """Seed the sandbox once it listens, and print what to export."""

    def seed_and_tell(endpoint: str) -> None:
        seeded = seed(endpoint, state)
        for line in seeded.export_lines():
            print(line)
        print(
            f"# seeded {len(seeded.flows)} flow(s): {', '.join(seeded.flows)}; "
            f"{len(seeded.keys)} placeholder stream key(s). Export the lines above, then: "
            "reconcile plan"
        )
        for note in seeded.notes:
            print(f"# note: {note}")

    return seed_and_tell


if __name__ == "__main__":
    sys.exit(main())
