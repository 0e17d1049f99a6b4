"""The Markdown plan as a reviewer reads it on GitHub: in a pull request comment,
a drift issue or a job summary, where a body over 65,536 characters is refused."""

import re
from pathlib import Path

from reconciler.core.errors import Location
from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput
from reconciler.core.outputs import parse_url
from reconciler.core.planner import plan
from reconciler.core.secrets import Secret
from reconciler.render import plan as render

KEY = "md-secret-key-9876"
AT = Location(Path("d.yaml"), 1)


def fields(url, key=KEY, **extra):
    return {
        "Description": "",
        "OutputStatus": "ENABLED",
        **parse_url(url).fields,
        "RtmpPushSettings.StreamName": Secret(key),
        **extra,
    }


def flow_plan(flows):
    """flows: {name: (desired outputs, live outputs)} -> Plan."""
    specs = [FlowSpec(name, "eu-west-1", Location(Path(f"{name}.yaml"), 1)) for name in flows]
    desired = [d for want, _ in flows.values() for d in want]
    observed = {
        name: LiveFlow(name, f"arn:{name}", "eu-west-1", "ACTIVE", tuple(live))
        for name, (_, live) in flows.items()
    }
    return plan(specs, desired, observed)


def big_plan(n_flows=12, per_flow=50):
    """Hundreds of additions with long descriptions: far over one comment."""
    return flow_plan(
        {
            f"flow-{f:02d}": (
                [
                    DesiredOutput(
                        f"out-{i:02d}",
                        f"flow-{f:02d}",
                        AT,
                        fields(f"rtmps://ingest-{i}.example.com/live", Description="d" * 200),
                    )
                    for i in range(per_flow)
                ],
                [],
            )
            for f in range(n_flows)
        }
    )


def shown_outputs(md):
    """(flow, output) of every change with a row in the Markdown."""
    shown, flow = set(), None
    for line in md.splitlines():
        if m := re.match(r"<details[^>]*><summary><b>([^<]+)</b>", line):
            flow = m[1]
        elif m := re.match(r"\| [^|]* \| `([^`]+)` \|", line):
            shown.add((flow, m[1]))
    return shown


def test_summary_first_then_one_collapsible_section_per_flow():
    p = flow_plan(
        {
            "busy": (
                [DesiredOutput("new", "busy", AT, fields("rtmps://a.example.com/live"))],
                [LiveOutput("theirs", "arn:o", fields("rtmp://e.example.com/app"), managed=False)],
            ),
            "quiet": ([], []),
        }
    )
    md = render.markdown(p)
    assert md.splitlines()[0] == "**Plan: 1 to add, 0 to update, 0 to replace, 0 to remove.**"
    assert md.count("<details") == md.count("</details>") == 2
    # A flow with changes is open; one without is collapsed.
    assert "<details open><summary><b>busy</b> (eu-west-1): 1 add</summary>" in md
    assert "<details><summary><b>quiet</b> (eu-west-1): no changes</summary>" in md
    assert "- unmanaged `theirs`: left alone" in md
    assert "Cut here" not in md


def test_stream_keys_are_redacted_and_a_replace_warns_of_the_interruption():
    live = [
        LiveOutput("rotated", "arn:o1", fields("rtmp://b.example.com/app"), managed=True),
        LiveOutput("moved", "arn:o2", fields("rtmp://c.example.com/app"), managed=True),
    ]
    desired = [
        DesiredOutput("new", "f", AT, fields("rtmps://a.example.com/live")),
        DesiredOutput("rotated", "f", AT, fields("rtmp://b.example.com/app", key=KEY + "-2")),
        DesiredOutput(
            "moved",
            "f",
            AT,
            {"Description": "", "OutputStatus": "ENABLED", **parse_url("srt://h:9000").fields},
        ),
    ]
    md = render.markdown(flow_plan({"f": (desired, live)}))
    assert KEY not in md
    assert "| `RtmpPushSettings.StreamName` | (sensitive) changed |" in md
    assert "| `RtmpPushSettings.StreamName` | (sensitive) |" in md  # the added output's key
    assert "± replace<br><sub>removed, then added again: this destination alone is briefly" in md


def test_text_from_the_files_cannot_break_the_table_or_the_html():
    desired = [
        DesiredOutput(
            "o",
            "f",
            AT,
            fields("rtmp://b.example.com/app", Description="</details> | <b>x</b>\nnext"),
        )
    ]
    live = [LiveOutput("o", "arn:o", fields("rtmp://b.example.com/app"), managed=True)]
    md = render.markdown(flow_plan({"f": (desired, live)}))
    assert md.count("</details>") == 1
    assert '"" → &lt;/details&gt; \\| &lt;b&gt;x&lt;/b&gt; next |' in md


def test_a_plan_too_big_for_a_comment_is_cut_between_changes_with_a_note():
    p = big_plan()
    total = len(p.changes)
    full = render.markdown(p, limit=10**9)
    assert len(full.encode()) > 4 * render.GITHUB_BODY_LIMIT  # really too big

    md = render.markdown(p)
    # Room is left for the sticky comment's marker and a header.
    assert len(md.encode()) <= render.MARKDOWN_LIMIT <= render.GITHUB_BODY_LIMIT - 4000
    shown = shown_outputs(md)
    assert 0 < len(shown) < total
    assert (
        f"> **Cut here:** {total - len(shown)} of {total} changes are not shown, to stay "
        "within GitHub's 65,536-character limit. The workflow run's job summary and artifacts "
        "hold the full plan."
    ) in md
    # Cut cleanly: every section closed, every row whole, every shown change complete
    # (an addition shows Protocol, Destination, Port, application, key, TLS, status
    # and description: eight rows).
    assert md.count("<details") == md.count("</details>")
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(line.endswith(" |") and line.count(" | ") == 3 for line in rows)
    assert len(rows) - md.count(render.MD_TABLE_HEAD[0]) == 8 * len(shown)
    assert KEY not in md


def test_the_limit_is_exact():
    p = big_plan(n_flows=2, per_flow=3)
    full = render.markdown(p, limit=10**9)
    size = len(full.encode())
    assert render.markdown(p, limit=size) == full
    cut = render.markdown(p, limit=size - 1)
    assert len(cut.encode()) <= size - 1
    assert "Cut here:** 1 of 6 changes" in cut
    assert shown_outputs(cut) == shown_outputs(full) - {("flow-01", "out-02")}


def test_a_section_that_cannot_hold_one_change_is_left_out_whole():
    p = big_plan(n_flows=2, per_flow=1)
    cut = render.markdown(p, limit=len(render.markdown(p).encode()) - 1)
    assert "Cut here:** 1 of 2 changes" in cut
    assert shown_outputs(cut) == {("flow-00", "out-00")}
    assert "flow-01" not in cut
    assert cut.count("<details") == cut.count("</details>")
