"""MkDocs hook (mkdocs.yml `hooks:`): reference pages generated from the code.

A page holding `<!-- generated: state-schema -->` gets the state-file reference
built from `schemas/*.json`; `<!-- generated: iam -->` gets the IAM actions that
`reconciler.core.iam.policy` grants for each purpose. Nothing is written twice:
field descriptions, types and defaults come from the schemas, examples from the
example state and the docs' own tested YAML blocks, and IAM statements from
running the policy generator on a state that uses every feature.
"""

from __future__ import annotations

import json
import re
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = {"flow": "state/flows/NAME.yaml", "destination": "state/destinations/NAME.yaml"}
STATE_BLOCK = re.compile(
    r"^```ya?ml\n# (state/(flows|destinations)/[\w.-]+\.yaml)\n(.*?)^```", re.M | re.S
)


# --- the state-file reference ----------------------------------------------------


def _examples(kind: str) -> dict[str, Any]:
    """First value seen for each dotted field path, in the example state, then in
    the docs' tested YAML blocks."""
    folder = "flows" if kind == "flow" else "destinations"
    documents = [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "state" / folder).glob("*.yaml"))
    ]
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for match in STATE_BLOCK.finditer(page.read_text(encoding="utf-8")):
            if match.group(2) == folder:
                documents.append(yaml.safe_load(match.group(3)))
    found: dict[str, Any] = {}
    for document in documents:
        if isinstance(document, dict):
            _collect(document, "", found)
    return found


def _collect(value: dict[str, Any], prefix: str, found: dict[str, Any]) -> None:
    for key, item in value.items():
        path = f"{prefix}{key}"
        if path not in found and item not in (None, [], {}):
            found[path] = item
        if isinstance(item, dict):
            _collect(item, f"{path}.", found)


def _type_of(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        return _type_of(defs[node["$ref"].rsplit("/", 1)[1]], defs)
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    if "oneOf" in node:
        return " or ".join(_type_of(n, defs) for n in node["oneOf"])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(node.get('items', {}), defs)}"
    return "mapping" if kind == "object" else str(kind)


def _rows(
    node: dict[str, Any], defs: dict[str, Any], prefix: str = "", form: bool = False
) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(dotted path, schema node, "required" cell) for every field, nested ones too;
    the fields of one form of a choice (`oneOf`) are required in that form only."""
    required = set(node.get("required", ()))
    for name, child in node.get("properties", {}).items():
        needed = "" if name not in required else ("in this form" if form else "yes")
        yield f"{prefix}{name}", child, needed
        if child.get("type") == "object" and "properties" in child:
            yield from _rows(child, defs, f"{prefix}{name}.")
        if "$ref" in child:
            target = defs[child["$ref"].rsplit("/", 1)[1]]
            for variant in target.get("oneOf", []):
                yield from _rows(variant, defs, f"{prefix}{name}.", form=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict | list):
        text = yaml.safe_dump(value, default_flow_style=True, width=1000, sort_keys=False).strip()
    else:
        text = json.dumps(value)
    return f"`{_cell(text)}`"


def state_schema_markdown() -> str:
    """Markdown tables, one per schema: field, type, required, default, example, meaning."""
    parts: list[str] = []
    for kind, where in SCHEMAS.items():
        schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
        defs = schema.get("$defs", {})
        examples = _examples(kind)
        parts.append(f"## {schema['title']} (`{where}`)\n\n{schema['description']}\n")
        if "anyOf" in schema:
            either = " or ".join(f"`{r['required'][0]}`" for r in schema["anyOf"])
            parts.append(f"A {kind} file needs {either}.\n")
        parts.append("| field | type | required | default | example | meaning |")
        parts.append("|---|---|---|---|---|---|")
        for path, node, required in _rows(schema, defs):
            default = f"`{json.dumps(node['default'])}`" if "default" in node else ""
            if path in examples:
                example = _example(examples[path])
            elif "enum" in node:
                example = _example(node["enum"][0])
            else:
                example = ""
            description = node.get("description", "")
            if "$ref" in node:
                choices = defs[node["$ref"].rsplit("/", 1)[1]].get("oneOf", [])
                keys = " or ".join(
                    "{" + ", ".join(f"`{k}`" for k in v["properties"]) + "}" for v in choices
                )
                kind_text = f"mapping: {keys}"
            else:
                kind_text = _type_of(node, defs)
            parts.append(
                f"| `{path}` | {_cell(kind_text)} | {required} | {default} "
                f"| {example} | {_cell(description)} |"
            )
        parts.append("")
    return "\n".join(parts)


# --- the IAM reference -------------------------------------------------------------

IAM_STATE = {
    "flows/by-arn.yaml": """
