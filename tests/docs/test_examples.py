"""The documentation's examples work (README.md and docs/**.md).

Conventions, shared with every author of a page:

- A ```yaml block whose first line is `# state/flows/NAME.yaml` or
  `# state/destinations/NAME.yaml` is written into a copy of the example state
  (replacing a file of that name) and `reconcile validate` must pass.
- Every `reconcile ...` command line in ```sh, ```bash or ```console blocks must
  parse against the click command tree: the subcommand exists and so does every
  option it is given. Text in [brackets] is read as optional syntax.
- On the pages in RUNNABLE, the `$ ` lines of ```console blocks are run in order,
  in one shell, against a sandbox this test starts, in a directory holding a copy
  of `state/`; `http://127.0.0.1:5000` is rewritten to the sandbox's address. Each
  must exit 0, or N when the line ends with the comment `# exits N`. A heredoc
  (`<<'EOF'`) takes the lines up to its terminator. The lines a block shows after a
  command are its output and must appear in what it printed (`...` alone on a line
  skips output; inside a line it stands for any text).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import EXAMPLE_STATE, ROOT, sandbox_server

PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
RUNNABLE = ("docs/getting-started.md",)
SANDBOX_ADDRESS = "http://127.0.0.1:5000"
STATE_FILE = re.compile(r"^# (state/(?:flows|destinations)/[A-Za-z0-9_.-]+\.yaml)\s*$")
EXPECTED_EXIT = re.compile(r"#\s*exits (\d+)\b")
HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    """One fenced code block: its page, the line of its first content line, its text."""

    page: str
    line: int
    language: str
    lines: tuple[str, ...]


def blocks(page: str, text: str) -> list[Block]:
    """The fenced blocks of a Markdown page (fences may be indented, e.g. in lists)."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", lines[index])
        if not opening:
            index += 1
            continue
        indent, fence, language = opening.groups()
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(
                lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index]
            )
            index += 1
        found.append(Block(page, index - len(body) + 1, language.lower(), tuple(body)))
        index += 1
    return found


def page_blocks() -> Iterator[Block]:
    for path in PAGES:
        yield from blocks(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))


# --- YAML state files --------------------------------------------------------------


def yaml_problems(block_list: list[Block], tmp_path: Path) -> list[str]:
    """`PAGE:LINE: ...` for each state-file block that `reconcile validate` refuses."""
    problems: list[str] = []
    for number, block in enumerate(b for b in block_list if b.language in ("yaml", "yml")):
        named = STATE_FILE.match(block.lines[0]) if block.lines else None
        if not named:
            continue
        state = tmp_path / f"state-{number}"
        shutil.copytree(EXAMPLE_STATE, state)
        (state / named.group(1).removeprefix("state/")).write_text("\n".join(block.lines) + "\n")
        result = CliRunner().invoke(main, ["validate", "--state", str(state)])
        if result.exit_code != 0:
            problems.append(
                f"{block.page}:{block.line}: {named.group(1)} does not validate: {result.output.strip()}"
            )
    return problems


# --- command lines -------------------------------------------------------------------


def command_lines(block: Block) -> Iterator[tuple[int, str]]:
    """(line number, command) per shell command of a block, continuations joined,
    heredoc bodies skipped; in console blocks only `$ ` lines are commands."""
    index = 0
    lines = block.lines
    while index < len(lines):
        start, line = index, lines[index]
        index += 1
        if block.language == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        while line.rstrip().endswith("\\") and index < len(lines):
            line = line.rstrip()[:-1] + " " + lines[index].strip()
            index += 1
        heredoc = HEREDOC.search(line)
        if heredoc:
            while index < len(lines) and lines[index].strip() != heredoc.group(1):
                index += 1
            index += 1
        yield block.line + start, line


