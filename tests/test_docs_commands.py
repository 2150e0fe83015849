"""Every `formgen` command shown in a `console` or `bash` block of README.md and docs/*.md runs as written, on
the files in examples/, and exits as the page says: 0 unless the line's comment says otherwise (`# exit 1`)."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from formgen.cli import cli
from tests.conftest import NO_LANGUAGE, ROOT

BLOCK = re.compile(r"^```(?:console|bash)\n(.*?)^```", re.S | re.M)  # `sh` blocks are illustrations, not run
EXPECTED_EXIT = re.compile(r"#.*\bexit (\d)\b")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def commands(page: Path) -> list[str]:
    lines = []
    for block in BLOCK.findall(page.read_text("utf-8")):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("formgen "):
                lines.append(line)
    return lines


def test_the_pages_show_commands():
    assert len(commands(ROOT / "README.md")) >= 8
    assert sum(len(commands(page)) for page in PAGES) >= 25


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    """A folder that looks like a fresh clone to the commands: the project's files, an empty output/."""
    for name in ("forms", "examples", "tests", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "output").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_on_the_page_runs_as_written(page, fresh_clone):
    for line in commands(page):
        expected = EXPECTED_EXIT.search(line)
        words = shlex.split(line, comments=True)[1:]
        args = [match for word in words for match in (sorted(glob.glob(word)) if "*" in word else [word])]
        result = CliRunner(env=NO_LANGUAGE).invoke(cli, args, prog_name="formgen")
        assert result.exception is None or isinstance(result.exception, SystemExit), (line, result.exception)
        assert result.exit_code == (int(expected.group(1)) if expected else 0), (line, result.output)
        assert "Traceback" not in result.output, line