name: by-arn
region: us-west-2
arn: arn:aws:mediaconnect:us-west-2:111122223333:flow:1-abc:by-arn
hls_guard: {medialive_channel_id: "3714710", mediapackage_channel_id: lunora-hls}
""",
    "flows/by-name.yaml": "name: by-name\nregion: us-west-2\n",
    "destinations/youtube-main.yaml": """
name: youtube-main
flow: by-arn
url: rtmps://a.rtmps.youtube.com:443/live2
stream_key: {ssm: /streaming/youtube-main/key}
""",
    "destinations/twitch.yaml": """
name: twitch
flow: by-name
url: rtmp://live.twitch.tv/app
stream_key: {secretsmanager: streaming/twitch}
""",
    "destinations/srt-partner.yaml": """
name: srt-partner
flow: by-name
url: srt://203.0.113.9:9000?streamid=cam1&latency=200
encryption:
  secret_arn: arn:aws:secretsmanager:us-west-2:111122223333:secret:srt-pass
  role_arn: arn:aws:iam::111122223333:role/MediaConnectSecrets
""",
}
IAM_OPTIONS: dict[str, dict[str, Any]] = {
    "plan": {},
    "apply": {},
    "operate": {"table": "lunora-destinations"},
    "migrate": {"table": "lunora-destinations", "medialive_channels": ("3714710",)},
}
KMS_KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def iam_markdown() -> str:
    """One table per purpose: each statement `iam-policy --for PURPOSE` prints, with its
    actions and resources, for an example state that uses every feature."""
    from reconciler.core import iam
    from reconciler.core.state import load_state

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in IAM_STATE.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text.lstrip(), encoding="utf-8")
        state = load_state(root)
    parts = [
        "The example state: flow `by-arn` (its file gives `arn:` and an `hls_guard`), flow "
        "`by-name` (found by name), destinations keyed by SSM (`youtube-main`) and by Secrets "
        "Manager (`twitch`), and an SRT output with `encryption:` (`srt-partner`); account "
        f"`111122223333`; `--kms-key {KMS_KEY}`.\n"
    ]
    for purpose in iam.PURPOSES:
        options = iam.PolicyOptions(
            purposes=frozenset({purpose}),
            account="111122223333",
            kms_keys=(KMS_KEY,),
            **IAM_OPTIONS[purpose],
        )
        flags = {"table": "--table", "medialive_channels": "--medialive-channel"}
        extra = "".join(
            f" {flags[k]} {v[0] if isinstance(v, tuple) else v}"
            for k, v in IAM_OPTIONS[purpose].items()
        )
        parts.append(f"## `--for {purpose}`\n")
        parts.append(f"`reconcile iam-policy --for {purpose}{extra} --kms-key KEY`\n")
        parts.append("| statement | actions | resources | condition |")
        parts.append("|---|---|---|---|")
        for statement in iam.policy(state, options)["Statement"]:
            actions = "<br>".join(f"`{a}`" for a in statement["Action"])
            resources = "<br>".join(f"`{r}`" for r in statement["Resource"])
            condition = statement.get("Condition")
            condition_text = f"`{_cell(json.dumps(condition))}`" if condition else ""
            parts.append(f"| {statement['Sid']} | {actions} | {resources} | {condition_text} |")
        parts.append("")
    rules = (iam.__doc__ or "").partition("Resource rules")
    if rules[1]:
        parts.append("## Why these resources\n")
        parts.append(textwrap.dedent(rules[1] + rules[2]).strip() + "\n")
    return "\n".join(parts)


GENERATORS = {"state-schema": state_schema_markdown, "iam": iam_markdown}


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace each `<!-- generated: NAME -->` marker with its generated Markdown."""
    for name, generate in GENERATORS.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown
