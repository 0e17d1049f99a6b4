"""Colour for a terminal: the plan's action lines in ANSI colours.

Pure text in, text out; the CLI decides whether the output is a terminal that
wants colour (not under NO_COLOR, TERM=dumb, or when writing to a pipe).
"""

from __future__ import annotations

import re

RESET = "\x1b[0m"
# + add green, ~ update yellow, - remove red, ± replace magenta.
ACTION_COLOURS = {"+": "\x1b[32m", "~": "\x1b[33m", "-": "\x1b[31m", "±": "\x1b[35m"}
_ACTION_LINE = re.compile(r"^( +)([+~\-±]) ")


def coloured_plan(text: str) -> str:
    """`text` (as `render.plan.text` makes it) with each change's line coloured."""
    lines = []
    for line in text.split("\n"):
        match = _ACTION_LINE.match(line)
        if match:
            indent = match.group(1)
            line = f"{indent}{ACTION_COLOURS[match.group(2)]}{line[len(indent) :]}{RESET}"
        lines.append(line)
    return "\n".join(lines)
