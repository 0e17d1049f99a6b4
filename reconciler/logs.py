"""Logging that cannot show a stream key.

Every record passes one filter on the way out: values of credential-bearing
fields (StreamName, StreamId, SecretString, SSM's Value, ...) are masked by
name, which covers botocore's request and response bodies, and every secret
value the process has seen (`secrets.scrub`) is masked wherever it appears.
`--debug` turns on botocore's own debug output through the same filter.
"""

from __future__ import annotations

import logging
import re
import sys

from reconciler.secrets import REDACTED, scrub

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


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(formatted)
        return True


class _Formatter(logging.Formatter):
    """`warning: ...` for people; logger names too when debugging."""

    def __init__(self, *, debug: bool) -> None:
        super().__init__("%(name)s: %(message)s" if debug else "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {super().format(record)}"


def configure(*, debug: bool) -> None:
    """Warnings (or everything, with debug) to stderr, through the redacting filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(_Formatter(debug=debug))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
