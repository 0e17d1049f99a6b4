"""Loading state/: every mistake is one line naming its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.errors import ReconcilerError, StateErrors
from reconciler.core.secrets import SsmRef
from reconciler.core.state import load_state

FLOW = "lunora-player-prod-rtmp-router"


def write(state: Path, name: str, text: str, folder: str = "destinations") -> Path:
    path = state / folder / name
    path.write_text(text)
    return path


def errors_of(state: Path) -> list[str]:
    with pytest.raises(StateErrors) as caught:
        load_state(state)
    return [str(e) for e in caught.value.errors]


def test_example_state_loads_into_typed_records(state_dir):
    state = load_state(state_dir)
    assert list(state.flows) == [FLOW]
    flow = state.flows[FLOW]
    assert (flow.region, flow.prune, flow.protected) == ("us-west-2", False, frozenset())
    names = sorted(d.name for d in state.destinations)
    assert names == ["custom-rtmp", "linkedin", "restream", "youtube-main"]
    youtube = next(d for d in state.destinations if d.name == "youtube-main")
    assert youtube.stream_key == SsmRef("/lunora/streaming/youtube-main/stream-key")
    assert youtube.fields["Description"] == "Main YouTube channel"
    assert youtube.location.line == 2


def test_yaml_syntax_error_names_file_and_line(state_dir):
    path = write(state_dir, "bad.yaml", "name: x\nflow: [unclosed\n")
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{path}:3: invalid YAML")


def test_unknown_field_is_reported_at_its_line(state_dir):
    path = write(
        state_dir,
        "typo.yaml",
        f"name: t\nflow: {FLOW}\nurl: rtmp://h/app\nstream_key: {{env: K}}\nenabeld: false\n",
    )
    assert errors_of(state_dir) == [f"{path}:5: enabeld: unknown key (did you mean `enabled`?)"]


def test_wrong_type_is_reported_at_the_field(state_dir):
    path = write(
        state_dir,
        "t.yaml",
        f"name: t\nflow: {FLOW}\nurl: rtmp://h/app\nstream_key: {{env: K}}\nenabled: maybe\n",
    )
    assert errors_of(state_dir) == [f"{path}:5: enabled: must be of type boolean"]


def test_literal_stream_key_is_refused_without_echoing_it(state_dir):
    path = write(
        state_dir,
        "lit.yaml",
        f"name: lit\nflow: {FLOW}\nurl: rtmp://h/app\nstream_key: abcd_efgh_ijkl_mnop\n",
    )
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{path}:4: stream_key:")
    assert "{ssm:" in error and "SecureString" in error
    assert "abcd_efgh" not in error


def test_stream_key_inside_settings_is_refused(state_dir):
    write(
        state_dir,
        "lit.yaml",
        f"name: lit\nflow: {FLOW}\nurl: rtmp://h/app\nstream_key: {{env: K}}\n"
        "settings:\n  RtmpPushSettings:\n    StreamName: abcd_efgh\n",
    )
    (error,) = errors_of(state_dir)
    assert ":7:" in error and "must not be written" in error and "abcd_efgh" not in error


def test_missing_required_field(state_dir):
    path = write(state_dir, "noflow.yaml", "name: x\nurl: rtmp://h/app\n")
    assert errors_of(state_dir) == [f"{path}:1: `flow` is a required property"]


def test_destination_must_name_an_existing_flow(state_dir):
    path = write(
        state_dir, "x.yaml", "name: x\nflow: nope\nurl: rtmp://h/app\nstream_key: {env: K}\n"
    )
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{path}:2: flow 'nope' is not defined")


def test_output_names_are_unique_per_flow(state_dir):
    path = write(
        state_dir,
        "zz-dupe.yaml",
        f"name: restream\nflow: {FLOW}\nurl: rtmp://h/app\nstream_key: {{env: K}}\n",
    )
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{path}:1: output name 'restream' is already used")
    assert "restream.yaml" in error


def test_flow_names_are_unique(state_dir):
    path = write(state_dir, "zz.yaml", f"name: {FLOW}\nregion: eu-west-1\n", folder="flows")
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{path}:1: flow '{FLOW}' is already defined")


def test_bad_url_is_reported_at_the_url_line(state_dir):
    path = write(
        state_dir,
        "u.yaml",
        f"name: u\nflow: {FLOW}\nurl: rtmp://host.example.com:70000/live\nstream_key: {{env: K}}\n",
    )
    (error,) = errors_of(state_dir)
    assert error.startswith(f"{path}:3: url:")


def test_rtmp_without_a_stream_key_is_refused(state_dir):
    path = write(state_dir, "u.yaml", f"name: u\nflow: {FLOW}\nurl: rtmp://h/live\n")
    assert errors_of(state_dir) == [
        f"{path}:3: stream_key: RTMP destinations need a stream_key, e.g. {{ssm: /streaming/NAME/key}}"
    ]


def test_settings_that_aws_would_reject_are_validation_errors(state_dir):
    path = write(
        state_dir,
        "s.yaml",
        f"name: s\nflow: {FLOW}\nurl: srt://h.example.com:9000?streamid=a\n"
        "settings:\n  MinLatency: fast\n  Encryption:\n    Algorithm: rot13\n",
    )
    errors = errors_of(state_dir)
    assert (
        f"{path}:5: AWS would reject this output: settings.MinLatency: expected an integer, got a "
        "string" in errors
    )
    assert any(
        e.startswith(f"{path}:6:") and "'rot13' is not one of aes128, aes192, aes256" in e
        for e in errors
    )
    assert any("Encryption.RoleArn: required field is missing" in e for e in errors)


def test_explicit_protocol_with_settings(state_dir):
    write(
        state_dir,
        "l.yaml",
        f"name: listener\nflow: {FLOW}\nprotocol: srt-listener\n"
        "settings:\n  Port: 7000\n  CidrAllowList: [203.0.113.0/24]\n  MinLatency: 200\n",
    )
    dest = next(d for d in load_state(state_dir).destinations if d.name == "listener")
    assert dest.fields["Protocol"] == "srt-listener"
    assert dest.fields["CidrAllowList"] == ("203.0.113.0/24",)


def test_explicit_protocol_missing_required_service_fields(state_dir):
    path = write(state_dir, "l.yaml", f"name: z\nflow: {FLOW}\nprotocol: zixi-push\n")
    errors = errors_of(state_dir)
    assert (
        f"{path}:3: AWS would reject this output: Destination: required for protocol zixi-push"
        in errors
    )


def test_protocol_that_contradicts_the_url(state_dir):
    path = write(state_dir, "c.yaml", f"name: c\nflow: {FLOW}\nurl: udp://h:5000\nprotocol: rist\n")
    assert errors_of(state_dir) == [
        f"{path}:4: protocol 'rist' contradicts the URL, which means 'udp'"
    ]


def test_settings_cannot_override_what_has_its_own_key(state_dir):
    path = write(
        state_dir,
        "c.yaml",
        f"name: c\nflow: {FLOW}\nurl: udp://h:5000\nsettings:\n  OutputStatus: DISABLED\n",
    )
    assert errors_of(state_dir) == [f"{path}:5: settings.OutputStatus: set this with `enabled`"]


def test_at_most_fifty_outputs_per_flow(state_dir):
    for i in range(47):
        write(
            state_dir,
            f"extra{i}.yaml",
            f"name: extra{i}\nflow: {FLOW}\nurl: udp://10.0.0.{i}:5000\n",
        )
    (error,) = errors_of(state_dir)
    assert "lunora-player-prod-rtmp-router.yaml:4:" in error and "51 destinations" in error


def test_protected_output_cannot_be_a_destination(state_dir):
    flow_file = state_dir / "flows" / f"{FLOW}.yaml"
    flow_file.write_text(flow_file.read_text().replace("protected: []", "protected: [restream]"))
    (error,) = errors_of(state_dir)
    assert "restream.yaml:2:" in error and "protected" in error


def test_duplicate_yaml_keys_are_errors(state_dir):
    path = write(
        state_dir, "d.yaml", f"name: d\nflow: {FLOW}\nurl: udp://h:5000\nurl: udp://h:5001\n"
    )
    assert errors_of(state_dir) == [f"{path}:4: duplicate key 'url'"]


def test_empty_file(state_dir):
    path = write(state_dir, "e.yaml", "# nothing yet\n")
    assert errors_of(state_dir) == [f"{path}:1: file is empty"]


def test_every_mistake_is_reported_in_one_pass(state_dir):
    write(state_dir, "a.yaml", "name: a\nflow: nope\nurl: udp://h:5000\n")
    write(state_dir, "b.yaml", "name: [\n")
    assert len(errors_of(state_dir)) == 2


def test_missing_state_directory(tmp_path):
    with pytest.raises(ReconcilerError, match="nope: state directory not found"):
        load_state(tmp_path / "nope")


def test_port_out_of_range_in_settings(state_dir):
    path = write(
        state_dir,
        "p.yaml",
        f"name: p\nflow: {FLOW}\nprotocol: srt-listener\nsettings:\n  Port: 70000\n",
    )
    assert errors_of(state_dir) == [
        f"{path}:5: AWS would reject this output: Port: 70000 is not a port number (1-65535)"
    ]
