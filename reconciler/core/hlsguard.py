"""Proof that apply left the HLS path alone: before and after, compared.

Purely computational: the views are read by `aws.hls` (read-only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.core.models import HlsView


@dataclass(frozen=True)
class HlsCheck:
    flow: str
    before: HlsView
    after: HlsView

    @property
    def unchanged(self) -> bool:
        return self.before.fingerprint == self.after.fingerprint

    def differences(self) -> str:
        """What changed, as deepdiff reports it (credentials are digests here)."""
        from deepdiff import DeepDiff  # slow to import: only when there is a change to show

        diff = DeepDiff(json.loads(self.before.snapshot), json.loads(self.after.snapshot))
        return str(diff.pretty())
