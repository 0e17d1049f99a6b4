"""`python -m reconciler.sandbox --port PORT`: run the local AWS sandbox (see `server.serve`)."""

from __future__ import annotations

import argparse
import sys

from reconciler.sandbox.mediaconnect import settings
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
        "(429 TooManyRequestsException when exceeded)",
    )
    args = parser.parse_args(argv)
    settings.updating_describes = args.updating_describes
    try:
        serve(args.port, latency_ms=args.latency_ms, throttle=args.throttle)
    except PortUnavailable as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
