"""Logging that cannot show a stream key.

Every log record is redacted as it is created (a record factory), before any
handler, filter or test hook sees it: values of credential-bearing fields
(StreamName, StreamId, SecretString, SSM's Value, ...) are masked by name,
which covers botocore's request and response bodies, and every secret value
the process has seen (`secrets.scrub`) is masked wherever it appears.
`--debug` turns on botocore's own debug output, redacted the same way.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from reconciler.core.secrets import REDACTED, scrub

# `"streamName": "..."`, `'Value': '...'`, `StreamId=...` in JSON, reprs and query strings.
SENSITIVE_FIELD = re.compile(
    r"""(?ix)
    (["']?(?:streamName|streamId|secretString|value|passphrase|password)["']?\s*[:=]\s*)
    (?: (["'])(?:\\.|(?!\2).)*\2 | [^\s,&}'"]+ )
    """
)


def redact(text: str) -> str:
    masked = SENSITIVE_FIELD.sub(
        lambda m: f"{m.group(1)}{m.group(2) or ''}{REDACTED}{m.group(2) or ''}", text
    )
    return scrub(masked)


_make_record = logging.getLogRecordFactory()


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    record.msg, record.args = redact(record.getMessage()), None
    if record.exc_info:
        formatted = logging.Formatter().formatException(record.exc_info)
        record.exc_info, record.exc_text = None, redact(formatted)
    return record


class _Formatter(logging.Formatter):
    """`warning: ...` for people; logger names too when debugging."""

    def __init__(self, *, debug: bool) -> None:
        super().__init__("%(name)s: %(message)s" if debug else "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {super().format(record)}"


_handler: logging.Handler | None = None


def configure(*, debug: bool) -> None:
    """Redact every record from now on; warnings (or, with debug, everything)
    to stderr. Other handlers (a test's, an embedding program's) stay."""
    global _handler
    logging.setLogRecordFactory(_redacted_record)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(_Formatter(debug=debug))
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