def reconcile_argvs(command: str) -> Iterator[list[str]]:
    """The arguments of every `reconcile` invocation in one shell command line."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token and set(token) <= set("();<>|&"):
            if current and current[0] == "reconcile":
                yield [t.strip("[]") for t in current[1:] if t.strip("[]")]
            current = []
        else:
            current.append(token)


def argv_problem(argv: list[str]) -> str | None:
    """Why `reconcile ARGV` would not parse, or None."""
    group_options = {o for p in main.params for o in (*p.opts, *p.secondary_opts)}
    while argv and argv[0].startswith("-"):
        if argv[0] not in group_options | {"--help", "-h"}:
            return f"reconcile has no option {argv[0]}"
        argv = argv[1:]
    if not argv:
        return None
    context = click.Context(main)
    command = main.get_command(context, argv[0])
    if command is None:
        return f"no command `reconcile {argv[0]}`"
    # a group's subcommand (`reconcile freeze status`): check against that command
    while isinstance(command, click.Group) and len(argv) > 1 and not argv[1].startswith("-"):
        context = click.Context(command, parent=context, info_name=argv[0])
        sub = command.get_command(context, argv[1])
        if sub is None:
            return f"no command `reconcile {argv[0]} {argv[1]}`"
        command, argv = sub, [f"{argv[0]} {argv[1]}", *argv[2:]]
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    for argument in argv[1:]:
        if argument == "--":
            break
        name = argument.split("=", 1)[0]
        if name.startswith("-") and name != "-" and name not in options:
            return f"`reconcile {argv[0]}` has no option {name}"
    try:
        command.make_context(argv[0], list(argv[1:]), parent=context, resilient_parsing=True)
    except click.ClickException as e:
        return f"`reconcile {argv[0]}`: {e.format_message()}"
    return None


def command_problems(block_list: list[Block]) -> list[str]:
    problems: list[str] = []
    for block in block_list:
        if block.language not in SHELL_LANGUAGES:
            continue
        for line, command in command_lines(block):
            for argv in reconcile_argvs(command):
                problem = argv_problem(argv)
                if problem:
                    problems.append(f"{block.page}:{line}: {problem}")
    return problems


# --- running a page ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One `$ ` command of a console block, with the output the page shows for it."""

    where: str
    script: str
    expected_exit: int
    shown: tuple[str, ...]


def console_steps(block: Block) -> list[Step]:
    """The block's `$ ` commands in order: continuations joined, heredoc bodies
    included, and the lines after each (up to the next `$ `) as its shown output."""
    steps: list[Step] = []
    lines = block.lines
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            index += 1
            continue
        where = f"{block.page}:{block.line + index}"
        text = lines[index][2:]
        index += 1
        while text.rstrip().endswith("\\") and index < len(lines):
            text = text.rstrip()[:-1] + " " + lines[index].strip()
            index += 1
        script = [text]
        heredoc = HEREDOC.search(text)
        if heredoc:
            while index < len(lines) and lines[index].strip() != heredoc.group(1):
                script.append(lines[index])
                index += 1
            script.append(heredoc.group(1))
            index += 1
        shown: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        expected = EXPECTED_EXIT.search(text)
        steps.append(
            Step(
                where,
                "\n".join(script),
                int(expected.group(1)) if expected else 0,
                tuple(line for line in shown if line.strip() and line.strip() != "..."),
            )
        )
    return steps


def run_script(block_list: list[Block], endpoint: str) -> tuple[str, list[Step]]:
    """A bash script running each `$ ` command of the page's console blocks in order,
    printing a marker before each and stopping at the first unexpected exit code."""
    steps = [
        step for block in block_list if block.language == "console" for step in console_steps(block)
    ]
    script = ["exec 2>&1", "set -u"]
    for number, step in enumerate(steps):
        script.append(f"echo '@@step {number}@@'")
        script.append(step.script.replace(SANDBOX_ADDRESS, endpoint))
        script.append(
            f'rc=$?; if [ "$rc" -ne {step.expected_exit} ]; then '
            f'echo "@@step {number} exited $rc@@"; exit 99; fi'
        )
    return "\n".join(script) + "\n", steps


def _words(text: str) -> str:
    return " ".join(text.split())


def _printed(shown: str, output: str) -> bool:
    """Whether a line the page shows was printed (whitespace runs are equal, and
    `...` inside a line stands for any text)."""
    pattern = ".*?".join(re.escape(piece) for piece in _words(shown).split("..."))
    return re.search(pattern, _words(output)) is not None


