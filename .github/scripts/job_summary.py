"""Append to this job's summary: Markdown as it is, plain text files in
collapsed code blocks, the whole kept under the summary's 1 MiB limit.

    job_summary.py [--markdown FILE] [--text TITLE=FILE ...]

A missing file is skipped (the step that writes it may have failed); a text
too long is cut at a line, with a note pointing to the run's artifacts.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

# GitHub refuses a step summary over 1 MiB; stay clear of it.
SUMMARY_LIMIT = 1_000_000


def _fenced(title: str, text: str, room: int) -> str:
    # A fence longer than any run of backticks in the text cannot be closed by it.
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    head, tail = f"<details><summary>{title}</summary>\n\n{fence}text\n", f"\n{fence}\n</details>\n"
    cut_note = "\n(cut here to fit the job summary: the full text is in the run's artifacts)"
    if len((head + text + tail).encode()) > room:
        budget = room - len((head + tail + cut_note).encode())
        kept = text.encode()[: max(budget, 0)].decode(errors="ignore")
        text = kept[: kept.rfind("\n") + 1].rstrip("\n") + cut_note
    return head + text + tail


def job_summary(markdown: str | None, texts: list[tuple[str, str]]) -> str:
    parts = [markdown.rstrip("\n") + "\n"] if markdown is not None else []
    room = SUMMARY_LIMIT - len("".join(parts).encode())
    for title, text in texts:
        part = _fenced(title, text.rstrip("\n"), room)
        parts.append(part)
        room -= len(part.encode())
    return "\n".join(parts)


def run() -> None:
    parser = argparse.ArgumentParser(description="Append files to the job summary.")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--text", action="append", default=[], metavar="TITLE=FILE")
    args = parser.parse_args()
    markdown = None
    if args.markdown is not None and args.markdown.is_file():
        markdown = args.markdown.read_text(encoding="utf-8")
    texts = []
    for spec in args.text:
        title, _, name = spec.partition("=")
        if name and Path(name).is_file():
            texts.append((title, Path(name).read_text(encoding="utf-8")))
    with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
        summary.write(job_summary(markdown, texts))


if __name__ == "__main__":
    run()
