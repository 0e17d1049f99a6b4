"""The AWS Regions a flow can be in, read from the data botocore ships
(`data/partitions.json` and `data/endpoints.json`) without importing botocore,
so `validate` stays offline and quick.

Reads botocore's data files once; otherwise purely computational.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

# The partitions whose Regions a state file may name.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def _botocore_data() -> Path | None:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@cache
def known_regions() -> frozenset[str]:
    """Every Region the aws, aws-cn and aws-us-gov partitions list (empty when
    botocore's data cannot be found: then no Region is refused)."""
    data = _botocore_data()
    if data is None:
        return frozenset()
    regions: set[str] = set()
    for partition in _read(data / "partitions.json").get("partitions", []):
        if partition.get("id") in PARTITIONS:
            regions |= {r for r in partition.get("regions", {}) if not r.endswith("-global")}
    for partition in _read(data / "endpoints.json").get("partitions", []):
        if partition.get("partition") in PARTITIONS:
            regions |= set(partition.get("regions", {}))
    return frozenset(regions)


def region_problem(region: str) -> str | None:
    """Why `region` is not a Region a flow can be in, or None if it is."""
    known = known_regions()
    if not known or region in known:
        return None
    close = difflib.get_close_matches(region.strip().lower(), sorted(known), n=1, cutoff=0.8)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{region!r} is not an AWS Region of the {', '.join(PARTITIONS)} partitions{hint}"
