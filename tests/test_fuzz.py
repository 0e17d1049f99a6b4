"""The state-file fuzzer's suite share: a few hundred seeded mutations of
state/, each through `reconcile validate` and `reconcile plan` against the
sandbox server; `make fuzz` runs 1,000 or more (see tests/fuzzing.py).

Most cases run in-process in batched worker processes (CliRunner, per-case
alarm, memory limit per worker); a sample runs each command in its own fresh
process. Zero tracebacks, zero hangs, exit codes CI reads right, and every
failure is `FILE:LINE: message` lines or one `error: ...` line.
"""

from __future__ import annotations

import os

from tests.conftest import sandbox_server
from tests.fuzzing import fuzz, seed_sandbox

CASES = int(os.environ.get("FUZZ_SUITE_CASES", "150"))
FRESH = int(os.environ.get("FUZZ_SUITE_FRESH", "4"))


def test_mutated_state_never_crashes_hangs_or_misreports():
    with sandbox_server() as endpoint:
        seed_sandbox(endpoint)
        report = fuzz(CASES, seed=0, endpoint=endpoint, fresh=FRESH)
    print(report.summary())
    assert report.failures() == [], "\n".join(report.failures()[:20])
    assert len({o.index for o in report.outcomes}) == CASES
