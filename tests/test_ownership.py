"""The ownership manifest in the flow's tags (docs/ownership.md), end to end against
the sandbox: a plan reads two MediaConnect resources per flow, whatever the number of
outputs, and ownership stays exactly as correct as with one tag read per output."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconciler.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def output_id(arn: str) -> str:
    return arn.split(":")[6]


def manifest(sandbox, flow_arn: str, prefix: str = "reconciler:owned:") -> set[str]:
    tags = sandbox.tags(flow_arn)
    return {i for k, v in tags.items() if k.startswith(prefix) for i in v.split()}


def mediaconnect_reads(aws_calls) -> list[str]:
    return sorted(
        op for service, op in aws_calls.calls if service == "mediaconnect" and op != "TagResource"
    )


@pytest.fixture
def applied(sandbox, state_dir, stream_keys) -> str:
    """The example flow with its four outputs made by apply."""
    flow_arn = sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    return flow_arn


def test_an_in_sync_plan_reads_the_flow_and_its_tags_only(state_dir, sandbox, applied, aws_calls):
    owned = {output_id(o["OutputArn"]) for o in sandbox.outputs(applied).values()}
    assert manifest(sandbox, applied) == owned
    aws_calls.clear()
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 0
    # one ListFlows (the example flow file has no arn:), one DescribeFlow, one ListTags
    assert mediaconnect_reads(aws_calls) == ["DescribeFlow", "ListFlows", "ListTagsForResource"]


def test_a_deleted_destination_is_removed_and_leaves_the_manifest(
    state_dir, sandbox, applied, aws_calls
):
    gone = sandbox.outputs(applied)["linkedin"]["OutputArn"]
    (state_dir / "destinations" / "linkedin.yaml").unlink()
    aws_calls.clear()
    plan = run("plan", "--state", str(state_dir))
    assert "- remove   linkedin" in plan.stdout
    assert aws_calls.named("ListTagsForResource") == 1  # the flow's, not the output's
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert "linkedin" not in sandbox.outputs(applied)
    assert output_id(gone) not in manifest(sandbox, applied)


def test_a_hand_made_output_is_checked_once_then_known_and_never_removed(
    state_dir, sandbox, applied, aws_calls
):
    made = sandbox.add_hand_made_output(applied)
    aws_calls.clear()
    plan = run("plan", "--state", str(state_dir), "--detailed-exitcode")
    assert plan.exit_code == 0
    assert aws_calls.named("ListTagsForResource") == 2  # the flow, and the stranger's own
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert manifest(sandbox, applied, "reconciler:unowned:") == {output_id(made["OutputArn"])}
    aws_calls.clear()
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 0
    assert aws_calls.named("ListTagsForResource") == 1  # now known as not ours
    assert "hand-made" in sandbox.outputs(applied)


def test_a_same_named_stranger_is_not_taken_for_the_output_we_owned(
    state_dir, sandbox, applied, aws_calls
):
    """Ids, not names: an output removed behind our back and made again by hand
    under the same name is someone else's, so deleting its file removes nothing."""
    ours = sandbox.outputs(applied)["restream"]["OutputArn"]
    sandbox.client.remove_flow_output(FlowArn=applied, OutputArn=ours)
    sandbox.add_hand_made_output(applied, name="restream")
    (state_dir / "destinations" / "restream.yaml").unlink()
    plan = run("plan", "--state", str(state_dir), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert "restream" in sandbox.outputs(applied)


def test_a_lost_manifest_is_rebuilt_from_the_outputs_own_tags(
    state_dir, sandbox, applied, aws_calls
):
    owned = manifest(sandbox, applied)
    sandbox.client.untag_resource(ResourceArn=applied, TagKeys=list(sandbox.tags(applied)))
    aws_calls.clear()
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 0
    assert aws_calls.named("ListTagsForResource") == 1 + 4  # the flow, then each output
    (state_dir / "destinations" / "youtube-main.yaml").unlink()
    assert "- remove   youtube-main" in run("plan", "--state", str(state_dir)).stdout
    aws_calls.clear()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert aws_calls.writes() == ["RemoveFlowOutput", "TagResource"]
    left = {output_id(o["OutputArn"]) for o in sandbox.outputs(applied).values()}
    assert manifest(sandbox, applied) == owned & left and len(left) == 3


def test_a_flow_without_room_for_the_manifest_keeps_per_output_reads(
    state_dir, sandbox, stream_keys, aws_calls
):
    flow_arn = sandbox.create_flow()
    sandbox.client.tag_resource(ResourceArn=flow_arn, Tags={f"team:{i}": "x" for i in range(50)})
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert aws_calls.writes() == ["AddFlowOutputs"]  # no room: the flow is not tagged
    aws_calls.clear()
    (state_dir / "destinations" / "linkedin.yaml").unlink()
    assert "- remove   linkedin" in run("plan", "--state", str(state_dir)).stdout
    assert aws_calls.named("ListTagsForResource") == 1 + 4
