"""The layering rules, checked on the source: a pure core, one boto3 importer."""

import ast
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).parent
CORE = {"models", "outputs", "planner", "render", "secrets", "errors", "executor", "resolver"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules():
    return {p: imports_of(p) for p in PACKAGE.rglob("*.py") if "sandbox" not in p.parts}


def test_core_imports_neither_aws_libraries_nor_click():
    for path, names in modules().items():
        if path.stem in CORE and path.parent == PACKAGE:
            assert not names & {"boto3", "botocore", "click", "yaml", "jsonschema"}, path


def test_only_the_aws_adapter_imports_boto3():
    importers = {
        p.relative_to(PACKAGE).as_posix() for p, names in modules().items() if "boto3" in names
    }
    assert importers == {"aws/clients.py"}


def test_botocore_stays_inside_the_aws_adapter():
    for path, names in modules().items():
        if "botocore" in names:
            assert path.parent.name == "aws", path


def test_the_package_never_imports_the_sandbox():
    for path, names in modules().items():
        text = path.read_text()
        assert "reconciler.sandbox" not in text and "moto" not in names, path
