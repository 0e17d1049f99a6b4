"""Hostile and mistaken state files: each is one `FILE:LINE: message`, never a
traceback, a hang or a surprise (issue 11's crashes and clarity items)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reconciler.core.errors import ReconcilerError, StateErrors
from reconciler.core.state import load_state
from reconciler.core.yamlfile import MAX_DEPTH, load_document

FLOW = "lunora-player-prod-rtmp-router"
DEST = f"name: t\nflow: {FLOW}\nurl: udp://h.example.com:5000\n"


def errors_of(state: Path) -> list[str]:
    with pytest.raises(StateErrors) as caught:
        load_state(state)
    return [str(e) for e in caught.value.errors]


def one_error(state: Path, name: str, text: str | bytes, folder: str = "destinations") -> str:
    path = state / folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    (error,) = errors_of(state)
    return error.replace(str(path), "FILE")


# --- the YAML loader --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEST + 'description: !!int "abc"\n', "FILE:4: YAML tags (!!int)"),
        (DEST + "description: !!float x\n", "FILE:4: YAML tags (!!float)"),
        (DEST + "enabled: !!bool maybe\n", "FILE:4: YAML tags (!!bool)"),
        (DEST + "description: !!timestamp 2024-01-01\n", "FILE:4: YAML tags (!!timestamp)"),
        (DEST + 'x: !!python/object/apply:os.system ["true"]\n', "FILE:4: YAML tags (!!python"),
        (DEST + "description: !!str 5\n", "FILE:4: YAML tags (!!str)"),
        (DEST + "metadata: !!map {a: 1}\n", "FILE:4: YAML tags (!!map)"),
        (DEST + "description: !custom x\n", "FILE:4: YAML tags (!custom)"),
        (DEST + "<<: [1, 2]\n", "FILE:4: YAML merge keys (<<)"),
        (DEST + "<<: {description: merged}\n", "FILE:4: YAML merge keys (<<)"),
        (DEST + "metadata: &m {a: 1}\n", "FILE:4: YAML anchors (&name)"),
        (DEST + "x: *nope\n", "FILE:4: YAML aliases (*name)"),
        (DEST + "description: a\x01b\n", "FILE:4: control character U+0001 is not allowed"),
        (DEST + "description: 9" + "9" * 5000 + "\n", "FILE:4: number is too large"),
        (DEST + "description: 0x" + "f" * 5000 + "\n", "FILE:4: number is too large"),
        (DEST + "---\nname: second\n", "FILE:4: a state file holds one YAML document"),
        (DEST + "? [a]\n: 1\n", "FILE:4: keys must be strings"),
        (DEST + "1: x\n", "FILE:4: keys must be strings"),
    ],
)
def test_refused_yaml_features_are_one_line_at_their_line(state_dir, text, expected):
    assert one_error(state_dir, "t.yaml", text).startswith(expected)


def test_billion_laughs_is_refused_at_once(state_dir):
    lol = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    started = time.monotonic()
    error = one_error(state_dir, "t.yaml", DEST + lol)
    assert error.startswith("FILE:4: YAML anchors (&name) are not allowed")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, "{a: " * 5000 + "1" + "}" * 5000])
def test_deep_nesting_is_refused_at_the_cap(state_dir, nested):
    error = one_error(state_dir, "t.yaml", DEST + f"metadata: {nested}\n")
    assert error == f"FILE:4: nested more than {MAX_DEPTH} levels deep"


def test_nesting_at_the_cap_is_still_read(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    value = load_document(path).data["a"]
    for _ in range(MAX_DEPTH - 2):
        (value,) = value
    assert value == []


def test_self_referencing_alias_is_refused(state_dir):
    assert one_error(state_dir, "t.yaml", DEST + "x: &a [*a]\n").startswith(
        "FILE:4: YAML anchors (&name)"
    )


def test_file_over_one_mebibyte_is_refused_unread(state_dir):
    error = one_error(state_dir, "t.yaml", DEST + "description: " + "x" * (1 << 20) + "\n")
    assert error == "FILE:1: file is larger than 1024 KiB"


def test_invalid_utf8_names_its_line(state_dir):
    assert one_error(state_dir, "t.yaml", DEST.encode() + b"description: \xff\n") == (
        "FILE:4: invalid UTF-8: state files are UTF-8 text"
    )


def test_line_numbers_survive_comments_and_blank_lines(state_dir):
    text = f"# c\n\nname: t\n# c\nflow: {FLOW}\nurl: udp://h.example.com:5000\n\nenabled: maybe\n"
    assert one_error(state_dir, "t.yaml", text) == "FILE:8: enabled: must be of type boolean"


def test_implicit_dates_stay_text(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 2024-05-01\nb: 12\nc: true\nd: ~\ne: 1.5\n")
    assert load_document(path).data == {"a": "2024-05-01", "b": 12, "c": True, "d": None, "e": 1.5}


# --- files that are not files -------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is a directory, not a YAML file"),
        (lambda p: p.symlink_to(p.parent / "nowhere.yaml"), "dangling symbolic link"),
        (lambda p: p.symlink_to(p), "symbolic link loop"),
        (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
        (lambda p: os.mkfifo(p), "is not a regular file"),
    ],
)
@pytest.mark.parametrize("folder", ["flows", "destinations"])
def test_names_that_are_not_files_are_one_error(state_dir, make, message, folder):
    path = state_dir / folder / "x.yaml"
    make(path)
    assert errors_of(state_dir) == [f"{path}:1: {message}"]


def test_plan_reports_them_too_before_any_aws_call(state_dir, sandbox, aws_calls):
    from reconciler.app.planning import compute_plan
    from reconciler.aws import Aws

    (state_dir / "destinations" / "x.yaml").mkdir()
    (state_dir / "flows" / "loop.yaml").symlink_to(state_dir / "flows" / "loop.yaml")
    with pytest.raises(StateErrors) as caught:
        compute_plan(state_dir, Aws(), {})
    assert [e.message for e in caught.value.errors] == [
        "is a directory, not a YAML file",
        "symbolic link loop",
    ]
    assert aws_calls.calls == []


def test_no_flows_folder_is_one_error_line(state_dir):
    for path in (state_dir / "flows").iterdir():
        path.unlink()
    with pytest.raises(ReconcilerError, match="flows: no flow files") as caught:
        load_state(state_dir)
    assert not isinstance(caught.value, StateErrors)


# --- the state loader ---------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            "{RtmpPushSettings: x}",
            "FILE:4: AWS would reject this output: settings.RtmpPushSettings: expected an "
            "object, got a string",
        ),
        (
            "{Protocol: {a: 1}}",
            "FILE:4: AWS would reject this output: settings.Protocol: expected a string, "
            "got an object",
        ),
        ("{Portt: 5}", "FILE:4: settings.Portt: not an AddFlowOutputs output field (did you mean "),
        (
            "{MediaStreamOutputConfigurations: [{a: 1}]}",
            "FILE:4: AWS would reject this output: settings.MediaStreamOutputConfigurations[0]",
        ),
    ],
)
def test_settings_of_the_wrong_shape_are_one_error(state_dir, settings, expected):
    assert one_error(state_dir, "t.yaml", DEST + f"settings: {settings}\n").startswith(expected)


@pytest.mark.parametrize(
    "url", ["srt://h:9000?latency=²", "srt://h:9000?latency=\u0663", "rtmp://h:\uff11\uff19/app"]
)
def test_non_ascii_digits_in_urls_are_errors(state_dir, url):
    text = f"name: t\nflow: {FLOW}\nurl: '{url}'\nstream_key: {{env: K}}\n"
    assert one_error(state_dir, "t.yaml", text).startswith("FILE:3: url: ")


def test_url_with_a_line_break_is_an_error(state_dir):
    text = f'name: t\nflow: {FLOW}\nurl: "rtmp://h.example.com/app\\n"\nstream_key: {{env: K}}\n'
    assert one_error(state_dir, "t.yaml", text) == (
        "FILE:3: url: URL contains spaces, line breaks or control characters"
    )


def test_unknown_key_points_at_itself_with_a_suggestion(state_dir):
    text = DEST + "enabeld: false\n"
    assert one_error(state_dir, "t.yaml", text) == (
        "FILE:4: enabeld: unknown key (did you mean `enabled`?)"
    )


def test_unknown_key_in_a_nested_block(state_dir):
    (state_dir / "destinations" / "t.yaml").write_text(
        DEST + "encryption:\n  secret_arn: x\n  rol_arn: y\n"
    )
    errors = errors_of(state_dir)
    assert any(
        ":6: encryption.rol_arn: unknown key (did you mean `role_arn`?)" in e for e in errors
    )


def test_stream_key_errors_point_at_stream_key(state_dir):
    text = f"name: t\nflow: {FLOW}\nurl: rtmp://h.example.com/app\nplatform: x\nstream_key: k\n"
    assert one_error(state_dir, "t.yaml", text).startswith("FILE:5: stream_key: ")
    text = f"name: t\nflow: {FLOW}\nplatform: x\nurl: rtmp://h.example.com/app\n"
    assert one_error(state_dir, "t.yaml", text).startswith("FILE:4: stream_key: RTMP")


def test_one_bad_flow_file_is_one_error(state_dir):
    flow = state_dir / "flows" / f"{FLOW}.yaml"
    flow.write_text(f"name: {FLOW}\nregion: us-west-2\nprune: maybe\n")
    assert errors_of(state_dir) == [f"{flow}:3: prune: must be of type boolean"]
    flow.write_text(f"name: {FLOW}\nregion: [unclosed\n")
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{flow}:")


def test_a_flow_that_is_really_missing_is_still_reported(state_dir):
    (state_dir / "flows" / "other.yaml").write_text("name: other\nregion: us-west-2\nprune: 1\n")
    text = "name: t\nflow: nope\nurl: udp://h.example.com:5000\n"
    (state_dir / "destinations" / "t.yaml").write_text(text)
    errors = errors_of(state_dir)
    assert len(errors) == 2 and any("flow 'nope' is not defined" in e for e in errors)


@pytest.mark.parametrize(
    ("region", "hint"),
    [("us-west-9", "did you mean"), ("US-West-2", "did you mean 'us-west-2'"), ("mars-1", "")],
)
def test_unknown_region_is_a_validate_error(state_dir, region, hint):
    flow = state_dir / "flows" / f"{FLOW}.yaml"
    flow.write_text(f"name: {FLOW}\nprune: false\nregion: {region}\n")
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{flow}:3: region: {region!r} is not an AWS Region") and hint in error


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])
def test_every_partition_region_is_accepted(state_dir, region):
    flow = state_dir / "flows" / f"{FLOW}.yaml"
    flow.write_text(f"name: {FLOW}\nregion: {region}\n")
    assert load_state(state_dir).flows[FLOW].region == region


def test_hls_guard_region_is_checked_too(state_dir):
    flow = state_dir / "flows" / f"{FLOW}.yaml"
    flow.write_text(
        f"name: {FLOW}\nregion: us-west-2\nhls_guard:\n  medialive_channel_id: '1'\n"
        "  mediapackage_channel_id: p\n  region: eu-west-9\n"
    )
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{flow}:6: hls_guard.region: 'eu-west-9' is not an AWS Region")


@pytest.mark.parametrize("name", ['"custom-rtmp\\n"', '" x"', '"x "', "a" * 129, "é", "x:y"])
def test_names_follow_mediaconnect_rules_exactly(state_dir, name):
    text = f"name: {name}\nflow: {FLOW}\nurl: udp://h.example.com:5000\n"
    assert one_error(state_dir, "t.yaml", text).startswith(
        "FILE:1: name: must be a MediaConnect name"
    )


@pytest.mark.parametrize("entry", ["' hand-made'", '"custom-rtmp\\n"', "''"])
def test_protected_entries_follow_the_same_rules(state_dir, entry):
    flow = state_dir / "flows" / f"{FLOW}.yaml"
    flow.write_text(f"name: {FLOW}\nregion: us-west-2\nprotected:\n  - ok-name\n  - {entry}\n")
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{flow}:5: protected.1: must be a MediaConnect name")


def test_stream_key_reference_with_a_trailing_newline_is_refused(state_dir):
    text = DEST.replace("udp://h.example.com:5000", "rtmp://h.example.com/app") + (
        'stream_key: {ssm: "/lunora/key\\n"}\n'
    )
    assert one_error(state_dir, "t.yaml", text).startswith("FILE:4: stream_key: must be one")
