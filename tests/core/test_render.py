"""Renderers: what a reviewer reads, and never a secret."""

import json
from pathlib import Path

from reconciler.core.errors import Location
from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput
from reconciler.core.outputs import parse_url
from reconciler.core.planner import plan
from reconciler.core.secrets import Secret
from reconciler.render import plan as render

KEY = "super-secret-key-1234"


def fields(url, key=KEY, **extra):
    return {
        "Description": "",
        "OutputStatus": "ENABLED",
        **parse_url(url).fields,
        "RtmpPushSettings.StreamName": Secret(key),
        **extra,
    }


def sample_plan():
    spec = FlowSpec("router", "us-west-2", Location(Path("f.yaml"), 1))
    at = Location(Path("d.yaml"), 1)
    desired = [
        DesiredOutput("new", "router", at, fields("rtmps://a.example.com/live")),
        DesiredOutput(
            "rotated",
            "router",
            at,
            fields("rtmp://b.example.com/app", key=KEY + "-v2", Description="a | b"),
        ),
        DesiredOutput(
            "moved",
            "router",
            at,
            {
                "Description": "",
                "OutputStatus": "ENABLED",
                **parse_url("srt://203.0.113.1:9000?streamid=x").fields,
            },
        ),
    ]
    live = LiveFlow(
        "router",
        "arn:flow",
        "us-west-2",
        "ACTIVE",
        (
            LiveOutput("rotated", "arn:o1", fields("rtmp://b.example.com/app"), managed=True),
            LiveOutput("moved", "arn:o2", fields("rtmp://c.example.com/app"), managed=True),
            LiveOutput("gone", "arn:o3", fields("rtmp://d.example.com/app"), managed=True),
            LiveOutput("theirs", "arn:o4", fields("rtmp://e.example.com/app"), managed=False),
        ),
    )
    return plan([spec], desired, {"router": live})


def test_no_renderer_prints_a_stream_key():
    p = sample_plan()
    for name, renderer in render.RENDERERS.items():
        assert KEY not in renderer(p), name


def test_text_marks_each_action_and_the_interruption_of_a_replace():
    text = render.text(sample_plan())
    assert "+ add      new" in text
    assert "~ update   rotated" in text
    assert "RtmpPushSettings.StreamName  (sensitive) changed" in text
    assert "± replace  moved" in text and "briefly interrupted" in text
    assert "- remove   gone" in text
    assert "· unmanaged theirs (left alone)" in text
    assert text.rstrip().endswith("Plan: 1 to add, 1 to update, 1 to replace, 1 to remove.")


def test_json_is_one_document_with_summary_and_changes():
    doc = json.loads(render.as_json(sample_plan()))
    assert doc["summary"] == {"add": 1, "update": 1, "replace": 1, "remove": 1, "adopt": 0}
    actions = {c["output"]: c["action"] for c in doc["changes"]}
    assert actions == {"new": "add", "rotated": "update", "moved": "replace", "gone": "remove"}
    rotated = next(c for c in doc["changes"] if c["output"] == "rotated")
    assert {"field": "Description", "before": "", "after": "a | b"} in rotated["fields"]
    assert doc["unmanaged"] == [{"flow": "router", "output": "theirs"}]


def test_markdown_escapes_table_cells():
    md = render.markdown(sample_plan())
    assert md.startswith("**Plan: 1 to add, 1 to update, 1 to replace, 1 to remove.**")
    assert '"" → a \\| b' in md
    assert (
        "<details open><summary><b>router</b> (us-west-2): 1 add, 1 update, 1 replace, 1 remove</summary>"
        in md
    )


def test_secret_has_no_printable_form():
    secret = Secret(KEY)
    assert KEY not in f"{secret} {secret!r} {secret:>30} {[secret]} { ({'k': secret}) }"
    try:
        json.dumps(secret)
    except TypeError:
        pass
    else:
        raise AssertionError("a Secret must not serialise")
