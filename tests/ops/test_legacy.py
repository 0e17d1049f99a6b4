"""`apply --sync-table`: the legacy table learns where each destination now
lives, so the old dashboard keeps working. Against moto's DynamoDB beside the
MediaConnect sandbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.aws.dynamodb import DynamoDb
from tests.conftest import FLOW_NAME, REGION
from tests.ops.conftest import TABLE, legacy_row, rows, run

pytestmark = pytest.mark.usefixtures("aws_calls")

SYNCED = {"mediaconnect_output_arn", "output_type", "last_mediaconnect_sync"}
KEYS = {"d-001": "yt-sync-1a2b-3c4d", "d-002": "re_1111111_aaaaaaaa"}


def write_destination(state: Path, name: str, url: str, key: str) -> None:
    (state / "destinations" / f"{name}.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/destination.schema.json\n"
        f"name: {name}\nflow: {FLOW_NAME}\nurl: {url}\nstream_key: {{ssm: {key}}}\n"
    )


@pytest.fixture
def migrated(sandbox, table, empty_state) -> Path:
    """A flow, the legacy table, and state imported from it (keys in SSM), plus
    two hand-written destinations: one the table names, one it does not know."""
    sandbox.create_flow()
    table(
        legacy_row("d-001", "YouTube Main", "rtmps://a.rtmps.youtube.com:443/live2"),
        legacy_row("d-002", "restream", "rtmp://live.restream.io/live", viewers={"N": "42"}),
        legacy_row("d-003", "partner", None),  # no URL: not imported, matched by name later
        legacy_row("d-004", "retired", None, enabled={"BOOL": False}),
    )
    for row_id, key in KEYS.items():
        sandbox.put_key(f"/lunora/streaming/{row_id}/stream-key", key)
    sandbox.put_key("/lunora/streaming/d-003/stream-key", "partner-key-5566")
    imported = run(
        "import", "--from-dynamodb", TABLE, "--flow", FLOW_NAME, "--state", str(empty_state)
    )
    assert imported.exit_code == 0, imported.output
    write_destination(
        empty_state,
        "partner",
        "rtmp://partner.example.com/live",
        "/lunora/streaming/d-003/stream-key",
    )
    write_destination(
        empty_state,
        "orphan",
        "rtmp://orphan.example.com/live",
        "/lunora/streaming/d-003/stream-key",
    )
    return empty_state


def test_applied_outputs_are_written_back_to_their_rows(sandbox, dynamodb, migrated, aws_calls):
    before = rows(dynamodb)
    flow_arn = sandbox.client.list_flows()["Flows"][0]["FlowArn"]
    aws_calls.clear()

    result = run("apply", "--state", str(migrated), "--auto-approve", "--sync-table", TABLE)

    assert result.exit_code == 0, result.output
    table_calls = [op for service, op in aws_calls.calls if service == "dynamodb"]
    assert table_calls == ["DescribeTable", "Scan", "UpdateItem", "UpdateItem", "UpdateItem"]
    after = rows(dynamodb)
    live = sandbox.outputs(flow_arn)
    for row_id, output in (("d-001", "youtube-main"), ("d-002", "restream"), ("d-003", "partner")):
        row = after[row_id]
        assert row["mediaconnect_output_arn"] == {"S": live[output]["OutputArn"]}
        assert row["output_type"] == {"S": "mediaconnect"}
        stamp = row["last_mediaconnect_sync"]["S"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
        synced = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - synced) < timedelta(minutes=1)
        assert {k: v for k, v in row.items() if k not in SYNCED} == before[row_id]
        assert f"✓ {output} → row destination_id={row_id}" in result.stdout
    assert after["d-004"] == before["d-004"]
    assert "· orphan: no row with name 'orphan'; none created" in result.stdout
    assert set(after) == set(before)


def test_an_update_syncs_the_live_arn_again(sandbox, dynamodb, migrated):
    run("apply", "--state", str(migrated), "--auto-approve")
    assert "mediaconnect_output_arn" not in rows(dynamodb)["d-002"]
    restream = migrated / "destinations" / "restream.yaml"
    restream.write_text(restream.read_text().replace("enabled: true", "enabled: false"))

    result = run("apply", "--state", str(migrated), "--auto-approve", "--sync-table", TABLE)

    assert result.exit_code == 0, result.output
    assert "~ update   restream" in result.stdout
    flow_arn = sandbox.client.list_flows()["Flows"][0]["FlowArn"]
    row = rows(dynamodb)["d-002"]
    assert row["mediaconnect_output_arn"]["S"] == sandbox.outputs(flow_arn)["restream"]["OutputArn"]
    assert "mediaconnect_output_arn" not in rows(dynamodb)["d-001"]  # not part of this apply


def test_rows_sharing_a_name_are_reported_not_guessed(sandbox, table, dynamodb, migrated):
    table(legacy_row("d-005", "partner", None))

    result = run("apply", "--state", str(migrated), "--auto-approve", "--sync-table", TABLE)

    assert result.exit_code == 0
    assert "· partner: 2 rows have name 'partner'; none updated" in result.stdout
    assert all("mediaconnect_output_arn" not in rows(dynamodb)[i] for i in ("d-003", "d-005"))


def test_a_missing_table_is_one_line_after_the_apply_report(sandbox, migrated):
    result = run(
        "apply", "--state", str(migrated), "--auto-approve", "--sync-table", "no-such-table"
    )

    assert result.exit_code == 1
    assert "Apply complete: 4 done, 0 failed, 0 skipped." in result.stdout
    assert result.stderr.startswith("error: DescribeTable failed: ResourceNotFoundException")
    assert result.stderr.count("\n") == 1


def test_a_row_deleted_meanwhile_is_not_created_again(sandbox, table, dynamodb):
    table(legacy_row("d-001", "gone", None))
    dynamodb.delete_item(TableName=TABLE, Key={"destination_id": {"S": "d-001"}})

    updated = DynamoDb().set_attributes(
        REGION,
        TABLE,
        key={"destination_id": {"S": "d-001"}},
        attributes={"output_type": "mediaconnect"},
    )

    assert updated is False
    assert rows(dynamodb) == {}
