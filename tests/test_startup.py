"""`reconcile --help` and `reconcile validate` start without loading the AWS SDK,
deepdiff, moto or ruamel: they are imported only by the commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE_STATE

HEAVY = ("boto3", "botocore", "deepdiff", "moto", "ruamel")

PROBE = """
import json, sys
from reconciler.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_by(*args: str) -> set[str]:
    """Top-level modules present after running `reconcile ARGS` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "args",
    [("--help",), ("validate", "--state", str(EXAMPLE_STATE)), ("plan", "--help")],
    ids=["help", "validate", "plan-help"],
)
def test_help_and_validate_load_no_sdk(args: tuple[str, ...]) -> None:
    assert loaded_by(*args) & set(HEAVY) == set()


def test_the_probe_sees_the_sdk_when_a_command_loads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard can fail: `plan` reaches AWS (here a closed local port), so it loads boto3."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert {"boto3", "botocore"} <= loaded_by("plan", "--state", str(EXAMPLE_STATE))


def test_the_help_listed_for_each_verb_is_its_own() -> None:
    """`reconcile --help` shows each verb's help from a table, not from the verb's
    module (which it does not load): the table must say what the command says."""
    import importlib

    import click

    from reconciler.cli import VERBS, main

    for name, (module, attribute, short) in VERBS.items():
        command = getattr(importlib.import_module(f"reconciler.cli.{module}"), attribute)
        assert command.name == name
        listed = click.Command(name, help=short)
        assert command.get_short_help_str(200) == listed.get_short_help_str(200), name
    assert set(main.list_commands(None)) == set(VERBS)  # type: ignore[arg-type]
