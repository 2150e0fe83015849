"""The command line speaks the reader's language: --lang anywhere, FORMGEN_LANG, the locale, every help
text and click's own usage errors translated."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from formgen.cli import cli
from formgen.commands import COMMANDS
from formgen.cli_support import columns, first_clause, fit, hoist_global_options
from formgen.i18n import translations
from formgen.i18n.click_messages import MESSAGES, PLURAL_MESSAGES
from tests.conftest import FORMS, NO_LANGUAGE


def invoke(*argv: str, env: dict | None = None):
    return CliRunner(env={**NO_LANGUAGE, **(env or {})}).invoke(cli, list(argv), prog_name="formgen", catch_exceptions=False)


def test_global_options_are_moved_in_front_of_the_command():
    assert hoist_global_options(["validate", "--lang", "en", "x.xlsx", "--forms=f"]) == \
        ["--lang", "en", "--forms=f", "validate", "x.xlsx"]
    assert hoist_global_options(["validate", "--", "--lang"]) == ["validate", "--", "--lang"]


@pytest.mark.parametrize("argv", [
    ["--lang", "en", "forms"], ["forms", "--lang", "en"], ["forms", "--lang=en"],
    ["forms", "--lang", "English"], ["forms", "--lang", "en_US"]])
def test_lang_before_or_after_the_command(argv):
    result = invoke("--forms", str(FORMS), *argv)
    assert result.exit_code == 0, result.output
    assert "Student bullying incident report" in result.stdout


@pytest.mark.parametrize("name", ["zh", "zh_CN", "zh-CN", "中文", "zh_CN.UTF-8"])
def test_every_way_of_saying_chinese(name):
    result = invoke("forms", "--forms", str(FORMS), "--lang", name, env={"LANG": "en_US.UTF-8"})
    assert result.exit_code == 0
    assert "学生欺凌事件报告表" in result.stdout and "Student bullying" not in result.stdout


def test_language_from_formgen_lang_then_the_locale_then_chinese():
    english = "Student bullying incident report"
    assert english in invoke("--forms", str(FORMS), "forms", env={"FORMGEN_LANG": "en"}).stdout
    assert english in invoke("--forms", str(FORMS), "forms", env={"LANG": "en_US.UTF-8"}).stdout
    assert english in invoke("--forms", str(FORMS), "forms", env={"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}).stdout
    assert english not in invoke("--forms", str(FORMS), "forms", env={"FORMGEN_LANG": "zh", "LANG": "en_US"}).stdout
    assert english not in invoke("--forms", str(FORMS), "forms", env={"LANG": "C.UTF-8"}).stdout
    assert english in invoke("--forms", str(FORMS), "forms", "--lang", "en", env={"FORMGEN_LANG": "zh"}).stdout


def test_an_unknown_language_is_a_usage_error_in_words():
    result = invoke("forms", "--lang", "fr")
    assert result.exit_code == 2
    assert "“fr”不是 formgen 支持的语言" in result.stderr and "Traceback" not in result.output
    result = invoke("forms", env={"FORMGEN_LANG": "klingon"})
    assert result.exit_code == 2
    assert "FORMGEN_LANG=klingon 不是 formgen 支持的语言" in result.stderr


def _commands():
    yield [], cli
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        yield [name], cli.get_command(ctx, name)


def test_every_help_text_has_a_chinese_translation():
    chinese = translations("zh_CN")
    texts = []
    for _, command in _commands():  # a plain click command or option (help not marked with N_) fails here too
        texts.append(getattr(command, "_help", command.help))
        texts.extend(getattr(p, "_help", p.help) for p in command.params if getattr(p, "help", None))
    untranslated = [t for t in texts if not t or chinese.gettext(t) == t]
    assert texts and untranslated == []
    click_ids = list(MESSAGES) + [pair[0] for pair in PLURAL_MESSAGES]
    assert [m for m in click_ids if chinese.gettext(m) == m and not m.startswith("%(")] == []


@pytest.mark.parametrize("path", [path for path, _ in _commands()])
def test_help_of_every_command_in_chinese_and_in_english(path):
    chinese = invoke(*path, "--help")
    english = invoke(*path, "--help", "--lang", "en")
    assert chinese.exit_code == english.exit_code == 0
    assert "用法:" in chinese.stdout and "选项:" in chinese.stdout and "显示本帮助并退出。" in chinese.stdout
    assert "Usage:" not in chinese.stdout and "Show this message" not in chinese.stdout
    assert "Usage:" in english.stdout and "Show this message and exit." in english.stdout
    command = cli if not path else cli.get_command(click.Context(cli), path[0])
    squash = "".join  # click wraps the text: compare without the line breaks and indents
    assert squash(translations("zh_CN").gettext(command._help).split()) in squash(chinese.stdout.split())


def _listed_commands(help_text: str) -> list[str]:
    """The command names of a help screen's command section (its rows start two spaces in)."""
    section = help_text.split("\n\n")[-1].splitlines()
    return [row.split()[0] for row in section[1:] if row.startswith("  ") and not row.startswith("   ")]


