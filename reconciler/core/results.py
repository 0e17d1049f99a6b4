"""What an apply did, change by change: the executor's report, rendered and audited."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconciler.core.planner import OutputChange


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Result:
    change: OutputChange
    outcome: Outcome
    detail: str = ""  # why it failed or was skipped; for adds, the new output's ARN
    output_arn: str | None = None


@dataclass(frozen=True)
class ApplyReport:
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.DONE for r in self.results)
