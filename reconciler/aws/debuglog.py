"""botocore's debug log, masked by the shape of each request and response.

`--debug` shows botocore's own records, but the ones carrying bodies, headers
or signatures are rewritten here before any handler sees them (the record
factory in `app.logs` calls `masked_message`):

- request and response bodies are parsed as JSON and every member that can
  hold a key is replaced by (sensitive), found through botocore's model of the
  operation, not by a pattern on text: members named StreamName, StreamId,
  SecretString, SecretBinary, Value (SSM), Passphrase, Password, and any member
  the model marks `sensitive`;
- bodies of secret-store operations (SSM GetParameter(s), PutParameter,
  Secrets Manager Get/BatchGetSecretValue, ...) are never shown at all, whatever
  their nesting or escaping; neither are bodies that are not JSON, nor
  response bodies of an operation this module was not told about;
- the Authorization, X-Amz-Security-Token and X-Amz-Credential headers (and
  query parameters) and signatures are masked.

The response's operation is learnt from botocore's `before-parse` event, which
`remember_operation` handles (registered by `Clients` on every client).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

from reconciler.core.secrets import REDACTED

# Members whose value is, or may be, a stream key or another secret.
SECRET_MEMBERS = frozenset(
    {"StreamName", "StreamId", "SecretString", "SecretBinary", "Value", "Passphrase", "Password"}
)
# (service, operation) whose bodies hold secret values wholesale.
SECRET_STORE_OPERATIONS = frozenset(
    {
        ("ssm", "GetParameter"),
        ("ssm", "GetParameters"),
        ("ssm", "GetParametersByPath"),
        ("ssm", "GetParameterHistory"),
        ("ssm", "PutParameter"),
        ("secretsmanager", "GetSecretValue"),
        ("secretsmanager", "BatchGetSecretValue"),
        ("secretsmanager", "CreateSecret"),
        ("secretsmanager", "PutSecretValue"),
        ("secretsmanager", "UpdateSecret"),
    }
)
CREDENTIAL_HEADERS = frozenset({"authorization", "x-amz-security-token", "x-amz-credential"})
_CREDENTIAL_TEXT = re.compile(
    r"(?im)((?:x-amz-security-token|x-amz-credential|x-amz-signature|authorization)[:=])[^\s&]*"
)

_current = threading.local()


def remember_operation(operation_model: Any = None, **_: Any) -> None:
    """botocore `before-parse` handler: the response about to be logged is this
    operation's."""
    _current.operation = operation_model


def masked_message(record: logging.LogRecord) -> str | None:
    """The text of one of botocore's body-, header- or signature-bearing
    records, masked; None for any other record."""
    if not record.name.startswith("botocore") or not isinstance(record.msg, str):
        return None
    args = record.args if isinstance(record.args, tuple) else ()
    template = record.msg
    if template.startswith("Making request for") and len(args) == 2:
        return f"Making request for {args[0]} with params: {_request(args[0], args[1])}"
    if template.startswith("Sending http request") and args:
        request: Any = args[0]
        return (
            f"Sending http request: <{type(request).__name__} method={request.method}, "
            f"url={_CREDENTIAL_TEXT.sub(_mask_credential, str(request.url))}, "
            f"headers={_headers(request.headers)}>"
        )
    if template.startswith("Response body") and args:
        return "Response body:\n" + _response_body(getattr(_current, "operation", None), args[0])
    if template.startswith("Response headers") and args:
        return f"Response headers: {_headers(args[0])}"
    if template.startswith(("CanonicalRequest", "String to sign", "StringToSign")) and args:
        return template % (_CREDENTIAL_TEXT.sub(_mask_credential, str(args[0])),)
    if template.startswith("Signature") and args:
        return template % (REDACTED,)
    return None


def _mask_credential(match: re.Match[str]) -> str:
    return f"{match.group(1)}{REDACTED}"


def _headers(headers: Any) -> str:
    try:
        items = list(headers.items())
    except AttributeError:
        return REDACTED
    return repr(
        {
            _text(k): REDACTED if _text(k).lower() in CREDENTIAL_HEADERS else _text(v)
            for k, v in items
        }
    )


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _secret_store(operation: Any) -> bool:
    service = operation.service_model.service_name
    return (service, operation.name) in SECRET_STORE_OPERATIONS


def _request(operation: Any, request: Any) -> str:
    if not isinstance(request, Mapping):
        return REDACTED
    shown = {k: request.get(k) for k in ("method", "url_path", "query_string") if k in request}
    shown["url_path"] = _CREDENTIAL_TEXT.sub(_mask_credential, str(shown.get("url_path", "")))
    if isinstance(shown.get("query_string"), Mapping):
        shown["query_string"] = _masked(operation.input_shape, shown["query_string"])
    shown["headers"] = _headers(request.get("headers", {}))
    shown["body"] = _body(operation, operation.input_shape, request.get("body"))
    return repr(shown)


def _response_body(operation: Any, body: Any) -> str:
    if operation is None:
        return "(not shown: not a response to a call made by reconcile)"
    return _body(operation, operation.output_shape, body)


def _body(operation: Any, shape: Any, body: Any) -> str:
    if not body:
        return repr(body)
    if _secret_store(operation):
        return "(not shown: it holds secret values)"
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return f"(not shown: {len(body)} bytes, not JSON)"
    return json.dumps(_masked(shape, data), ensure_ascii=False)


def _masked(shape: Any, data: Any) -> Any:
    """`data` (a JSON body of `shape`) with every secret member masked. Parts
    the model does not describe (an error body) are kept for `redact`."""
    if shape is None:
        return data
    if shape.type_name == "structure" and isinstance(data, dict):
        masked = dict(data)
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            if wire not in masked:
                continue
            secret = name in SECRET_MEMBERS or member.metadata.get("sensitive") is True
            masked[wire] = REDACTED if secret else _masked(member, masked[wire])
        return masked
    if shape.type_name == "list" and isinstance(data, list):
        return [_masked(shape.member, item) for item in data]
    if shape.type_name == "map" and isinstance(data, dict):
        return {k: _masked(shape.value, v) for k, v in data.items()}
    if shape.metadata.get("sensitive") is True:
        return REDACTED
    return data
