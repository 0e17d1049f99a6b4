"""Logging that cannot show a stream key.

Every log record is redacted as it is created (a record factory), before any
handler, filter or test hook sees it: botocore's body-, header- and
signature-bearing records are rebuilt by the shape of the request and
response (`aws.debuglog`, which never shows secret-store bodies), and then
the whole message, traceback included, passes the one redaction sink
(`secrets.redact`), which masks every secret value the process knows.
`--debug` turns on botocore's own debug output, redacted the same way.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Any, TextIO

from reconciler.core.secrets import redact

__all__ = ["configure", "redact", "redact_output"]

_make_record = logging.getLogRecordFactory()


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    from reconciler.aws.debuglog import masked_message  # loaded at the first record only

    record = _make_record(*args, **kwargs)
    try:
        message = masked_message(record)
    except Exception:  # a record we cannot mask is not shown, and never breaks a call
        message = f"({record.name} record not shown: it could not be masked)"
    record.msg, record.args = redact(record.getMessage() if message is None else message), None
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


class RedactingStream(io.TextIOBase):
    """A text stream that passes everything written through the redaction sink
    before the stream it wraps. It has no `buffer`, so nothing (click
    included) can reach the bytes underneath by going around it."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str | bytes) -> int:
        # click writes bytes here when it finds no binary buffer underneath
        plain = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.inner.write(redact(plain))
        return len(text)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.inner, "errors", None)


def redact_output() -> None:
    """From now on, stdout and stderr pass the redaction sink (once per stream)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