def run_page(block_list: list[Block], work: Path, endpoint: str) -> list[str]:
    """Run a page's console commands: `PAGE:LINE: ...` for a command that exited
    otherwise than expected, or whose shown output lines it did not print."""
    script, steps = run_script(block_list, endpoint)
    shutil.copytree(EXAMPLE_STATE, work / "state")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    outputs = re.split(r"^@@step \d+@@\n", result.stdout, flags=re.M)[1:]
    failed = re.search(r"@@step (\d+) exited (\d+)@@", result.stdout)
    if failed:
        step = steps[int(failed.group(1))]
        return [
            f"{step.where}: exited {failed.group(2)}, expected {step.expected_exit}\n{outputs[-1]}"
        ]
    if result.returncode != 0 or len(outputs) != len(steps):
        return [f"the page's commands failed ({result.returncode}): {result.stdout}"]
    problems = []
    for step, output in zip(steps, outputs, strict=True):
        missing = [line for line in step.shown if not _printed(line, output)]
        if missing:
            problems.append(
                f"{step.where}: the page shows {missing[0]!r}, but it printed:\n{output}"
            )
    return problems


# --- the tests -----------------------------------------------------------------------


def test_every_state_file_example_validates(tmp_path):
    all_blocks = list(page_blocks())
    assert sum(1 for b in all_blocks if b.lines and STATE_FILE.match(b.lines[0])) >= 5
    assert yaml_problems(all_blocks, tmp_path) == []


def test_every_documented_reconcile_command_parses():
    all_blocks = list(page_blocks())
    assert (
        sum(
            len(list(reconcile_argvs(c)))
            for b in all_blocks
            if b.language in SHELL_LANGUAGES
            for _, c in command_lines(b)
        )
        >= 20
    )
    assert command_problems(all_blocks) == []


@pytest.mark.parametrize("page", RUNNABLE)
def test_the_page_runs_against_the_sandbox(page, tmp_path):
    block_list = blocks(page, (ROOT / page).read_text(encoding="utf-8"))
    assert len(run_script(block_list, "")[1]) >= 5, f"{page} has too few `$ ` commands"
    with sandbox_server() as endpoint:
        assert run_page(block_list, tmp_path, endpoint) == []


# The runner itself can fail: a page with mistakes is reported, line by line.

BROKEN_PAGE = """# A page with mistakes

```sh
reconcile plan --state state --detial-exitcode
reconcile aply --state state
reconcile add twitch --flow f --url rtmp://x/app \\
    [--description TEXT] [--platfrom twitch]
reconcile validate --state state | tee out.txt     # fine
```

```yaml
# state/destinations/youtube-main.yaml
name: youtube-main
flow: no-such-flow
url: rtmp://a.rtmp.youtube.com/live2
stream_key: {ssm: /k}
```

```console
$ reconcile plan --state nowhere
```
"""


def test_the_runner_reports_a_misspelt_flag_and_an_unknown_command():
    problems = command_problems(blocks("broken.md", BROKEN_PAGE))
    assert problems == [
        "broken.md:4: `reconcile plan` has no option --detial-exitcode",
        "broken.md:5: no command `reconcile aply`",
        "broken.md:6: `reconcile add` has no option --platfrom",
    ]


def test_the_runner_reports_an_invalid_state_file(tmp_path):
    problems = yaml_problems(blocks("broken.md", BROKEN_PAGE), tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(
        "broken.md:12: state/destinations/youtube-main.yaml does not validate"
    )
    assert "no-such-flow" in problems[0]


def test_the_runner_reports_a_command_that_fails(tmp_path):
    problems = run_page(blocks("broken.md", BROKEN_PAGE), tmp_path, "http://127.0.0.1:9")
    assert len(problems) == 1 and problems[0].startswith("broken.md:20: exited 1, expected 0")


WRONG_OUTPUT_PAGE = """```console
$ reconcile validate --state state
state: 1 flow(s), 9 destination(s): valid
```
"""


def test_the_runner_reports_output_the_page_shows_but_the_command_does_not_print(tmp_path):
    problems = run_page(blocks("wrong.md", WRONG_OUTPUT_PAGE), tmp_path, "http://127.0.0.1:9")
    assert len(problems) == 1
    assert problems[0].startswith(
        "wrong.md:2: the page shows 'state: 1 flow(s), 9 destination(s): valid', but it printed:"
    )
    assert "state: 1 flow(s), 4 destination(s): valid" in problems[0]


def test_the_readme_stays_a_short_front_door_whose_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    assert "make demo" in readme and "make test" in readme
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 10
    assert [link for link in local if not (ROOT / link).exists()] == []
