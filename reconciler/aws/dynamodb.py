"""DynamoDB: the legacy destinations table, read whole and patched in place.

Three operations only: DescribeTable (the key schema, so a row can be
addressed), Scan (every page) and UpdateItem (SET of named attributes, only on
a row that exists). Nothing here puts or deletes an item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reconciler.aws.clients import Clients
from reconciler.core.errors import AwsError

SERVICE = "dynamodb"


@dataclass(frozen=True)
class Item:
    """One row: `values` in YAML's own types (see `plain`), `raw` as DynamoDB sent
    it (typed, for addressing the row)."""

    values: Mapping[str, Any]
    raw: Mapping[str, Any]


class DynamoDb:
    def __init__(self, clients: Clients | None = None) -> None:
        self._clients = clients or Clients()

    def key_names(self, region: str, table: str) -> tuple[str, ...]:
        """The table's primary key attributes (partition key first)."""
        response = self._clients.call(SERVICE, region, "DescribeTable", TableName=table)
        schema = sorted(response["Table"]["KeySchema"], key=lambda k: k["KeyType"] != "HASH")
        return tuple(k["AttributeName"] for k in schema)

    def scan(self, region: str, table: str) -> list[Item]:
        """Every row of `table` (Scan, all pages, eventually consistent)."""
        pages = self._clients.pages(SERVICE, region, "Scan", TableName=table)
        return [
            Item({k: plain(decode(v)) for k, v in raw.items()}, raw)
            for page in pages
            for raw in page.get("Items", [])
        ]

    def set_attributes(
        self,
        region: str,
        table: str,
        *,
        key: Mapping[str, Any],
        attributes: Mapping[str, str],
    ) -> bool:
        """UpdateItem SET `attributes` (strings) on the row with `key`; the row's
        other attributes are untouched. Returns False, changing nothing, if the
        row no longer exists: UpdateItem would otherwise create it."""
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":v{i}": {"S": value} for i, value in enumerate(attributes.values())}
        first_key = next(iter(key))
        try:
            self._clients.call(
                SERVICE,
                region,
                "UpdateItem",
                TableName=table,
                Key=dict(key),
                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names))),
                ConditionExpression="attribute_exists(#k)",
                ExpressionAttributeNames={**names, "#k": first_key},
                ExpressionAttributeValues=values,
            )
        except AwsError as e:
            if e.code == "ConditionalCheckFailedException":
                return False
            raise
        return True


def decode(value: Mapping[str, Any]) -> Any:
    """A DynamoDB AttributeValue (`{"N": "1.5"}`) in Python types. Numbers
    become Decimal (exact), sets frozenset, binary bytes."""
    ((kind, data),) = value.items()
    match kind:
        case "S" | "B":
            return data
        case "N":
            return Decimal(data)
        case "BOOL":
            return bool(data)
        case "NULL":
            return None
        case "SS" | "BS":
            return frozenset(data)
        case "NS":
            return frozenset(Decimal(n) for n in data)
        case "L":
            return [decode(v) for v in data]
        case "M":
            return {k: decode(v) for k, v in data.items()}
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def plain(value: Any) -> Any:
    """A DynamoDB value in YAML's own types, faithfully: integral numbers as int,
    others as float when that is exact and as a decimal string when not; sets
    as sorted lists; binary as bytes (YAML !!binary)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=lambda v: (str(type(v)), v))
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