@pytest.mark.parametrize("lang", ["zh", "en", None])
def test_help_lists_every_command_with_its_summary(lang):
    """`formgen --help` in a fresh process lists every command from the table without importing one: the same
    screen, word for word, as click makes from the commands themselves, and each command's help is the table's."""
    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    assert names == sorted(COMMANDS) and {"author", "batch", "diff", "extract", "forms", "generate", "lint",
                                          "preview", "validate"} <= set(names)
    for name in names:
        command = cli.get_command(ctx, name)
        assert command.name == name and command._help == COMMANDS[name].help
    env = {**os.environ, "COLUMNS": "80", **{k: "" for k in NO_LANGUAGE}}  # click draws help 78 wide
    argv = ["--lang", lang, "--help"] if lang else ["--help"]
    fresh = subprocess.run([sys.executable, "-m", "formgen", *argv], capture_output=True, text=True, env=env)
    loaded = CliRunner(env=NO_LANGUAGE).invoke(cli, argv, prog_name="formgen", terminal_width=78)
    assert fresh.returncode == loaded.exit_code == 0
    assert fresh.stdout == loaded.stdout
    assert _listed_commands(fresh.stdout) == names
    assert ("Commands:" if lang == "en" else "命令:") in fresh.stdout


@pytest.mark.parametrize("argv, expected", [
    (["--help"], {"validate": "校验回收的文件，以及所给文件夹中的每个文件", "batch": "成批检查一个文件夹里交回的文件",
                  "author": "在工作簿中设计表单（XLSForm 约定）"}),
    (["--lang", "en", "--help"], {"validate": "Validate returned files, and every file in the folders given",
                                  "extract": "Print a returned file's data as JSON"}),
    (["author", "--help"], {"export": "把表单定义（forms/编号.json）导出为表单设计工作簿"}),
])
def test_each_command_is_summed_up_by_its_first_clause_within_the_screen(argv, expected):
    """A command's line in the list is its help's first clause, cut (with …) only where the screen ends,
    a Chinese character counting two columns: click's own shortening left 校验… as "..."."""
    result = CliRunner(env=NO_LANGUAGE).invoke(cli, argv, prog_name="formgen", terminal_width=78)
    assert result.exit_code == 0
    rows = [row for row in result.stdout.split("\n\n")[-1].splitlines()[1:] if row.strip()]
    listed = dict(row.split(None, 1) for row in rows)
    assert {name: listed[name] for name in expected} == expected
    assert all(columns(row) <= 78 and not row.endswith("...") for row in rows), rows


def test_a_summary_stops_at_the_first_clause_outside_brackets_and_is_cut_by_columns():
    assert first_clause("检查定义（对照版本：已安装的）以及模板；有错误时退出") == "检查定义（对照版本：已安装的）以及模板"
    assert first_clause("Write a form, or one from --data; with --roster. More") == "Write a form, or one from --data"
    assert first_clause("Check templates (.docx) and more") == "Check templates (.docx) and more"
    assert fit("一二三四五六", 9) == "一二三四…" and columns(fit("一二三四五六", 9)) == 9
    assert fit("一二三", 6) == "一二三"


def test_clicks_usage_errors_are_in_the_readers_language(tmp_path):
    missing = tmp_path / "returned.docx"
    chinese = invoke("extract", str(missing))
    assert chinese.exit_code == 2
    assert f"错误：'FILE' 的值无效：文件 '{missing}' 不存在。" in chinese.stderr
    assert "运行 'formgen extract --help' 查看帮助。" in chinese.stderr
    english = invoke("extract", "--lang", "en", str(missing))
    assert f"Error: Invalid value for 'FILE': File '{missing}' does not exist." in english.stderr
    unknown = invoke("validate", "--bogus", "x.xlsx")
    assert unknown.exit_code == 2 and "错误：没有 '--bogus' 这个选项。" in unknown.stderr
    no_args = invoke("validate")
    assert no_args.exit_code == 2 and "缺少参数 'PATHS...'" in no_args.stderr
    no_command = invoke("frobnicate")
    assert no_command.exit_code == 2 and "没有 'frobnicate' 这个命令。" in no_command.stderr
    for result in (chinese, english, unknown, no_args, no_command):
        assert "Traceback" not in result.output


def test_forms_option_after_the_command(tmp_path):
    (tmp_path / "broken.json").write_text('{"x-formgen": {"id": "broken"', "utf-8")
    result = invoke("forms", "--forms", str(tmp_path))
    assert result.exit_code == 2
    assert "broken.json" in result.stderr and "formgen lint" in result.stderr
    assert invoke("forms", f"--forms={FORMS}").exit_code == 0
